/* The server's defences against peers that take without giving: a
 * connection cap, and deadlines for a peer that says nothing after
 * connecting or stops in the middle of a frame, while a peer that has
 * spoken may stay idle (a worker waiting for a task). */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frame.h"
#include "rpc.h"
#include "rpctest.pb-c.h"
#include "rpctest_server.h"
#include "tmpdir.h"

#define DEADLINE_MS 200

static char dir[64], addr[128], bound[300];
static pid_t server = -1;

static void
setup(void)
{
    struct rpc_server_opts opts = {.max_conns = 3,
                                   .frame_timeout_ms = DEADLINE_MS};

    signal(SIGPIPE, SIG_IGN);
    cr_assert_eq(tmpdir_create(dir, sizeof(dir), "limits-test"), 0);
    snprintf(addr, sizeof(addr), "unix:%s/sock", dir);
    server = rpctest_server_spawn(addr, &opts, bound, sizeof(bound));
    cr_assert_gt(server, 0);
}

static void
teardown(void)
{
    rpctest_server_stop(server);
    cr_assert_eq(tmpdir_remove(dir), 0);
}

TestSuite(limits, .init = setup, .fini = teardown, .timeout = 60);

static int
raw_connect(void)
{
    int fd = rpctest_raw_connect(addr);

    cr_assert_geq(fd, 0, "cannot connect to %s", addr);
    return fd;
}

/* Sends a Null request on fd and reads its 16-byte reply. */
static void
null_call(int fd, uint32_t id)
{
    uint8_t frame[RPC_HEADER_LEN];
    struct rpc_header h;
    size_t got = 0;

    rpc__header_encode(frame, RPC_KIND_REQUEST, 0, id, 0, 0);
    cr_assert_eq(write(fd, frame, sizeof(frame)), (ssize_t)sizeof(frame));
    while (got < sizeof(frame)) {
        ssize_t n = read(fd, frame + got, sizeof(frame) - got);
        cr_assert_gt(n, 0, "connection closed instead of answering");
        got += (size_t)n;
    }
    cr_assert_eq(rpc__header_decode(frame, 1024, &h), 0);
    cr_assert(h.id == id && h.status == 0);
}

/* True if the server closes fd within ms. */
static bool
closed_within(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char byte;

    if (poll(&p, 1, ms) != 1)
        return false;
    return read(fd, &byte, 1) <= 0;
}

Test(limits, connections_over_the_cap_are_closed)
{
    int a = raw_connect(), b = raw_connect(), c = raw_connect(), d;

    null_call(a, 1);
    null_call(b, 2);
    null_call(c, 3);
    d = raw_connect();          /* the kernel accepts; the server closes */
    cr_assert(closed_within(d, 10000), "a 4th connection was kept");
    close(d);
    /* Once one leaves, there is room again. The call on c comes after the
     * server has seen a's hang-up, so the slot is free by its reply. */
    close(a);
    null_call(c, 4);
    d = raw_connect();
    null_call(d, 5);
    close(b);
    close(c);
    close(d);
}

Test(limits, a_peer_that_never_speaks_is_disconnected)
{
    int silent = raw_connect(), other = raw_connect();

    null_call(other, 1);
    cr_assert(closed_within(silent, 10000), "a silent peer was kept");
    null_call(other, 2);
    close(silent);
    close(other);
}

Test(limits, a_peer_that_stops_mid_frame_is_disconnected)
{
    int fd = raw_connect();

    null_call(fd, 1);
    cr_assert_eq(write(fd, "\0\0\0\x0c\x01", 5), 5);
    cr_assert(closed_within(fd, 10000), "a half-sent frame was waited for");
    close(fd);
}

Test(limits, a_peer_that_has_spoken_may_stay_idle)
{
    int fd = raw_connect();

    null_call(fd, 1);
    /* Idle for several deadlines: still open, still served. */
    cr_assert_not(closed_within(fd, 4 * DEADLINE_MS),
                  "an idle peer that had spoken was disconnected");
    null_call(fd, 2);
    close(fd);
}

Test(limits, a_peer_that_never_reads_its_replies_is_not_read_from)
{
    uint8_t frames[RPC_HEADER_LEN * 1024];
    size_t sent = 0, limit = 64u << 20;
    int fd = raw_connect(), other = raw_connect();

    null_call(other, 1);
    for (size_t i = 0; i < sizeof(frames) / RPC_HEADER_LEN; i++)
        rpc__header_encode(frames + i * RPC_HEADER_LEN, RPC_KIND_REQUEST, 0,
                           (uint32_t)i, 0, 0);
    /* Requests without ever reading a reply: once the unsent replies pass
     * the server's high-water mark it stops reading, and the socket fills
     * up long before 64 MiB of requests. */
    while (sent < limit) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        ssize_t n;
        if (poll(&p, 1, 2000) != 1)
            break;              /* the server stopped reading */
        n = send(fd, frames, sizeof(frames), MSG_DONTWAIT);
        if (n > 0)
            sent += (size_t)n;
    }
    cr_assert_lt(sent, limit, "the server read 64 MiB without replies "
                 "being taken");
    null_call(other, 2);        /* everyone else is still served */
    close(fd);
    close(other);
}

Test(limits, a_peer_closed_while_its_call_is_held_is_cleaned_up)
{
    uint8_t frame[RPC_HEADER_LEN];
    int fd = raw_connect(), other = raw_connect();

    null_call(other, 1);
    /* A held call (Hang), then half a frame: the deadline closes the
     * connection and the server completes the held call as it goes. That
     * once freed the connection twice. */
    rpc__header_encode(frame, RPC_KIND_REQUEST, 2, 7, 0, 0);
    cr_assert_eq(write(fd, frame, sizeof(frame)), (ssize_t)sizeof(frame));
    cr_assert_eq(write(fd, frame, 5), 5);
    cr_assert(closed_within(fd, 10000));
    null_call(other, 2);        /* the server is alive and well */
    close(fd);
    close(other);
}
