/* Malformed frames sent over a real socket: each gets an error reply where
 * one can be framed, then that connection alone is closed, and the server
 * goes on answering everyone else. Also the frame size limit, both sides. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "frame.h"
#include "rpc.h"
#include "rpctest.pb-c.h"
#include "rpctest_server.h"
#include "tmpdir.h"

#define SMALL_MAX (64 * 1024)

static char tmpdir[64];
static char addr[128];
static char bound[300];
static pid_t server = -1;

static void
setup(void)
{
    cr_assert_eq(tmpdir_create(tmpdir, sizeof(tmpdir), "frame-test"), 0);
    snprintf(addr, sizeof(addr), "unix:%s/sock", tmpdir);
    signal(SIGPIPE, SIG_IGN);
    struct rpc_server_opts opts = {.max_frame = SMALL_MAX};

    server = rpctest_server_spawn(addr, &opts, bound, sizeof(bound));
    cr_assert_gt(server, 0);
}

static void
teardown(void)
{
    rpctest_server_stop(server);
    cr_assert_eq(tmpdir_remove(tmpdir), 0);
}

TestSuite(frames, .init = setup, .fini = teardown, .timeout = 60);

static int
raw_connect(void)
{
    int fd = rpctest_raw_connect(addr);

    cr_assert_geq(fd, 0, "cannot connect to %s", addr);
    return fd;
}

static void
send_all(int fd, const void *p, size_t len)
{
    cr_assert_eq(send(fd, p, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Reads until EOF (with a generous deadline); returns the byte count. */
static size_t
read_to_eof(int fd, uint8_t *buf, size_t cap)
{
    size_t got = 0;

    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ssize_t n;
        cr_assert_eq(poll(&p, 1, 10000), 1, "server neither answered nor "
                     "closed the connection");
        n = read(fd, buf + got, cap - got);
        if (n < 0 && errno == ECONNRESET)
            return got;
        cr_assert_geq(n, 0, "read: %s", strerror(errno));
        if (n == 0)
            return got;
        got += (size_t)n;
        cr_assert_lt(got, cap);
    }
}

/* Expects one error reply with this status, then EOF. */
static void
expect_error_then_close(int fd, int status)
{
    uint8_t buf[4096];
    size_t got = read_to_eof(fd, buf, sizeof(buf));
    struct rpc_header h;

    cr_assert_geq(got, RPC_HEADER_LEN, "no error reply (got %zu bytes)", got);
    cr_assert_eq(rpc__header_decode(buf, sizeof(buf), &h), 0);
    cr_assert_eq(h.kind, RPC_KIND_REPLY);
    cr_assert_eq(h.status, status, "status %d (%s), wanted %d (%s)", h.status,
                 mr_strerror(h.status), status, mr_strerror(status));
    cr_assert_eq(got, RPC_PREFIX_LEN + h.length, "more than one frame");
    cr_assert_gt(rpc__payload_len(&h), 0, "error reply without a message");
}

/* Another client, connected before and after, still gets answers. */
static void
expect_server_still_serves(rpc_client *early)
{
    Rpctest__Empty args = RPCTEST__EMPTY__INIT;
    ProtobufCMessage *reply;
    char err[MR_ERR_LEN];
    rpc_client *late = rpc_client_create(addr, NULL, err);

    cr_assert_eq(rpc_client_call(early, &rpctest__test__descriptor, "Null",
                                 &args.base, &reply), 0);
    protobuf_c_message_free_unpacked(reply, NULL);
    cr_assert_eq(rpc_client_call(late, &rpctest__test__descriptor, "Null",
                                 &args.base, &reply), 0,
                 "%s", rpc_client_errmsg(late));
    protobuf_c_message_free_unpacked(reply, NULL);
    rpc_client_free(late);
}

static rpc_client *
connected_client(void)
{
    Rpctest__Empty args = RPCTEST__EMPTY__INIT;
    ProtobufCMessage *reply;
    char err[MR_ERR_LEN];
    rpc_client *c = rpc_client_create(addr, NULL, err);

    cr_assert_eq(rpc_client_call(c, &rpctest__test__descriptor, "Null",
                                 &args.base, &reply), 0);
    protobuf_c_message_free_unpacked(reply, NULL);
    return c;
}

/* Plain arrays, no pointers: Criterion hands parameters to another
 * process. */
struct bad_frame {
    char what[48];
    uint32_t length;
    uint8_t version, kind;
    uint16_t method;
    char payload[8];
    int status;
};

static struct bad_frame bad_frames[] = {
    {"length shorter than the header", 4, 1, 0, 0, "", MR_EBADFRAME},
    {"length of 4 GiB", 0xffffffffu, 1, 0, 0, "", MR_ETOOBIG},
    {"length just over the maximum", SMALL_MAX - 3, 1, 0, 0, "", MR_ETOOBIG},
    {"unknown protocol version", 12, 9, 0, 0, "", MR_EBADVER},
    {"unknown frame kind", 12, 1, 7, 0, "", MR_EBADFRAME},
    {"a reply sent to the server", 12, 1, 1, 0, "", MR_EBADFRAME},
    {"unknown method", 12, 1, 0, 99, "", MR_EBADMETHOD},
    {"payload that does not unpack", 12 + 3, 1, 0, 1, "\x0a\x7f\x01",
     MR_EBADMSG},
};

ParameterizedTestParameters(frames, malformed)
{
    return cr_make_param_array(struct bad_frame, bad_frames,
                               sizeof(bad_frames) / sizeof(bad_frames[0]));
}

ParameterizedTest(struct bad_frame *bf, frames, malformed)
{
    rpc_client *early = connected_client();
    uint8_t frame[64] = {0};
    uint32_t len = htonl(bf->length);
    int fd = raw_connect();

    memcpy(frame, &len, 4);
    frame[4] = bf->version;
    frame[5] = bf->kind;
    frame[6] = (uint8_t)(bf->method >> 8);
    frame[7] = (uint8_t)bf->method;
    frame[11] = 42;     /* request id */
    memcpy(frame + 16, bf->payload, strlen(bf->payload));
    send_all(fd, frame, 16 + strlen(bf->payload));
    expect_error_then_close(fd, bf->status);
    close(fd);
    expect_server_still_serves(early);
    rpc_client_free(early);
}

Test(frames, another_protocol_entirely)
{
    const char *http = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
    rpc_client *early = connected_client();
    int fd = raw_connect();

    /* "GET " read as a length is far over the limit. */
    send_all(fd, http, strlen(http));
    expect_error_then_close(fd, MR_ETOOBIG);
    close(fd);
    expect_server_still_serves(early);
    rpc_client_free(early);
}

Test(frames, truncated_frame_then_hang_up)
{
    rpc_client *early = connected_client();
    uint8_t frame[16];
    int fd = raw_connect();

    rpc__header_encode(frame, RPC_KIND_REQUEST, 0, 1, 0, 100);
    send_all(fd, frame, sizeof(frame));
    send_all(fd, "abc", 3);
    close(fd);
    expect_server_still_serves(early);
    rpc_client_free(early);
}

/* Sends a Sink request whose whole frame is exactly frame_len bytes. */
static int
sink(rpc_client *c, size_t frame_len)
{
    Rpctest__EchoArgs args = RPCTEST__ECHO_ARGS__INIT;
    Rpctest__SinkReply *reply;
    size_t n = frame_len - RPC_HEADER_LEN - 4;   /* tag + 3-byte varint */
    uint8_t *data = calloc(1, n);
    int rc;

    args.data.data = data;
    args.data.len = n;
    cr_assert_eq(protobuf_c_message_get_packed_size(&args.base) +
                 RPC_HEADER_LEN, frame_len, "test arithmetic is off");
    rc = rpc_client_call(c, &rpctest__test__descriptor, "Sink", &args.base,
                         (ProtobufCMessage **)&reply);
    if (rc == 0) {
        cr_assert_eq(reply->size, n);
        rpctest__sink_reply__free_unpacked(reply, NULL);
    }
    free(data);
    return rc;
}

Test(frames, request_exactly_at_the_maximum_is_served)
{
    struct rpc_client_opts opts = {.max_frame = 4 * SMALL_MAX};
    char err[MR_ERR_LEN];
    rpc_client *c = rpc_client_create(addr, &opts, err);

    cr_assert_eq(sink(c, SMALL_MAX), 0, "%s", rpc_client_errmsg(c));
    rpc_client_free(c);
}

Test(frames, request_one_byte_over_the_maximum_is_refused_by_the_server)
{
    struct rpc_client_opts opts = {.max_frame = 4 * SMALL_MAX};
    char err[MR_ERR_LEN];
    rpc_client *c = rpc_client_create(addr, &opts, err);
    rpc_client *other = connected_client();
    int rc = sink(c, SMALL_MAX + 1);

    cr_assert(rc == MR_EREMOTE || rc == MR_ECONNLOST, "rc %d: %s", rc,
              rpc_client_errmsg(c));
    if (rc == MR_EREMOTE)
        cr_assert_eq(rpc_client_remote_status(c), MR_ETOOBIG);
    expect_server_still_serves(other);
    rpc_client_free(other);
    rpc_client_free(c);
}

Test(frames, request_over_the_client_maximum_is_refused_before_sending)
{
    struct rpc_client_opts opts = {.max_frame = SMALL_MAX};
    char err[MR_ERR_LEN];
    rpc_client *c = rpc_client_create(addr, &opts, err);

    cr_assert_eq(sink(c, SMALL_MAX + 1), MR_ETOOBIG);
    cr_assert_eq(sink(c, SMALL_MAX), 0);
    rpc_client_free(c);
}

Test(frames, header_round_trip)
{
    uint8_t buf[RPC_HEADER_LEN];
    struct rpc_header h;

    rpc__header_encode(buf, RPC_KIND_REPLY, 513, 0xdeadbeef, MR_ETIMEDOUT,
                       1000);
    cr_assert_eq(rpc__header_decode(buf, 2000, &h), 0);
    cr_assert_eq(h.length, 1012);
    cr_assert_eq(h.version, RPC_VERSION);
    cr_assert_eq(h.kind, RPC_KIND_REPLY);
    cr_assert_eq(h.method, 513);
    cr_assert_eq(h.id, 0xdeadbeef);
    cr_assert_eq(h.status, MR_ETIMEDOUT);
    cr_assert_eq(rpc__payload_len(&h), 1000);
    cr_assert_eq(rpc__header_decode(buf, 1015, &h), MR_ETOOBIG);
    cr_assert_eq(rpc__header_decode(buf, 1016, &h), 0);
}

/* A field appended to a packed frame (how a dying worker adds its stderr
 * tail to its last words) is part of the message, and the length says
 * so; one that does not fit changes nothing. */
Test(frames, appended_field_is_part_of_the_message)
{
    Rpctest__EchoArgs req = RPCTEST__ECHO_ARGS__INIT, *got;
    const uint8_t field[] = {0x0a, 4, 't', 'a', 'i', 'l'};   /* data */
    uint8_t buf[64];
    struct rpc_header h;
    size_t len, before;

    req.delay_ms = 7;
    cr_assert_eq(rpc_client_pack_request(&rpctest__test__descriptor, "Echo",
                                         &req.base, buf, sizeof(buf), &len),
                 0);
    before = len;
    cr_assert_eq(rpc_client_frame_append(buf, sizeof(buf), &len, field,
                                         sizeof(field)), 0);
    cr_assert_eq(len, before + sizeof(field));
    cr_assert_eq(rpc__header_decode(buf, sizeof(buf), &h), 0);
    cr_assert_eq(rpc__payload_len(&h), len - RPC_HEADER_LEN);
    got = rpctest__echo_args__unpack(NULL, len - RPC_HEADER_LEN,
                                     buf + RPC_HEADER_LEN);
    cr_assert_not_null(got);
    cr_assert_eq(got->delay_ms, 7);
    cr_assert_eq(got->data.len, 4);
    cr_assert_eq(memcmp(got->data.data, "tail", 4), 0);
    rpctest__echo_args__free_unpacked(got, NULL);

    cr_assert_eq(rpc_client_frame_append(buf, len + 3, &len, field,
                                         sizeof(field)), MR_ETOOBIG);
    cr_assert_eq(len, before + sizeof(field));
}
