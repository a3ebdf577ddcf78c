/* One-way requests (rpc_client_notify) against a real server process: the
 * handler runs and no reply comes back, a client without a connection
 * sends nothing, and notifies from another thread racing with calls keep
 * every frame whole. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
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
    cr_assert_eq(tmpdir_create(tmpdir, sizeof(tmpdir), "rpc-notify"), 0);
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

TestSuite(rpc_notify, .init = setup, .fini = teardown, .timeout = 60);

/* A server on addr and a client connected to it (by one call). */
static rpc_client *
connected_client(const char *addr)
{
    char err[MR_ERR_LEN];
    Rpctest__Empty args = RPCTEST__EMPTY__INIT;
    ProtobufCMessage *reply = NULL;
    rpc_client *c;

    server = rpctest_server_spawn(addr, NULL, bound, sizeof(bound));
    cr_assert_gt(server, 0, "server did not start on %s", addr);
    c = rpc_client_create(bound, NULL, err);
    cr_assert_not_null(c, "%s", err);
    cr_assert_eq(rpc_client_call(c, &rpctest__test__descriptor, "Null",
                                 &args.base, &reply), 0,
                 "Null: %s", rpc_client_errmsg(c));
    protobuf_c_message_free_unpacked(reply, NULL);
    return c;
}

/* One Note, one-way, carrying text. */
static int
note(rpc_client *c, const char *text, size_t len)
{
    Rpctest__EchoArgs args = RPCTEST__ECHO_ARGS__INIT;

    args.data.data = (uint8_t *)text;
    args.data.len = len;
    return rpc_client_notify(c, &rpctest__test__descriptor, "Note",
                             &args.base);
}

/* The server's count of Notes, asked with a call: its reply must be the
 * next frame on the connection, or the call fails. */
static Rpctest__NoteCount *
notes(rpc_client *c)
{
    Rpctest__Empty args = RPCTEST__EMPTY__INIT;
    Rpctest__NoteCount *count = NULL;
    int rc = rpc_client_call(c, &rpctest__test__descriptor, "Notes",
                             &args.base, (ProtobufCMessage **)&count);

    cr_assert_eq(rc, 0, "Notes: %s", rpc_client_errmsg(c));
    return count;
}

/* ---------------------------------------------------------------- basics */

Test(rpc_notify, reaches_the_handler_and_gets_no_reply)
{
    rpc_client *c = connected_client(sockaddr_text);
    Rpctest__Empty empty = RPCTEST__EMPTY__INIT;
    Rpctest__NoteCount *count;

    cr_assert_eq(note(c, "hello", 5), 0);
    cr_assert_eq(note(c, "again", 5), 0);
    /* A handler's error is not answered either. */
    cr_assert_eq(rpc_client_notify(c, &rpctest__test__descriptor, "Fail",
                                   &empty.base), 0);
    count = notes(c);
    cr_assert_eq(count->notes, 2);
    cr_assert_eq(count->bytes, 10);
    rpctest__note_count__free_unpacked(count, NULL);
    rpc_client_free(c);
}

/* Reads one whole frame's header from a raw socket (its payload too). */
static void
read_frame(int fd, struct rpc_header *h)
{
    uint8_t buf[RPC_HEADER_LEN + 256];
    size_t have = 0;

    while (have < RPC_HEADER_LEN) {
        ssize_t n = read(fd, buf + have, RPC_HEADER_LEN - have);
        cr_assert_gt(n, 0, "the server closed the connection");
        have += (size_t)n;
    }
    cr_assert_eq(rpc__header_decode(buf, sizeof(buf), h), 0);
    while (have < RPC_PREFIX_LEN + h->length) {
        ssize_t n = read(fd, buf + have, RPC_PREFIX_LEN + h->length - have);
        cr_assert_gt(n, 0, "the server closed the connection");
        have += (size_t)n;
    }
}

Test(rpc_notify, the_first_frame_back_answers_the_call_after_it)
{
    Rpctest__EchoArgs args = RPCTEST__ECHO_ARGS__INIT;
    Rpctest__Empty empty = RPCTEST__EMPTY__INIT;
    uint8_t out[2 * RPC_NOTIFY_MAX];
    size_t len, len2;
    struct rpc_header h;
    int fd;

    server = rpctest_server_spawn(sockaddr_text, NULL, bound, sizeof(bound));
    cr_assert_gt(server, 0);
    fd = rpctest_raw_connect(sockaddr_text);
    cr_assert_geq(fd, 0);
    args.data.data = (uint8_t *)"x";
    args.data.len = 1;
    cr_assert_eq(rpc_client_pack_request(&rpctest__test__descriptor, "Note",
                                         &args.base, out, RPC_NOTIFY_MAX,
                                         &len), 0);
    /* Then Null, id 7, method 0. */
    rpc__header_encode(out + len, RPC_KIND_REQUEST, 0, 7, 0,
                       protobuf_c_message_get_packed_size(&empty.base));
    len2 = RPC_HEADER_LEN + protobuf_c_message_pack(&empty.base,
                                                    out + len +
                                                    RPC_HEADER_LEN);
    cr_assert_eq(write(fd, out, len + len2), (ssize_t)(len + len2));
    read_frame(fd, &h);
    cr_assert_eq(h.kind, RPC_KIND_REPLY);
    cr_assert_eq(h.id, 7, "the first frame back answers request %u", h.id);
    cr_assert_eq(h.status, 0);
    close(fd);
}

Test(rpc_notify, without_a_connection_nothing_is_sent)
{
    char err[MR_ERR_LEN];
    Rpctest__Empty empty = RPCTEST__EMPTY__INIT;
    ProtobufCMessage *reply = NULL;
    struct rpc_client_opts opts = {.call_timeout_ms = 50};
    rpc_client *c;
    Rpctest__NoteCount *count;

    server = rpctest_server_spawn(sockaddr_text, NULL, bound, sizeof(bound));
    cr_assert_gt(server, 0);
    c = rpc_client_create(bound, &opts, err);
    cr_assert_not_null(c, "%s", err);
    /* Never connected: notify does not connect. */
    cr_assert_eq(note(c, "lost", 4), MR_ECONNLOST);
    /* A call that timed out reset the connection. */
    cr_assert_eq(rpc_client_call(c, &rpctest__test__descriptor, "Hang",
                                 &empty.base, &reply), MR_ETIMEDOUT);
    cr_assert_eq(rpc_client_fd(c), -1);
    cr_assert_eq(note(c, "lost", 4), MR_ECONNLOST);
    count = notes(c);   /* on a new connection */
    cr_assert_eq(count->notes, 0);
    rpctest__note_count__free_unpacked(count, NULL);
    rpc_client_free(c);
}

Test(rpc_notify, wrong_method_type_or_size_is_refused)
{
    rpc_client *c = connected_client(sockaddr_text);
    Rpctest__Empty empty = RPCTEST__EMPTY__INIT;
    char big[RPC_NOTIFY_MAX];
    Rpctest__NoteCount *count;

    memset(big, 'b', sizeof(big));
    cr_assert_eq(rpc_client_notify(c, &rpctest__test__descriptor, "Nope",
                                   &empty.base), -EINVAL);
    cr_assert_eq(rpc_client_notify(c, &rpctest__test__descriptor, "Note",
                                   &empty.base), -EINVAL);
    cr_assert_eq(note(c, big, sizeof(big)), MR_ETOOBIG);
    count = notes(c);
    cr_assert_eq(count->notes, 0);
    rpctest__note_count__free_unpacked(count, NULL);
    rpc_client_free(c);
}

/* ---------------------------------------------------------------- threads */

#define RACE_CALLS   2000
#define RACE_NOTES   5000

struct notifier {
    rpc_client *c;
    uint64_t sent, bytes;       /* notifies that went whole */
    uint64_t refused;           /* -EAGAIN: nothing sent */
    int error;                  /* any other result */
};

/* Notes of varying sizes, as fast as they go. */
static void *
notify_many(void *arg)
{
    struct notifier *n = arg;
    char text[256];

    for (int i = 0; i < RACE_NOTES && n->error == 0; i++) {
        size_t len = (size_t)i % sizeof(text);
        int rc;

        memset(text, 'a' + i % 26, len);
        rc = note(n->c, text, len);
        if (rc == 0) {
            n->sent++;
            n->bytes += len;
        } else if (rc == -EAGAIN) {
            n->refused++;
        } else {
            n->error = rc;
        }
    }
    return NULL;
}

/* Echoes of varying sizes, some far larger than a socket's buffer, so
 * that a call's frame takes many send()s; each reply must be its own. */
static void
echo_many(rpc_client *c)
{
    static char data[256 * 1024];

    for (int i = 0; i < RACE_CALLS; i++) {
        Rpctest__EchoArgs args = RPCTEST__ECHO_ARGS__INIT;
        Rpctest__EchoReply *reply = NULL;
        size_t len = i % 100 == 0 ? sizeof(data) : (size_t)(i * 37) % 4096;
        int rc;

        memset(data, 'A' + i % 26, len);
        args.data.data = (uint8_t *)data;
        args.data.len = len;
        rc = rpc_client_call(c, &rpctest__test__descriptor, "Echo",
                             &args.base, (ProtobufCMessage **)&reply);
        cr_assert_eq(rc, 0, "call %d: %s", i, rpc_client_errmsg(c));
        cr_assert_eq(reply->data.len, len, "call %d", i);
        cr_assert(len == 0 || memcmp(reply->data.data, data, len) == 0,
                  "call %d got another call's data", i);
        rpctest__echo_reply__free_unpacked(reply, NULL);
    }
}

static void
race(const char *addr)
{
    rpc_client *c = connected_client(addr);
    struct notifier n = {.c = c};
    Rpctest__NoteCount *count;
    pthread_t thread;

    cr_assert_eq(pthread_create(&thread, NULL, notify_many, &n), 0);
    echo_many(c);
    pthread_join(thread, NULL);
    cr_assert_eq(n.error, 0, "notify: %s", mr_strerror(n.error));
    cr_assert_gt(n.sent, 0);
    count = notes(c);
    cr_assert_eq(count->notes, n.sent, "%llu notes arrived, %llu were sent "
                 "(%llu refused)", (unsigned long long)count->notes,
                 (unsigned long long)n.sent, (unsigned long long)n.refused);
    cr_assert_eq(count->bytes, n.bytes);
    rpctest__note_count__free_unpacked(count, NULL);
    rpc_client_free(c);
}

Test(rpc_notify, racing_with_calls_keeps_every_frame_whole_unix)
{
    race(sockaddr_text);
}

Test(rpc_notify, racing_with_calls_keeps_every_frame_whole_tcp)
{
    race("tcp:127.0.0.1:0");
}
