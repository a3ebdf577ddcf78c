/* Benchmark of the RPC layer (not a test: it prints figures and never fails
 * on speed). Measures, in one run: a null call over a Unix socket from one
 * client in sequence; the same-size raw socketpair ping-pong between two
 * processes, the floor any RPC over a socket pays; and total calls/s from 8
 * concurrent client processes. Each figure is the best of several rounds. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "rpc.h"
#include "rpctest.pb-c.h"
#include "rpctest_server.h"

#define ROUNDS      5
#define SEQ_CALLS   20000
#define CONC        8
#define CONC_CALLS  20000      /* per client */

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
    fprintf(stderr, "rpc_bench: %s\n", what);
    exit(1);
}

/* Microseconds per round trip of a 16-byte message over a socketpair. */
static double
raw_pingpong_us(int n)
{
    int sv[2];
    char buf[RPC_HEADER_LEN] = {0};
    pid_t kid;
    double t0, t1;

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        die("socketpair");
    kid = fork();
    if (kid == 0) {
        close(sv[0]);
        while (read(sv[1], buf, sizeof(buf)) == (ssize_t)sizeof(buf))
            if (write(sv[1], buf, sizeof(buf)) != (ssize_t)sizeof(buf))
                break;
        _exit(0);
    }
    close(sv[1]);
    t0 = now_s();
    for (int i = 0; i < n; i++) {
        if (write(sv[0], buf, sizeof(buf)) != (ssize_t)sizeof(buf) ||
            read(sv[0], buf, sizeof(buf)) != (ssize_t)sizeof(buf))
            die("raw ping-pong broke");
    }
    t1 = now_s();
    close(sv[0]);
    waitpid(kid, NULL, 0);
    return (t1 - t0) * 1e6 / n;
}

static void
null_calls(rpc_client *c, int n)
{
    Rpctest__Empty args = RPCTEST__EMPTY__INIT;

    for (int i = 0; i < n; i++) {
        ProtobufCMessage *reply;
        if (rpc_client_call(c, &rpctest__test__descriptor, "Null",
                            &args.base, &reply) != 0)
            die(rpc_client_errmsg(c));
        protobuf_c_message_free_unpacked(reply, NULL);
    }
}

static rpc_client *
new_client(const char *addr)
{
    char err[MR_ERR_LEN];
    rpc_client *c = rpc_client_create(addr, NULL, err);

    if (c == NULL)
        die(err);
    return c;
}

/* Microseconds per sequential null call. */
static double
rpc_null_us(const char *addr, int n)
{
    rpc_client *c = new_client(addr);
    double t0, t1;

    null_calls(c, 100);                  /* connect and warm up */
    t0 = now_s();
    null_calls(c, n);
    t1 = now_s();
    rpc_client_free(c);
    return (t1 - t0) * 1e6 / n;
}

/* Total calls per second from CONC client processes started together. */
static double
concurrent_calls_s(const char *addr)
{
    int go[2];
    pid_t kids[CONC];
    double t0, t1;
    char token[CONC];

    if (pipe(go) < 0)
        die("pipe");
    for (int k = 0; k < CONC; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            rpc_client *c = new_client(addr);
            char t;
            close(go[1]);
            null_calls(c, 10);           /* connected before the start */
            if (read(go[0], &t, 1) != 1)
                _exit(1);
            null_calls(c, CONC_CALLS);
            rpc_client_free(c);
            _exit(0);
        }
    }
    close(go[0]);
    memset(token, 'g', sizeof(token));
    t0 = now_s();
    if (write(go[1], token, CONC) != CONC)
        die("start pipe");
    for (int k = 0; k < CONC; k++) {
        int status;
        waitpid(kids[k], &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            die("a concurrent client failed");
    }
    t1 = now_s();
    close(go[1]);
    return (double)CONC * CONC_CALLS / (t1 - t0);
}

int
main(void)
{
    char dir[] = "/tmp/mr-rpc-bench-XXXXXX", addr[128], bound[300];
    double raw = 1e9, rpc = 1e9, conc = 0;
    pid_t server;

    signal(SIGPIPE, SIG_IGN);
    if (mkdtemp(dir) == NULL)
        die("mkdtemp");
    snprintf(addr, sizeof(addr), "unix:%s/sock", dir);
    server = rpctest_server_spawn(addr, NULL, bound, sizeof(bound));
    if (server < 0)
        die("server did not start");

    printf("%-6s %12s %12s %14s\n", "round", "raw_us", "rpc_us",
           "conc8_calls_s");
    for (int r = 1; r <= ROUNDS; r++) {
        double a = raw_pingpong_us(SEQ_CALLS);
        double b = rpc_null_us(addr, SEQ_CALLS);
        double c = concurrent_calls_s(addr);
        printf("%-6d %12.2f %12.2f %14.0f\n", r, a, b, c);
        raw = a < raw ? a : raw;
        rpc = b < rpc ? b : rpc;
        conc = c > conc ? c : conc;
    }
    rpctest_server_stop(server);
    rmdir(dir);
    printf("%-6s %12.2f %12.2f %14.0f\n", "best", raw, rpc, conc);
    printf("BENCH rpc_us=%.2f raw_us=%.2f ratio=%.2f conc8_calls_s=%.0f\n",
           rpc, raw, rpc / raw, conc);
    return 0;
}
