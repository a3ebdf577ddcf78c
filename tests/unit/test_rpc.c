/* The RPC layer over real sockets and real server processes: round trips on
 * both transports, concurrency, pipelining, deferred replies, deadlines,
 * restarts, every malformed frame, and the frame size limit. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "frame.h"
#include "rpc.h"
#include "rpctest.pb-c.h"
#include "rpctest_server.h"
#include "tmpdir.h"

static char tmpdir[64];
static char sockaddr_text[128];     /* unix:<tmpdir>/sock */
static char bound[300];
static pid_t server = -1;

static void
setup(void)
{
    cr_assert_eq(tmpdir_create(tmpdir, sizeof(tmpdir), "rpc-test"), 0);
    snprintf(sockaddr_text, sizeof(sockaddr_text), "unix:%s/sock", tmpdir);
    signal(SIGPIPE, SIG_IGN);
}

static void
teardown(void)
{
    if (server > 0)
        rpctest_server_stop(server);
    server = -1;
    cr_assert_eq(tmpdir_remove(tmpdir), 0);
}

TestSuite(rpc, .init = setup, .fini = teardown, .timeout = 60);

static void
start_server(const char *addr, size_t max_frame)
{
    struct rpc_server_opts opts = {.max_frame = max_frame};

    server = rpctest_server_spawn(addr, &opts, bound, sizeof(bound));
    cr_assert_gt(server, 0, "server did not start on %s", addr);
}

static rpc_client *
client_for(const char *addr, int connect_ms, int call_ms, size_t max_frame)
{
    struct rpc_client_opts opts = {.connect_timeout_ms = connect_ms,
                                   .call_timeout_ms = call_ms,
                                   .max_frame = max_frame};
    char err[MR_ERR_LEN];
    rpc_client *c = rpc_client_create(addr, &opts, err);

    cr_assert_not_null(c, "%s", err);
    return c;
}

/* Echoes text and checks the reply; returns the server's pid. */
static uint32_t
echo(rpc_client *c, const char *text, uint32_t delay_ms)
{
    Rpctest__EchoArgs args = RPCTEST__ECHO_ARGS__INIT;
    Rpctest__EchoReply *reply;
    int rc;
    uint32_t pid;

    args.data.data = (uint8_t *)text;
    args.data.len = strlen(text);
    args.delay_ms = delay_ms;
    rc = rpc_client_call(c, &rpctest__test__descriptor, "Echo", &args.base,
                         (ProtobufCMessage **)&reply);
    cr_assert_eq(rc, 0, "Echo failed: %s", rpc_client_errmsg(c));
    cr_assert_eq(reply->data.len, strlen(text));
    if (reply->data.len > 0)
        cr_assert_arr_eq(reply->data.data, text, strlen(text));
    pid = reply->server_pid;
    rpctest__echo_reply__free_unpacked(reply, NULL);
    return pid;
}

static int
call_empty(rpc_client *c, const char *method, int timeout_ms)
{
    Rpctest__Empty args = RPCTEST__EMPTY__INIT;
    ProtobufCMessage *reply = NULL;
    int rc = rpc_client_call_timeout(c, &rpctest__test__descriptor, method,
                                     &args.base, &reply, timeout_ms);

    if (reply)
        protobuf_c_message_free_unpacked(reply, NULL);
    return rc;
}

/* ---------------------------------------------------------------- basics */

Test(rpc, round_trip_unix)
{
    rpc_client *c;
    struct stat st;

    start_server(sockaddr_text, 0);
    cr_assert_str_eq(bound, sockaddr_text);
    cr_assert_eq(stat(sockaddr_text + 5, &st), 0);
    cr_assert(S_ISSOCK(st.st_mode));
    cr_assert_eq(st.st_mode & 0777, 0600, "socket mode is %o",
                 st.st_mode & 0777);
    c = client_for(sockaddr_text, 0, 0, 0);
    cr_assert_eq(echo(c, "hello", 0), (uint32_t)server);
    cr_assert_eq(echo(c, "", 0), (uint32_t)server);
    cr_assert_eq(call_empty(c, "Null", 1000), 0);
    rpc_client_free(c);
}

Test(rpc, round_trip_tcp_on_a_port_chosen_by_the_kernel)
{
    rpc_client *c;

    start_server("tcp:127.0.0.1:0", 0);
    cr_assert(strncmp(bound, "tcp:127.0.0.1:", 14) == 0, "bound %s", bound);
    cr_assert_neq(atoi(bound + 14), 0);
    c = client_for(bound, 0, 0, 0);
    cr_assert_eq(echo(c, "over tcp", 0), (uint32_t)server);
    rpc_client_free(c);
}

Test(rpc, tcp_without_a_host_binds_loopback)
{
    start_server("tcp::0", 0);
    cr_assert(strncmp(bound, "tcp:127.0.0.1:", 14) == 0, "bound %s", bound);
}

Test(rpc, socket_file_is_removed_at_shutdown)
{
    start_server(sockaddr_text, 0);
    cr_assert_eq(WEXITSTATUS(rpctest_server_stop(server)), 0);
    server = -1;
    cr_assert_eq(access(sockaddr_text + 5, F_OK), -1);
}

Test(rpc, server_error_reply_is_told_apart)
{
    rpc_client *c;

    start_server(sockaddr_text, 0);
    c = client_for(sockaddr_text, 0, 0, 0);
    cr_assert_eq(call_empty(c, "Fail", 1000), MR_EREMOTE);
    cr_assert_eq(rpc_client_remote_status(c), MR_EAPP);
    cr_assert(strstr(rpc_client_errmsg(c), "deliberate failure"),
              "%s", rpc_client_errmsg(c));
    /* The connection is still good after an error reply. */
    cr_assert_eq(echo(c, "still here", 0), (uint32_t)server);
    rpc_client_free(c);
}

Test(rpc, wrong_method_or_type_is_refused_before_sending)
{
    Rpctest__Empty args = RPCTEST__EMPTY__INIT;
    ProtobufCMessage *reply;
    rpc_client *c;

    start_server(sockaddr_text, 0);
    c = client_for(sockaddr_text, 0, 0, 0);
    cr_assert_eq(rpc_client_call(c, &rpctest__test__descriptor, "Nope",
                                 &args.base, &reply), -EINVAL);
    cr_assert_eq(rpc_client_call(c, &rpctest__test__descriptor, "Echo",
                                 &args.base, &reply), -EINVAL);
    cr_assert(strstr(rpc_client_errmsg(c), "takes a"));
    rpc_client_free(c);
}

/* ---------------------------------------------------------------- load */

Test(rpc, many_concurrent_clients)
{
    enum { CLIENTS = 16, CALLS = 300 };
    pid_t kids[CLIENTS];

    start_server(sockaddr_text, 0);
    for (int k = 0; k < CLIENTS; k++) {
        kids[k] = fork();
        cr_assert_geq(kids[k], 0);
        if (kids[k] == 0) {
            rpc_client *c = client_for(sockaddr_text, 0, 0, 0);
            char text[64];
            for (int i = 0; i < CALLS; i++) {
                snprintf(text, sizeof(text), "client %d call %d", k, i);
                echo(c, text, 0);
            }
            rpc_client_free(c);
            _exit(0);
        }
    }
    for (int k = 0; k < CLIENTS; k++) {
        int status;
        cr_assert_eq(waitpid(kids[k], &status, 0), kids[k]);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "client %d failed (status %#x)", k, status);
    }
}

Test(rpc, pipelined_requests_on_one_connection)
{
    enum { N = 40 };
    Rpctest__EchoArgs args = RPCTEST__ECHO_ARGS__INIT;
    uint32_t ids[N];
    char text[N][32];
    rpc_client *c;

    start_server(sockaddr_text, 0);
    c = client_for(sockaddr_text, 0, 5000, 0);
    for (int i = 0; i < N; i++) {
        snprintf(text[i], sizeof(text[i]), "request %d", i);
        args.data.data = (uint8_t *)text[i];
        args.data.len = strlen(text[i]);
        args.delay_ms = (uint32_t)(i % 3) * 20;   /* answered out of order */
        cr_assert_eq(rpc_client_send(c, &rpctest__test__descriptor, "Echo",
                                     &args.base, &ids[i]), 0);
    }
    for (int i = N - 1; i >= 0; i--) {
        Rpctest__EchoReply *reply;
        cr_assert_eq(rpc_client_wait(c, ids[i], (ProtobufCMessage **)&reply,
                                     5000), 0, "%s", rpc_client_errmsg(c));
        cr_assert_eq(reply->data.len, strlen(text[i]));
        cr_assert_arr_eq(reply->data.data, text[i], strlen(text[i]));
        rpctest__echo_reply__free_unpacked(reply, NULL);
    }
    rpc_client_free(c);
}

/* Replies that come in one read are all kept: waiting for the second must
 * not wait on the socket for what is already in the buffer. */
Test(rpc, replies_read_together_are_each_found)
{
    enum { N = 64 };
    Rpctest__EchoArgs args = RPCTEST__ECHO_ARGS__INIT;
    uint32_t ids[N];
    rpc_client *c;

    start_server(sockaddr_text, 0);
    c = client_for(sockaddr_text, 0, 5000, 0);
    args.data.data = (uint8_t *)"x";
    args.data.len = 1;
    for (int i = 0; i < N; i++)
        cr_assert_eq(rpc_client_send(c, &rpctest__test__descriptor, "Echo",
                                     &args.base, &ids[i]), 0);
    for (int i = 0; i < N; i++) {
        Rpctest__EchoReply *reply;
        cr_assert_eq(rpc_client_wait(c, ids[i], (ProtobufCMessage **)&reply,
                                     2000), 0, "reply %d: %s", i,
                     rpc_client_errmsg(c));
        rpctest__echo_reply__free_unpacked(reply, NULL);
    }
    rpc_client_free(c);
}

Test(rpc, deferred_reply_does_not_hold_up_later_calls)
{
    Rpctest__EchoArgs args = RPCTEST__ECHO_ARGS__INIT;
    Rpctest__Empty empty = RPCTEST__EMPTY__INIT;
    ProtobufCMessage *reply;
    uint32_t late, quick;
    rpc_client *c, *other;

    start_server(sockaddr_text, 0);
    c = client_for(sockaddr_text, 0, 5000, 0);
    args.data.data = (uint8_t *)"late";
    args.data.len = 4;
    args.delay_ms = 300;
    cr_assert_eq(rpc_client_send(c, &rpctest__test__descriptor, "Echo",
                                 &args.base, &late), 0);
    cr_assert_eq(rpc_client_send(c, &rpctest__test__descriptor, "Null",
                                 &empty.base, &quick), 0);
    /* The quick reply comes first on the same connection, and another
     * client is served while the deferred call is pending. */
    other = client_for(sockaddr_text, 0, 5000, 0);
    cr_assert_eq(echo(other, "meanwhile", 0), (uint32_t)server);
    cr_assert_eq(rpc_client_wait(c, quick, &reply, 5000), 0);
    protobuf_c_message_free_unpacked(reply, NULL);
    cr_assert_eq(rpc_client_wait(c, late, &reply, 5000), 0);
    cr_assert_eq(((Rpctest__EchoReply *)reply)->data.len, 4);
    protobuf_c_message_free_unpacked(reply, NULL);
    rpc_client_free(c);
    rpc_client_free(other);
}

/* ---------------------------------------------------------------- faults */

Test(rpc, deadline_fires_when_the_server_never_answers)
{
    rpc_client *c;

    start_server(sockaddr_text, 0);
    c = client_for(sockaddr_text, 0, 0, 0);
    cr_assert_eq(call_empty(c, "Hang", 200), MR_ETIMEDOUT);
    cr_assert(strstr(rpc_client_errmsg(c), "no reply"));
    /* The client reconnects for the next call. */
    cr_assert_eq(echo(c, "after timeout", 0), (uint32_t)server);
    rpc_client_free(c);
}

Test(rpc, connect_failure_is_told_apart)
{
    rpc_client *c = client_for(sockaddr_text, 50, 0, 0);

    cr_assert_eq(call_empty(c, "Null", 1000), MR_ECONNECT);
    cr_assert(strstr(rpc_client_errmsg(c), "could not connect"));
    rpc_client_free(c);
}

Test(rpc, connection_lost_mid_call_is_told_apart)
{
    Rpctest__Empty args = RPCTEST__EMPTY__INIT;
    ProtobufCMessage *reply;
    rpc_client *c, *other;
    uint32_t id;

    start_server(sockaddr_text, 0);
    c = client_for(sockaddr_text, 0, 0, 0);
    cr_assert_eq(rpc_client_send(c, &rpctest__test__descriptor, "Hang",
                                 &args.base, &id), 0);
    /* Once another call is answered, the Hang request has surely arrived.
     * Then kill the server outright: no goodbye, no reply. */
    other = client_for(sockaddr_text, 0, 0, 0);
    cr_assert_eq(echo(other, "sync", 0), (uint32_t)server);
    rpc_client_free(other);
    kill(server, SIGKILL);
    waitpid(server, NULL, 0);
    server = -1;
    cr_assert_eq(rpc_client_wait(c, id, &reply, 5000), MR_ECONNLOST);
    rpc_client_free(c);
}

Test(rpc, client_reconnects_after_a_server_restart)
{
    rpc_client *c;
    uint32_t first, second;

    start_server(sockaddr_text, 0);
    c = client_for(sockaddr_text, 5000, 5000, 0);
    first = echo(c, "before", 0);
    /* A crash leaves the socket file behind: the next server replaces it. */
    kill(server, SIGKILL);
    waitpid(server, NULL, 0);
    cr_assert_eq(access(sockaddr_text + 5, F_OK), 0);
    start_server(sockaddr_text, 0);
    second = echo(c, "after", 0);
    cr_assert_neq(first, second);
    cr_assert_eq(second, (uint32_t)server);
    rpc_client_free(c);
}

Test(rpc, client_waits_for_a_server_that_starts_late)
{
    pid_t kid;
    int status;

    kid = fork();
    cr_assert_geq(kid, 0);
    if (kid == 0) {
        rpc_client *c = client_for(sockaddr_text, 10000, 5000, 0);
        echo(c, "patience", 0);
        _exit(0);
    }
    start_server(sockaddr_text, 0);
    cr_assert_eq(waitpid(kid, &status, 0), kid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

Test(rpc, live_server_on_the_same_path_is_refused)
{
    char err[MR_ERR_LEN];
    rpc_loop *loop;
    rpc_server *srv;
    rpc_client *c;
    Rpctest__Test_Service svc;

    rpctest__test__init(&svc, NULL);
    start_server(sockaddr_text, 0);
    loop = rpc_loop_create(err);
    srv = rpc_server_create(loop, &svc.base, NULL, err);
    cr_assert_eq(rpc_server_listen(srv, sockaddr_text, NULL, 0, err),
                 -EADDRINUSE);
    cr_assert(strstr(err, "already listening"), "%s", err);
    rpc_server_free(srv);
    rpc_loop_free(loop);
    /* The refused server left the live one's socket alone. */
    c = client_for(sockaddr_text, 0, 0, 0);
    cr_assert_eq(echo(c, "ok", 0), (uint32_t)server);
    rpc_client_free(c);
}

Test(rpc, a_file_that_is_not_a_socket_is_never_replaced)
{
    char err[MR_ERR_LEN], path[128];
    rpc_loop *loop = rpc_loop_create(err);
    Rpctest__Test_Service svc;
    rpc_server *srv;
    FILE *f;

    rpctest__test__init(&svc, NULL);
    srv = rpc_server_create(loop, &svc.base, NULL, err);
    snprintf(path, sizeof(path), "%s/sock", tmpdir);
    f = fopen(path, "w");
    fputs("precious", f);
    fclose(f);
    cr_assert_lt(rpc_server_listen(srv, sockaddr_text, NULL, 0, err), 0);
    cr_assert(strstr(err, "not a socket"), "%s", err);
    cr_assert_eq(access(path, F_OK), 0);
    rpc_server_free(srv);
    rpc_loop_free(loop);
}

Test(rpc, bad_addresses_get_a_clear_error)
{
    const char *bad[] = {"sock", "unix:", "tcp:127.0.0.1:99999",
                         "tcp:127.0.0.1:x", "http://x"};
    char err[MR_ERR_LEN];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        cr_assert_null(rpc_client_create(bad[i], NULL, err), "%s", bad[i]);
        cr_assert_neq(err[0], '\0', "no message for %s", bad[i]);
    }
}
