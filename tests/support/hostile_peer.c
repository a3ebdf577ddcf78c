/* hostile_peer: a misbehaving client of a live coordinator, for
 * tests/job/test-hostile.sh. Each mode prints one "PASS name" or
 * "FAIL name: why" line per check and exits 1 if any failed.
 *
 *   attack ADDR SILENT   holds SILENT silent connections while sending
 *                        malformed and foreign bytes, each on a connection
 *                        of its own; checks each is answered as
 *                        docs/protocol.md says, and that a valid request
 *                        is answered meanwhile
 *   lie ADDR HELD NMAP NREDUCE
 *                        reports tasks it was never given as done (map
 *                        HELD attempt 1 among them) and absurd reports;
 *                        checks every one is refused with an error
 *   hold ADDR APP.so     joins as a worker running APP.so, takes one
 *                        task, prints "held map ID attempt A", and keeps
 *                        it until killed, beating as a live worker does
 *                        (worker/heartbeat.h)
 *   conns ADDR N CAP     opens N connections to a server capped at CAP;
 *                        checks the extra ones are closed at once and a
 *                        slot is served again once one closes */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "app.h"
#include "frame.h"
#include "heartbeat.h"
#include "mr.pb-c.h"
#include "rpc.h"

#define REPLY_MS     5000   /* a reply later than this means a stall */
#define CLOSE_MS     20000  /* the server's frame deadline is 10 s */
#define METHOD_REPORT 1     /* ReportTask's index in mr.Coordinator */

static int failures;

static void pass(const char *name, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void fail(const char *name, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---------------------------------------------------------------- output */

static void
pass(const char *name, const char *fmt, ...)
{
    char detail[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    printf("PASS %s%s%s%s\n", name, detail[0] ? " (" : "", detail,
           detail[0] ? ")" : "");
    fflush(stdout);
}

static void
fail(const char *name, const char *fmt, ...)
{
    char why[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    printf("FAIL %s: %s\n", name, why);
    fflush(stdout);
    failures++;
}

static uint64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------- sockets */

/* A blocking stream socket connected to addr, or -1. */
static int
raw_connect(const char *text)
{
    struct rpc_addr addr;
    char err[MR_ERR_LEN];
    int fd;

    if (rpc__addr_parse(text, &addr, err) < 0) {
        fprintf(stderr, "hostile_peer: %s\n", err);
        return -1;
    }
    fd = socket(addr.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (const struct sockaddr *)&addr.sa,
                           addr.salen) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends what the peer takes; a peer that hangs up early is not an error
 * here (the checks look at what it answered). */
static void
send_some(int fd, const void *p, size_t len)
{
    const uint8_t *b = p;

    while (len > 0) {
        ssize_t n = send(fd, b, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        b += n;
        len -= (size_t)n;
    }
}

/* True when the peer has closed fd (EOF or reset is waiting). */
static bool
is_closed(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char c;

    if (poll(&p, 1, 0) != 1)
        return false;
    return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
}

/* A request header with every field given, for breaking them one by one. */
static size_t
header(uint8_t *buf, uint32_t length, uint8_t version, uint8_t kind,
       uint16_t method)
{
    rpc__header_encode(buf, RPC_KIND_REQUEST, method, 7, 0, 0);
    buf[0] = (uint8_t)(length >> 24);
    buf[1] = (uint8_t)(length >> 16);
    buf[2] = (uint8_t)(length >> 8);
    buf[3] = (uint8_t)length;
    buf[4] = version;
    buf[5] = kind;
    return RPC_HEADER_LEN;
}

/* ---------------------------------------------------------------- attack */

/* One hostile sending: the bytes, and what the server must answer. */
struct attack {
    const char *name;
    size_t (*build)(uint8_t *buf, size_t cap);
    int status;         /* error reply wanted before the close; 0: any */
    bool hang_up;       /* we close at once: only the server's log tells */
    int fd;
    uint8_t got[512];   /* the start of what came back */
    size_t ngot;
    bool closed;
};

static size_t
build_random(uint8_t *buf, size_t cap)
{
    uint64_t x = 0x9e3779b97f4a7c15u;   /* fixed: the same bytes each run */

    for (size_t i = 0; i < cap; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (uint8_t)x;
    }
    return cap;
}

static size_t
build_4gib(uint8_t *buf, size_t cap)
{
    (void)cap;
    return header(buf, 0xffffffffu, RPC_VERSION, RPC_KIND_REQUEST,
                  METHOD_REPORT);
}

/* Over the coordinator's 64 KiB request limit, under the RPC default of
 * 1 MiB: refused before a buffer for it is allocated. */
static size_t
build_200k(uint8_t *buf, size_t cap)
{
    (void)cap;
    return header(buf, 200000, RPC_VERSION, RPC_KIND_REQUEST, METHOD_REPORT);
}

static size_t
build_zero_length(uint8_t *buf, size_t cap)
{
    (void)cap;
    return header(buf, 0, RPC_VERSION, RPC_KIND_REQUEST, METHOD_REPORT);
}

static size_t
build_short_length(uint8_t *buf, size_t cap)
{
    (void)cap;
    return header(buf, 11, RPC_VERSION, RPC_KIND_REQUEST, METHOD_REPORT);
}

static size_t
build_bad_version(uint8_t *buf, size_t cap)
{
    (void)cap;
    return header(buf, 12, 9, RPC_KIND_REQUEST, METHOD_REPORT);
}

static size_t
build_reply_kind(uint8_t *buf, size_t cap)
{
    (void)cap;
    return header(buf, 12, RPC_VERSION, RPC_KIND_REPLY, METHOD_REPORT);
}

static size_t
build_unknown_kind(uint8_t *buf, size_t cap)
{
    (void)cap;
    return header(buf, 12, RPC_VERSION, 7, METHOD_REPORT);
}

static size_t
build_unknown_method(uint8_t *buf, size_t cap)
{
    (void)cap;
    /* One past the last method of mr.Coordinator. */
    return header(buf, 12, RPC_VERSION, RPC_KIND_REQUEST,
                  (uint16_t)mr__coordinator__descriptor.n_methods);
}

static size_t
build_method_65535(uint8_t *buf, size_t cap)
{
    (void)cap;
    return header(buf, 12, RPC_VERSION, RPC_KIND_REQUEST, 0xffff);
}

/* 32 bytes of 0xff: an over-long varint, so no message unpacks from it. */
static size_t
garbage(uint8_t *buf, uint16_t method)
{
    size_t n = header(buf, 12 + 32, RPC_VERSION, RPC_KIND_REQUEST, method);

    memset(buf + n, 0xff, 32);
    return n + 32;
}

static size_t
build_garbage_report(uint8_t *buf, size_t cap)
{
    (void)cap;
    return garbage(buf, METHOD_REPORT);
}

static size_t
build_garbage_get_task(uint8_t *buf, size_t cap)
{
    (void)cap;
    return garbage(buf, 0);
}

static size_t
text(uint8_t *buf, size_t cap, const char *s)
{
    size_t n = strlen(s) < cap ? strlen(s) : cap;

    memcpy(buf, s, n);
    return n;
}

static size_t
build_http_get(uint8_t *buf, size_t cap)
{
    return text(buf, cap, "GET / HTTP/1.1\r\nHost: localhost\r\n"
                "User-Agent: hostile_peer\r\n\r\n");
}

static size_t
build_ssh_banner(uint8_t *buf, size_t cap)
{
    return text(buf, cap, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n");
}

/* A header promising 100 payload bytes, then 50 of them. */
static size_t
build_truncated(uint8_t *buf, size_t cap)
{
    size_t n = header(buf, 12 + 100, RPC_VERSION, RPC_KIND_REQUEST,
                      METHOD_REPORT);

    (void)cap;
    memset(buf + n, 0x08, 50);
    return n + 50;
}

static size_t
build_truncated_header(uint8_t *buf, size_t cap)
{
    (void)cap;
    header(buf, 12, RPC_VERSION, RPC_KIND_REQUEST, METHOD_REPORT);
    return 7;
}

/* As build_truncated, but the connection then stays open and silent. */
static size_t
build_silent_mid_frame(uint8_t *buf, size_t cap)
{
    size_t n = header(buf, 12 + 100, RPC_VERSION, RPC_KIND_REQUEST,
                      METHOD_REPORT);

    (void)cap;
    memset(buf + n, 0x08, 10);
    return n + 10;
}

/* A request that is valid, then half of another: a connection that has
 * spoken, then stopped mid-frame. */
static size_t
build_silent_mid_second_frame(uint8_t *buf, size_t cap)
{
    size_t n = header(buf, 12, RPC_VERSION, RPC_KIND_REQUEST, METHOD_REPORT);

    return n + build_silent_mid_frame(buf + n, cap - n);
}

static struct attack attacks[] = {
    {"random_bytes", build_random, 0, false, -1, {0}, 0, false},
    {"length_4gib", build_4gib, MR_ETOOBIG, false, -1, {0}, 0, false},
    {"length_200k", build_200k, MR_ETOOBIG, false, -1, {0}, 0, false},
    {"zero_length", build_zero_length, MR_EBADFRAME, false, -1, {0}, 0,
     false},
    {"short_length", build_short_length, MR_EBADFRAME, false, -1, {0}, 0,
     false},
    {"bad_version", build_bad_version, MR_EBADVER, false, -1, {0}, 0, false},
    {"reply_sent_to_server", build_reply_kind, MR_EBADFRAME, false, -1, {0},
     0, false},
    {"unknown_kind", build_unknown_kind, MR_EBADFRAME, false, -1, {0}, 0,
     false},
    {"unknown_method", build_unknown_method, MR_EBADMETHOD, false, -1, {0},
     0, false},
    {"method_65535", build_method_65535, MR_EBADMETHOD, false, -1, {0}, 0,
     false},
    {"garbage_report", build_garbage_report, MR_EBADMSG, false, -1, {0}, 0,
     false},
    {"garbage_get_task", build_garbage_get_task, MR_EBADMSG, false, -1, {0},
     0, false},
    {"http_get", build_http_get, MR_ETOOBIG, false, -1, {0}, 0, false},
    {"ssh_banner", build_ssh_banner, MR_ETOOBIG, false, -1, {0}, 0, false},
    {"silent_mid_frame", build_silent_mid_frame, 0, false, -1, {0}, 0,
     false},
    {"silent_mid_second_frame", build_silent_mid_second_frame, -EINVAL,
     false, -1, {0}, 0, false},
    {"truncated_then_closed", build_truncated, 0, true, -1, {0}, 0, false},
    {"truncated_header_then_closed", build_truncated_header, 0, true, -1,
     {0}, 0, false},
};
#define NATTACKS (sizeof(attacks) / sizeof(attacks[0]))

static const char *
status_name(int status)
{
    if (mr_err_name(status) != NULL)
        return mr_err_name(status);
    return status == -EINVAL ? "EINVAL" : status == -EPERM ? "EPERM"
                                                           : "another";
}

/* Status of the error reply at the start of a->got, or 0 if none. */
static int
reply_status(const struct attack *a)
{
    const uint8_t *h = a->got;

    if (a->ngot < RPC_HEADER_LEN || h[5] != RPC_KIND_REPLY)
        return 0;
    return (int32_t)((uint32_t)h[12] << 24 | (uint32_t)h[13] << 16 |
                     (uint32_t)h[14] << 8 | h[15]);
}

/* Reads every attack's connection until the server closes it, or until
 * CLOSE_MS have passed. */
static void
collect_replies(void)
{
    uint64_t deadline = now_ms() + CLOSE_MS;

    for (;;) {
        struct pollfd p[NATTACKS];
        size_t n = 0, map[NATTACKS];
        uint64_t now = now_ms();

        for (size_t i = 0; i < NATTACKS; i++)
            if (attacks[i].fd >= 0 && !attacks[i].closed) {
                p[n] = (struct pollfd){.fd = attacks[i].fd, .events = POLLIN};
                map[n++] = i;
            }
        if (n == 0 || now >= deadline)
            return;
        if (poll(p, n, (int)(deadline - now)) <= 0)
            continue;
        for (size_t k = 0; k < n; k++) {
            struct attack *a = &attacks[map[k]];
            uint8_t sink[4096];
            ssize_t r;
            if (p[k].revents == 0)
                continue;
            r = read(a->fd, sink, sizeof(sink));
            if (r <= 0) {
                a->closed = r == 0 || errno != EINTR;
                continue;
            }
            for (ssize_t j = 0; j < r && a->ngot < sizeof(a->got); j++)
                a->got[a->ngot++] = sink[j];
        }
    }
}

static void
judge_attack(const struct attack *a)
{
    int status = reply_status(a);

    if (a->hang_up)
        pass(a->name, "sent, then hung up");
    else if (!a->closed)
        fail(a->name, "still open %d s later", CLOSE_MS / 1000);
    else if (a->status != 0 && status != a->status)
        fail(a->name, "closed after %s, wanted an error reply %s",
             status ? status_name(status) : "no error reply",
             status_name(a->status));
    else if (a->status != 0)
        pass(a->name, "error reply %s, then closed", status_name(status));
    else if (strcmp(a->name, "silent_mid_frame") == 0 && a->ngot > 0)
        fail(a->name, "got %zu bytes back for half a frame", a->ngot);
    else
        pass(a->name, "closed%s%s", status ? " after " : "",
             status ? status_name(status) : "");
}

/* A report for no task, a valid request with no side effect: how long the
 * answer takes. Returns the ms, or -1 with why filled. */
static long
probe(const char *addr, char *why, size_t len)
{
    struct rpc_client_opts o = {.connect_timeout_ms = REPLY_MS,
                                .call_timeout_ms = REPLY_MS};
    Mr__TaskReport rep = MR__TASK_REPORT__INIT;
    ProtobufCMessage *reply = NULL;
    char err[MR_ERR_LEN];
    rpc_client *c = rpc_client_create(addr, &o, err);
    uint64_t t0 = now_ms();
    long ms;
    int rc;

    if (c == NULL) {
        snprintf(why, len, "%s", err);
        return -1;
    }
    rep.kind = MR__TASK_KIND__TASK_MAP;
    rep.id = UINT32_MAX;
    rep.attempt = 1;
    rep.ok = true;
    rc = rpc_client_call(c, &mr__coordinator__descriptor, "ReportTask",
                         &rep.base, &reply);
    ms = (long)(now_ms() - t0);
    if (reply != NULL)
        protobuf_c_message_free_unpacked(reply, NULL);
    if (rc != MR_EREMOTE || rpc_client_remote_status(c) != -EINVAL) {
        snprintf(why, len, "wanted an EINVAL error reply within %d ms, "
                 "got: %s", REPLY_MS, rpc_client_errmsg(c));
        ms = -1;
    }
    rpc_client_free(c);
    return ms;
}

/* 100 header-only ReportTask frames on one connection: each is a valid,
 * empty request; each must get its own error reply, and the connection
 * must stay open. */
static void
empty_frames(const char *addr)
{
    enum { N = 100 };
    uint8_t buf[N * RPC_HEADER_LEN], in[N * 128];
    size_t len = 0, got = 0, replies = 0, bad = 0;
    uint64_t deadline = now_ms() + REPLY_MS;
    int fd = raw_connect(addr);

    if (fd < 0) {
        fail("empty_frames", "cannot connect to %s", addr);
        return;
    }
    for (int i = 0; i < N; i++)
        len += header(buf + len, 12, RPC_VERSION, RPC_KIND_REQUEST,
                      METHOD_REPORT);
    send_some(fd, buf, len);
    /* Error replies are a header and a short message: parse as they come. */
    while (replies < N && now_ms() < deadline) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ssize_t r;
        if (poll(&p, 1, (int)(deadline - now_ms())) <= 0)
            continue;
        r = read(fd, in + got, sizeof(in) - got);
        if (r <= 0)
            break;
        got += (size_t)r;
        while (got >= RPC_HEADER_LEN) {
            uint32_t flen = (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 |
                            (uint32_t)in[2] << 8 | in[3];
            size_t whole = RPC_PREFIX_LEN + flen;
            int32_t status = (int32_t)((uint32_t)in[12] << 24 |
                                       (uint32_t)in[13] << 16 |
                                       (uint32_t)in[14] << 8 | in[15]);
            if (flen < 12 || whole > sizeof(in)) {
                bad++;
                got = 0;
                break;
            }
            if (got < whole)
                break;
            replies++;
            bad += status != -EINVAL;
            memmove(in, in + whole, got - whole);
            got -= whole;
        }
    }
    if (replies != N || bad != 0)
        fail("empty_frames", "%zu of %d replies, %zu not EINVAL", replies, N,
             bad);
    else if (is_closed(fd))
        fail("empty_frames", "the connection was closed");
    else
        pass("empty_frames", "%d error replies, connection kept", N);
    close(fd);
}

static int
mode_attack(const char *addr, int nsilent)
{
    static uint8_t buf[4096];
    int *silent = calloc((size_t)nsilent, sizeof(int));
    int opened = 0, dropped = 0;
    char why[MR_ERR_LEN + 64];
    long ms;

    if (silent == NULL)
        return 1;
    for (int i = 0; i < nsilent; i++)
        if ((silent[i] = raw_connect(addr)) >= 0)
            opened++;
    if (opened != nsilent)
        fail("silent_connections_opened", "%d of %d", opened, nsilent);
    else
        pass("silent_connections_opened", "%d", opened);
    for (size_t i = 0; i < NATTACKS; i++) {
        struct attack *a = &attacks[i];
        size_t n = a->build(buf, sizeof(buf));
        if ((a->fd = raw_connect(addr)) < 0) {
            fail(a->name, "cannot connect to %s", addr);
            continue;
        }
        send_some(a->fd, buf, n);
        if (a->hang_up) {
            close(a->fd);
            a->fd = -1;
        }
    }
    empty_frames(addr);
    /* Everything above is pending or done; the loop must still answer. */
    ms = probe(addr, why, sizeof(why));
    for (int i = 0; i < nsilent; i++)
        dropped += silent[i] >= 0 && is_closed(silent[i]);
    if (ms < 0)
        fail("valid_request_answered", "%s", why);
    else
        pass("valid_request_answered", "in %ld ms, %d silent connections "
             "open", ms, opened - dropped);
    if (dropped > 0)
        fail("silent_connections_held", "%d dropped before the probe",
             dropped);
    else
        pass("silent_connections_held", "all %d open during the probe",
             opened);
    collect_replies();
    for (size_t i = 0; i < NATTACKS; i++)
        judge_attack(&attacks[i]);
    for (int i = 0; i < nsilent; i++)
        if (silent[i] >= 0)
            close(silent[i]);
    free(silent);
    return failures ? 1 : 0;
}

/* ---------------------------------------------------------------- lie */

/* Lies of one kind, and how many were refused as they should be. */
struct lies {
    const char *name;
    unsigned told, refused;
    char first[300];            /* the first that was not refused */
};

/* Sends rep and wants it refused with an error reply: status want, or
 * either -EPERM or -EINVAL when want is 0. */
static void
tell(rpc_client *c, struct lies *l, Mr__TaskReport *rep, int want)
{
    ProtobufCMessage *reply = NULL;
    int rc = rpc_client_call(c, &mr__coordinator__descriptor, "ReportTask",
                             &rep->base, &reply);
    int status = rpc_client_remote_status(c);
    bool ok = rc == MR_EREMOTE &&
              (want != 0 ? status == want
                         : status == -EPERM || status == -EINVAL);

    l->told++;
    l->refused += ok;
    if (!ok && l->first[0] == '\0' && rc == 0)
        snprintf(l->first, sizeof(l->first), "kind %d id %u attempt %u was "
                 "answered (accepted=%d), not refused", (int)rep->kind,
                 rep->id, rep->attempt,
                 (int)((Mr__ReportReply *)reply)->accepted);
    else if (!ok && l->first[0] == '\0')
        snprintf(l->first, sizeof(l->first), "kind %d id %u attempt %u: %s "
                 "(status %d, wanted %s)", (int)rep->kind, rep->id,
                 rep->attempt, rpc_client_errmsg(c), status,
                 want ? status_name(want) : "EPERM or EINVAL");
    if (reply != NULL)
        protobuf_c_message_free_unpacked(reply, NULL);
}

static void
judge_lies(const struct lies *l)
{
    if (l->refused == l->told)
        pass(l->name, "%u of %u refused", l->refused, l->told);
    else
        fail(l->name, "%u of %u refused; %s", l->refused, l->told, l->first);
}

static void
report_init(Mr__TaskReport *rep, Mr__TaskKind kind, uint32_t id,
            uint32_t attempt, bool ok)
{
    *rep = (Mr__TaskReport)MR__TASK_REPORT__INIT;
    rep->kind = kind;
    rep->id = id;
    rep->attempt = attempt;
    rep->ok = ok;
}

/* About the map task someone else holds: its attempt 1 exists, but was
 * not handed to this connection. */
static void
lie_about_held(rpc_client *c, uint32_t held)
{
    struct lies done = {.name = "lie_claim_held_map"};
    struct lies failed = {.name = "lie_fail_held_map"};
    struct lies blame = {.name = "lie_blame_held_map"};
    Mr__TaskReport rep;

    report_init(&rep, MR__TASK_KIND__TASK_MAP, held, 1, true);
    rep.bytes_in = rep.records_in = rep.bytes_out = UINT64_MAX;
    tell(c, &done, &rep, -EPERM);
    judge_lies(&done);
    report_init(&rep, MR__TASK_KIND__TASK_MAP, held, 1, false);
    rep.error = (char *)"forged\nmrcoordinator[1]: error: forged line";
    tell(c, &failed, &rep, -EPERM);
    judge_lies(&failed);
    report_init(&rep, MR__TASK_KIND__TASK_REDUCE, 0, 1, false);
    rep.bad_input = true;
    rep.bad_map = held;
    tell(c, &blame, &rep, 0);
    judge_lies(&blame);
}

/* Claims done every task it never got. */
static void
lie_about_others(rpc_client *c, uint32_t nmap, uint32_t nreduce)
{
    struct lies l = {.name = "lie_claim_every_task"};
    Mr__TaskReport rep;

    for (uint32_t i = 0; i < nmap + nreduce; i++) {
        bool map = i < nmap;
        report_init(&rep, map ? MR__TASK_KIND__TASK_MAP
                              : MR__TASK_KIND__TASK_REDUCE,
                    map ? i : i - nmap, 1, true);
        tell(c, &l, &rep, 0);
    }
    judge_lies(&l);
}

/* Reports no coordinator could ever have handed out, with counters at
 * their largest. */
static void
lie_absurdly(rpc_client *c)
{
    static const struct {
        int kind;
        uint32_t id, attempt;
    } cases[] = {
        {MR__TASK_KIND__TASK_MAP, UINT32_MAX, 1},
        {MR__TASK_KIND__TASK_MAP, UINT32_MAX, UINT32_MAX},
        {MR__TASK_KIND__TASK_REDUCE, UINT32_MAX, 1},
        {MR__TASK_KIND__TASK_MAP, 0, 0},
        {MR__TASK_KIND__TASK_MAP, 0, UINT32_MAX},
        {MR__TASK_KIND__TASK_REDUCE, 0, UINT32_MAX},
        {MR__TASK_KIND__TASK_NONE, 0, 1},
        {MR__TASK_KIND__TASK_EXIT, 0, 1},
        {99, 0, 1},
        {-1, 0, 1},
    };
    struct lies l = {.name = "lie_absurd_reports"};
    Mr__TaskReport rep;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        report_init(&rep, (Mr__TaskKind)cases[i].kind, cases[i].id,
                    cases[i].attempt, true);
        rep.bytes_in = rep.bytes_out = UINT64_MAX;
        rep.records_in = rep.records_out = UINT64_MAX;
        tell(c, &l, &rep, -EINVAL);
    }
    judge_lies(&l);
}

static int
mode_lie(const char *addr, uint32_t held, uint32_t nmap, uint32_t nreduce)
{
    struct rpc_client_opts o = {.connect_timeout_ms = REPLY_MS,
                                .call_timeout_ms = REPLY_MS};
    char err[MR_ERR_LEN];
    rpc_client *c = rpc_client_create(addr, &o, err);

    if (c == NULL) {
        fail("lie", "%s", err);
        return 1;
    }
    lie_about_held(c, held);
    lie_about_others(c, nmap, nreduce);
    lie_absurdly(c);
    rpc_client_free(c);
    return failures ? 1 : 0;
}

/* ---------------------------------------------------------------- hold */

/* Joins as a worker running the module at app_path would; sets
 * *heartbeat_ms to how often the coordinator wants to hear from it. */
static int
join_as(rpc_client *cl, const char *app_path, uint32_t *heartbeat_ms)
{
    Mr__JoinRequest req = MR__JOIN_REQUEST__INIT;
    Mr__JoinReply *reply = NULL;
    struct app_module mod;
    char err[MR_ERR_LEN], cwd[4096];
    int rc;

    if (app_load(app_path, &mod, err) < 0) {
        fprintf(stderr, "hostile_peer: %s\n", err);
        return -1;
    }
    req.protocol = MR_PROTOCOL_VERSION;
    req.pid = (uint32_t)getpid();
    req.host = (char *)"hostile";
    req.cwd = getcwd(cwd, sizeof(cwd)) ? cwd : (char *)"/";
    req.app_name = (char *)mod.app->name;
    req.app_abi = mod.app->abi_version;
    req.app_digest.data = mod.digest;
    req.app_digest.len = sizeof(mod.digest);
    req.app_path = (char *)app_path;
    rc = rpc_client_call(cl, &mr__coordinator__descriptor, "Join",
                         &req.base, (ProtobufCMessage **)&reply);
    if (rc == 0 && !reply->accepted) {
        fprintf(stderr, "hostile_peer: refused: %s\n", reply->why);
        rc = -1;
    } else if (rc == 0) {
        *heartbeat_ms = reply->heartbeat_ms;
    } else {
        fprintf(stderr, "hostile_peer: join: %s\n", rpc_client_errmsg(cl));
    }
    if (reply != NULL)
        mr__join_reply__free_unpacked(reply, NULL);
    app_unload(&mod);
    return rc;
}

static int
mode_hold(const char *addr, const char *app_path)
{
    struct rpc_client_opts o = {.connect_timeout_ms = REPLY_MS,
                                .call_timeout_ms = REPLY_MS};
    Mr__TaskRequest req = MR__TASK_REQUEST__INIT;
    Mr__Task *t = NULL;
    char err[MR_ERR_LEN];
    rpc_client *cl = rpc_client_create(addr, &o, err);
    struct heartbeat *hb = NULL;
    uint32_t heartbeat_ms = 0;
    int rc;

    if (cl == NULL) {
        fprintf(stderr, "hostile_peer: %s\n", err);
        return 1;
    }
    if (join_as(cl, app_path, &heartbeat_ms) != 0) {
        rpc_client_free(cl);
        return 1;
    }
    req.worker_pid = (uint32_t)getpid();
    rc = rpc_client_call(cl, &mr__coordinator__descriptor, "GetTask",
                         &req.base, (ProtobufCMessage **)&t);
    if (rc != 0 || t->kind != MR__TASK_KIND__TASK_MAP) {
        fprintf(stderr, "hostile_peer: no map task: %s\n",
                rc ? rpc_client_errmsg(cl) : "another kind");
        if (t != NULL)
            mr__task__free_unpacked(t, NULL);
        rpc_client_free(cl);
        return 1;
    }
    /* A silent holder would lose the task after a few seconds. */
    if ((rc = heartbeat_start(&hb, cl, heartbeat_ms)) < 0) {
        fprintf(stderr, "hostile_peer: heartbeat: %s\n", strerror(-rc));
        return 1;
    }
    heartbeat_begin(hb, t->kind, t->id, t->attempt);
    printf("held map %u attempt %u\n", t->id, t->attempt);
    fflush(stdout);
    mr__task__free_unpacked(t, NULL);
    for (;;)
        pause();                /* the connection goes with the process */
}

/* ---------------------------------------------------------------- conns */

static int
mode_conns(const char *addr, int n, int cap)
{
    int *fds = calloc((size_t)n, sizeof(int));
    uint64_t deadline = now_ms() + REPLY_MS;
    int opened = 0, closed = 0, served = -1;
    char why[MR_ERR_LEN + 64] = "no connection to close";
    long ms = -1;

    if (fds == NULL)
        return 1;
    for (int i = 0; i < n; i++)
        opened += (fds[i] = raw_connect(addr)) >= 0;
    /* The server accepts every connection, and closes those over the cap
     * at once: wait until it has. */
    while (now_ms() < deadline) {
        closed = 0;
        for (int i = 0; i < n; i++)
            closed += fds[i] >= 0 && is_closed(fds[i]);
        if (closed >= n - cap)
            break;
        poll(NULL, 0, 20);
    }
    if (opened != n)
        fail("cap_extra_connections_closed", "only %d of %d connected",
             opened, n);
    else if (closed != n - cap)
        fail("cap_extra_connections_closed", "%d of %d closed, wanted %d",
             closed, n, n - cap);
    else
        pass("cap_extra_connections_closed", "%d of %d closed at once, %d "
             "kept", closed, n, n - closed);
    /* One kept connection goes: its slot serves a new client. */
    for (int i = 0; i < n && served < 0; i++)
        if (fds[i] >= 0 && !is_closed(fds[i])) {
            close(fds[i]);
            fds[i] = -1;
            served = i;
        }
    deadline = now_ms() + REPLY_MS;
    /* Refused until the server has seen the close: try until answered. */
    while (served >= 0 && now_ms() < deadline && ms < 0)
        if ((ms = probe(addr, why, sizeof(why))) < 0)
            poll(NULL, 0, 20);
    if (ms < 0)
        fail("cap_slot_reused", "within %d ms of a close: %s", REPLY_MS,
             why);
    else
        pass("cap_slot_reused", "a new client answered");
    for (int i = 0; i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(fds);
    return failures ? 1 : 0;
}

/* ---------------------------------------------------------------- main */

static void
usage(void)
{
    fprintf(stderr,
            "usage: hostile_peer attack ADDR SILENT\n"
            "       hostile_peer lie ADDR HELD_MAP NMAP NREDUCE\n"
            "       hostile_peer hold ADDR APP.so\n"
            "       hostile_peer conns ADDR N CAP\n");
}

int
main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc == 4 && strcmp(argv[1], "attack") == 0)
        return mode_attack(argv[2], atoi(argv[3]));
    if (argc == 6 && strcmp(argv[1], "lie") == 0)
        return mode_lie(argv[2], (uint32_t)strtoul(argv[3], NULL, 10),
                        (uint32_t)strtoul(argv[4], NULL, 10),
                        (uint32_t)strtoul(argv[5], NULL, 10));
    if (argc == 4 && strcmp(argv[1], "hold") == 0)
        return mode_hold(argv[2], argv[3]);
    if (argc == 5 && strcmp(argv[1], "conns") == 0)
        return mode_conns(argv[2], atoi(argv[3]), atoi(argv[4]));
    usage();
    return 2;
}
