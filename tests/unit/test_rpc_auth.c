/* The mutual token exchange against a real server process: the right
 * token is served, a wrong one is refused at once with a message, a client
 * without one is told what is missing, nothing is served before the
 * exchange, a recorded proof does not open a second connection, a proof
 * is not usable in the other direction, a client with a token refuses a
 * server without one and (against an impostor forked here) a server that
 * cannot prove the token, and a non-loopback TCP address is refused to a
 * server without a token. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "auth.h"
#include "frame.h"
#include "rpc.h"
#include "rpctest.pb-c.h"
#include "rpctest_server.h"
#include "tmpdir.h"

#define TOKEN "correct horse battery staple"

static char dir[64], addr[128], bound[300];
static pid_t server = -1;

static void
start(const char *token)
{
    struct rpc_server_opts opts = {.token = (const uint8_t *)token,
                                   .token_len = token ? strlen(token) : 0};

    server = rpctest_server_spawn(addr, &opts, bound, sizeof(bound));
    cr_assert_gt(server, 0);
}

static void
setup(void)
{
    signal(SIGPIPE, SIG_IGN);
    cr_assert_eq(tmpdir_create(dir, sizeof(dir), "auth-test"), 0);
    snprintf(addr, sizeof(addr), "unix:%s/sock", dir);
}

static void
teardown(void)
{
    if (server > 0)
        rpctest_server_stop(server);
    cr_assert_eq(tmpdir_remove(dir), 0);
}

TestSuite(auth, .init = setup, .fini = teardown, .timeout = 30);

/* A client of the server at address a. */
static rpc_client *
client_at(const char *a, const char *token)
{
    struct rpc_client_opts opts = {.connect_timeout_ms = 2000,
                                   .call_timeout_ms = 2000,
                                   .token = (const uint8_t *)token,
                                   .token_len = token ? strlen(token) : 0};
    char err[MR_ERR_LEN];
    rpc_client *c = rpc_client_create(a, &opts, err);

    cr_assert_not_null(c, "%s", err);
    return c;
}

static rpc_client *
client_with(const char *token)
{
    return client_at(addr, token);
}

static int
call_null(rpc_client *c)
{
    Rpctest__Empty args = RPCTEST__EMPTY__INIT;
    ProtobufCMessage *reply = NULL;
    int rc = rpc_client_call(c, &rpctest__test__descriptor, "Null",
                             &args.base, &reply);

    if (reply)
        protobuf_c_message_free_unpacked(reply, NULL);
    return rc;
}

Test(auth, the_right_token_is_served)
{
    rpc_client *c;

    start(TOKEN);
    c = client_with(TOKEN);
    cr_assert_eq(call_null(c), 0, "%s", rpc_client_errmsg(c));
    cr_assert_eq(call_null(c), 0, "%s", rpc_client_errmsg(c));
    rpc_client_free(c);
}

/* The client checks the server's proof first, so a client with the wrong
 * token finds out there: the two token files differ. */
Test(auth, a_wrong_token_is_refused_at_once)
{
    rpc_client *c;

    start(TOKEN);
    c = client_with("incorrect horse battery staple");
    /* MR_EAUTH, not MR_ECONNECT after retrying for the connect timeout. */
    cr_assert_eq(call_null(c), MR_EAUTH, "%s", rpc_client_errmsg(c));
    cr_assert(strstr(rpc_client_errmsg(c), "does not know this token") &&
              strstr(rpc_client_errmsg(c), "the files differ"), "%s",
              rpc_client_errmsg(c));
    rpc_client_free(c);
}

Test(auth, a_client_without_a_token_is_told_what_is_missing)
{
    rpc_client *c;

    start(TOKEN);
    c = client_with(NULL);
    cr_assert_eq(call_null(c), MR_EREMOTE);
    cr_assert_eq(rpc_client_remote_status(c), MR_EAUTH);
    cr_assert(strstr(rpc_client_errmsg(c), "--token-file"), "%s",
              rpc_client_errmsg(c));
    rpc_client_free(c);
}

/* A client given a token will not work for a server that cannot check it:
 * an impostor without the token gets no worker. */
Test(auth, a_client_with_a_token_refuses_a_server_without_one)
{
    rpc_client *c;

    start(NULL);
    c = client_with(TOKEN);
    cr_assert_eq(call_null(c), MR_EAUTH, "%s", rpc_client_errmsg(c));
    cr_assert(strstr(rpc_client_errmsg(c), "does not ask for a token"), "%s",
              rpc_client_errmsg(c));
    rpc_client_free(c);
}

/* Reads one frame's header and payload (up to cap bytes) from fd. */
static void
read_frame(int fd, struct rpc_header *h, uint8_t *payload, size_t cap)
{
    uint8_t hdr[RPC_HEADER_LEN];
    size_t got = 0, len;

    while (got < sizeof(hdr)) {
        ssize_t n = read(fd, hdr + got, sizeof(hdr) - got);
        cr_assert_gt(n, 0, "closed before a whole header");
        got += (size_t)n;
    }
    cr_assert_eq(rpc__header_decode(hdr, 1 << 20, h), 0);
    len = rpc__payload_len(h);
    cr_assert_leq(len, cap);
    for (got = 0; got < len;) {
        ssize_t n = read(fd, payload + got, len - got);
        cr_assert_gt(n, 0, "closed before a whole payload");
        got += (size_t)n;
    }
}

static void
send_frame(int fd, uint8_t kind, const void *payload, size_t len)
{
    uint8_t frame[RPC_HEADER_LEN + 64];

    cr_assert_leq(len, 64);
    rpc__header_encode(frame, kind, 0, 7, 0, len);
    if (len > 0)
        memcpy(frame + RPC_HEADER_LEN, payload, len);
    cr_assert_eq(write(fd, frame, RPC_HEADER_LEN + len),
                 (ssize_t)(RPC_HEADER_LEN + len));
}

static bool
closed(int fd)
{
    char byte;

    return read(fd, &byte, 1) == 0;
}

Test(auth, nothing_is_served_before_the_exchange)
{
    uint8_t payload[600];
    struct rpc_header h;
    int fd;

    start(TOKEN);
    fd = rpctest_raw_connect(addr);
    send_frame(fd, RPC_KIND_REQUEST, NULL, 0);      /* Null, unproven */
    read_frame(fd, &h, payload, sizeof(payload));
    cr_assert_eq(h.kind, RPC_KIND_REPLY);
    cr_assert_eq(h.status, MR_EAUTH);
    cr_assert(closed(fd));
    close(fd);
}

#define ANSWER_LEN (RPC_AUTH_NONCE_LEN + RPC_AUTH_PROOF_LEN)

/* Opens a raw connection to the server and sends client_nonce; fills
 * answer with the server's nonce and proof. Returns the fd. */
static int
raw_challenge(const uint8_t client_nonce[RPC_AUTH_NONCE_LEN],
              uint8_t answer[ANSWER_LEN])
{
    struct rpc_header h;
    int fd = rpctest_raw_connect(addr);

    cr_assert_geq(fd, 0);
    send_frame(fd, RPC_KIND_AUTH, client_nonce, RPC_AUTH_NONCE_LEN);
    read_frame(fd, &h, answer, ANSWER_LEN);
    cr_assert(h.kind == RPC_KIND_AUTH && h.status == 0);
    cr_assert_eq(rpc__payload_len(&h), ANSWER_LEN);
    return fd;
}

/* Sends proof on fd; asserts that the server refused it with a message
 * containing why, and closed. */
static void
expect_proof_refused(int fd, const uint8_t proof[RPC_AUTH_PROOF_LEN],
                     const char *why)
{
    char text[600];
    struct rpc_header h;

    send_frame(fd, RPC_KIND_AUTH, proof, RPC_AUTH_PROOF_LEN);
    read_frame(fd, &h, (uint8_t *)text, sizeof(text) - 1);
    text[rpc__payload_len(&h)] = '\0';
    cr_assert(h.kind == RPC_KIND_AUTH && h.status == MR_EAUTH,
              "a wrong proof was accepted");
    cr_assert(strstr(text, why), "%s", text);
    cr_assert(closed(fd));
    close(fd);
}

Test(auth, a_recorded_proof_does_not_open_another_connection)
{
    uint8_t cnonce[RPC_AUTH_NONCE_LEN], answer[ANSWER_LEN];
    uint8_t first_nonce[RPC_AUTH_NONCE_LEN], proof[RPC_AUTH_PROOF_LEN];
    uint8_t buf[600];
    struct rpc_header h;
    int fd;

    start(TOKEN);
    /* A legitimate exchange, recorded. */
    rpc__auth_nonce(cnonce);
    fd = raw_challenge(cnonce, answer);
    cr_assert(rpc__auth_check((const uint8_t *)TOKEN, strlen(TOKEN),
                              RPC_AUTH_SERVER, cnonce, answer,
                              answer + RPC_AUTH_NONCE_LEN,
                              RPC_AUTH_PROOF_LEN), "the server's proof");
    memcpy(first_nonce, answer, sizeof(first_nonce));
    rpc__auth_proof((const uint8_t *)TOKEN, strlen(TOKEN), RPC_AUTH_CLIENT,
                    cnonce, first_nonce, proof);
    send_frame(fd, RPC_KIND_AUTH, proof, sizeof(proof));
    read_frame(fd, &h, buf, sizeof(buf));
    cr_assert(h.kind == RPC_KIND_AUTH && h.status == 0, "proof refused");
    close(fd);
    /* Replayed on a new connection, client nonce and all: the server's
     * nonce is new. */
    fd = raw_challenge(cnonce, answer);
    cr_assert_neq(memcmp(answer, first_nonce, sizeof(first_nonce)), 0,
                  "nonce reused");
    expect_proof_refused(fd, proof, "wrong token");
}

/* A peer that skips the client's check and sends a wrong proof gets the
 * server's own sentence. */
Test(auth, a_wrong_client_proof_is_refused_with_a_message)
{
    uint8_t cnonce[RPC_AUTH_NONCE_LEN], answer[ANSWER_LEN];
    uint8_t proof[RPC_AUTH_PROOF_LEN];
    const char *wrong = "incorrect horse battery staple";
    int fd;

    start(TOKEN);
    rpc__auth_nonce(cnonce);
    fd = raw_challenge(cnonce, answer);
    rpc__auth_proof((const uint8_t *)wrong, strlen(wrong), RPC_AUTH_CLIENT,
                    cnonce, answer, proof);
    expect_proof_refused(fd, proof, "wrong token: the client's --token-file "
                         "differs from the server's");
}

/* The role is part of what is signed, so neither side's proof passes for
 * the other's: not for the same nonces, nor for the nonces swapped (what
 * reflecting a challenge back at its sender yields). */
Test(auth, the_client_proof_is_not_the_server_proof)
{
    const uint8_t *key = (const uint8_t *)TOKEN;
    uint8_t a[RPC_AUTH_NONCE_LEN], b[RPC_AUTH_NONCE_LEN];
    uint8_t by_client[RPC_AUTH_PROOF_LEN], by_server[RPC_AUTH_PROOF_LEN];

    rpc__auth_nonce(a);
    rpc__auth_nonce(b);
    rpc__auth_proof(key, strlen(TOKEN), RPC_AUTH_CLIENT, a, b, by_client);
    rpc__auth_proof(key, strlen(TOKEN), RPC_AUTH_SERVER, a, b, by_server);
    cr_assert_neq(memcmp(by_client, by_server, sizeof(by_client)), 0);
    cr_assert(rpc__auth_check(key, strlen(TOKEN), RPC_AUTH_CLIENT, a, b,
                              by_client, sizeof(by_client)));
    cr_assert_not(rpc__auth_check(key, strlen(TOKEN), RPC_AUTH_SERVER, a, b,
                                  by_client, sizeof(by_client)));
    cr_assert_not(rpc__auth_check(key, strlen(TOKEN), RPC_AUTH_SERVER, b, a,
                                  by_client, sizeof(by_client)));
    cr_assert_not(rpc__auth_check(key, strlen(TOKEN), RPC_AUTH_CLIENT, b, a,
                                  by_server, sizeof(by_server)));
}

/* The server's proof sent back to it as the client's is refused. */
Test(auth, the_servers_proof_reflected_back_is_refused)
{
    uint8_t cnonce[RPC_AUTH_NONCE_LEN], answer[ANSWER_LEN];

    start(TOKEN);
    rpc__auth_nonce(cnonce);
    expect_proof_refused(raw_challenge(cnonce, answer),
                         answer + RPC_AUTH_NONCE_LEN, "wrong token");
}

/* ------------------------------------------------------------ impostors */

/* Reads exactly len bytes; false on EOF or error. */
static bool
read_exact(int fd, uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* The impostor's side, in its own process: takes one connection, reads
 * the client's nonce, answers with answer (a nonce and a proof), and
 * exits 0 when the client then hangs up without another byte. */
static void
impostor_serve(int lfd, const uint8_t answer[ANSWER_LEN])
{
    uint8_t frame[RPC_HEADER_LEN + ANSWER_LEN], byte;
    struct rpc_header h;
    int fd = accept(lfd, NULL, NULL);

    if (fd < 0 || !read_exact(fd, frame, RPC_HEADER_LEN) ||
        rpc__header_decode(frame, RPC_AUTH_MAX_FRAME, &h) != 0 ||
        h.kind != RPC_KIND_AUTH ||
        rpc__payload_len(&h) != RPC_AUTH_NONCE_LEN ||
        !read_exact(fd, frame, RPC_AUTH_NONCE_LEN))
        _exit(2);
    rpc__header_encode(frame, RPC_KIND_AUTH, 0, 0, 0, ANSWER_LEN);
    memcpy(frame + RPC_HEADER_LEN, answer, ANSWER_LEN);
    if (write(fd, frame, sizeof(frame)) != (ssize_t)sizeof(frame))
        _exit(2);
    _exit(read(fd, &byte, 1) == 0 ? 0 : 1);
}

/* Forks an impostor listening at "unix:DIR/impostor" (written to at) that
 * answers one client's nonce with answer. Returns its pid. */
static pid_t
impostor_spawn(const uint8_t answer[ANSWER_LEN], char *at, size_t atlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    pid_t pid;

    cr_assert_geq(lfd, 0);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/impostor", dir);
    snprintf(at, atlen, "unix:%s", sa.sun_path);
    cr_assert_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    cr_assert_eq(listen(lfd, 1), 0);
    if ((pid = fork()) == 0)
        impostor_serve(lfd, answer);
    cr_assert_gt(pid, 0);
    close(lfd);
    return pid;
}

/* Runs a client with the token against an impostor answering with
 * answer: the call fails with MR_EAUTH, the message names the impostor's
 * address, and the client hung up without sending its own proof. */
static void
expect_impostor_refused(const uint8_t answer[ANSWER_LEN])
{
    char at[128];
    pid_t pid = impostor_spawn(answer, at, sizeof(at));
    rpc_client *c = client_at(at, TOKEN);
    int status;

    cr_assert_eq(call_null(c), MR_EAUTH, "%s", rpc_client_errmsg(c));
    cr_assert(strstr(rpc_client_errmsg(c), at) &&
              strstr(rpc_client_errmsg(c), "does not know this token"),
              "%s", rpc_client_errmsg(c));
    rpc_client_free(c);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "the impostor saw %s", WIFEXITED(status) &&
              WEXITSTATUS(status) == 1 ? "the client's proof"
                                       : "no proper exchange");
}

Test(auth, a_server_that_does_not_know_the_token_is_refused)
{
    uint8_t answer[ANSWER_LEN];

    rpc__auth_nonce(answer);                        /* its nonce */
    rpc__auth_nonce(answer + RPC_AUTH_NONCE_LEN);   /* a guessed proof */
    expect_impostor_refused(answer);
}

Test(auth, a_server_proof_replayed_from_another_connection_is_refused)
{
    uint8_t cnonce[RPC_AUTH_NONCE_LEN], answer[ANSWER_LEN];

    /* Recorded from the real server, for another client nonce. */
    start(TOKEN);
    rpc__auth_nonce(cnonce);
    close(raw_challenge(cnonce, answer));
    expect_impostor_refused(answer);
}

Test(auth, a_non_loopback_address_needs_a_token)
{
    char err[MR_ERR_LEN];
    struct rpc_server_opts with = {.token = (const uint8_t *)TOKEN,
                                   .token_len = strlen(TOKEN)};
    rpc_loop *loop = rpc_loop_create(err);
    Rpctest__Test_Service svc;
    rpc_server *srv;

    rpctest__test__init(&svc, NULL);
    srv = rpc_server_create(loop, &svc.base, NULL, err);
    cr_assert_eq(rpc_server_listen(srv, "tcp:0.0.0.0:0", NULL, 0, err),
                 -EACCES);
    cr_assert(strstr(err, "--token-file"), "%s", err);
    cr_assert_eq(rpc_server_listen(srv, "tcp:127.0.0.1:0", NULL, 0, err), 0,
                 "%s", err);
    rpc_server_free(srv);
    srv = rpc_server_create(loop, &svc.base, &with, err);
    cr_assert_eq(rpc_server_listen(srv, "tcp:0.0.0.0:0", NULL, 0, err), 0,
                 "%s", err);
    rpc_server_free(srv);
    rpc_loop_free(loop);
}
