/* The rpctest.Test service run in a forked child: Null answers at once, Echo
 * answers from a timer when asked to wait (a deferred reply), Hang holds its
 * call until the server stops, Fail answers an error, Sink counts bytes,
 * Note counts the requests (one-way ones) that Notes then tells. */
#define _GNU_SOURCE
#include "rpctest_server.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rpc.h"
#include "rpctest.pb-c.h"

struct held_call {
    void *call;                         /* an rpc_call, completed when its
                                           client hangs up or at stop */
    Rpctest__Empty_Closure closure;
    struct held_call *next;
};

struct test_server {
    Rpctest__Test_Service service;      /* first: handlers cast back */
    rpc_loop *loop;
    struct held_call *held;
    uint64_t notes;                     /* Note calls handled */
    uint64_t note_bytes;                /* bytes of their data */
};

struct late_echo {
    Rpctest__EchoReply reply;
    Rpctest__EchoReply_Closure closure;
    void *call;
    uint8_t *data;
};

static struct test_server *
server_of(Rpctest__Test_Service *service)
{
    return (struct test_server *)service;
}

static void
rpctest_null(Rpctest__Test_Service *service, const Rpctest__Empty *in,
             Rpctest__Empty_Closure closure, void *call)
{
    Rpctest__Empty out = RPCTEST__EMPTY__INIT;

    (void)service;
    (void)in;
    closure(&out, call);
}

static void
answer_late_echo(rpc_loop *loop, void *arg)
{
    struct late_echo *late = arg;

    (void)loop;
    late->closure(&late->reply, late->call);
    free(late->data);
    free(late);
}

static void
rpctest_echo(Rpctest__Test_Service *service, const Rpctest__EchoArgs *in,
             Rpctest__EchoReply_Closure closure, void *call)
{
    struct late_echo *late;

    if (in->delay_ms == 0) {
        Rpctest__EchoReply out = RPCTEST__ECHO_REPLY__INIT;
        out.data = in->data;
        out.server_pid = (uint32_t)getpid();
        closure(&out, call);
        return;
    }
    late = calloc(1, sizeof(*late));
    rpctest__echo_reply__init(&late->reply);
    late->data = malloc(in->data.len + 1);
    memcpy(late->data, in->data.data, in->data.len);
    late->reply.data.data = late->data;
    late->reply.data.len = in->data.len;
    late->reply.server_pid = (uint32_t)getpid();
    late->closure = closure;
    late->call = call;
    rpc_loop_timer_add(server_of(service)->loop, in->delay_ms,
                       answer_late_echo, late);
}

static void
rpctest_hang(Rpctest__Test_Service *service, const Rpctest__Empty *in,
             Rpctest__Empty_Closure closure, void *call)
{
    struct test_server *ts = server_of(service);
    struct held_call *h = malloc(sizeof(*h));

    (void)in;
    h->call = call;
    h->closure = closure;
    h->next = ts->held;
    ts->held = h;
}

static void
rpctest_fail(Rpctest__Test_Service *service, const Rpctest__Empty *in,
             Rpctest__Empty_Closure closure, void *call)
{
    (void)service;
    (void)in;
    (void)closure;
    rpc_call_fail(call, MR_EAPP, "deliberate failure");
}

static void
rpctest_sink(Rpctest__Test_Service *service, const Rpctest__EchoArgs *in,
             Rpctest__SinkReply_Closure closure, void *call)
{
    Rpctest__SinkReply out = RPCTEST__SINK_REPLY__INIT;

    (void)service;
    out.size = in->data.len;
    closure(&out, call);
}

static void
rpctest_note(Rpctest__Test_Service *service, const Rpctest__EchoArgs *in,
             Rpctest__Empty_Closure closure, void *call)
{
    struct test_server *ts = server_of(service);
    Rpctest__Empty out = RPCTEST__EMPTY__INIT;

    ts->notes++;
    ts->note_bytes += in->data.len;
    closure(&out, call);
}

static void
rpctest_notes(Rpctest__Test_Service *service, const Rpctest__Empty *in,
              Rpctest__NoteCount_Closure closure, void *call)
{
    struct test_server *ts = server_of(service);
    Rpctest__NoteCount out = RPCTEST__NOTE_COUNT__INIT;

    (void)in;
    out.notes = ts->notes;
    out.bytes = ts->note_bytes;
    closure(&out, call);
}

/* Completes the held calls of a connection that closed, as the
 * coordinator does with its waiting workers. */
static void
on_disconnect(uint64_t conn_id, void *arg)
{
    struct test_server *ts = arg;
    struct held_call **link = &ts->held;

    while (*link != NULL) {
        struct held_call *h = *link;
        Rpctest__Empty out = RPCTEST__EMPTY__INIT;
        if (rpc_call_conn_id(h->call) != conn_id) {
            link = &h->next;
            continue;
        }
        *link = h->next;
        h->closure(&out, h->call);
        free(h);
    }
}

static void
on_stop_signal(rpc_loop *loop, int signo, void *arg)
{
    (void)signo;
    (void)arg;
    rpc_loop_stop(loop);
}

static int
serve(const char *addr, const struct rpc_server_opts *opts, int report_fd)
{
    struct test_server ts = {.service = RPCTEST__TEST__INIT(rpctest_)};
    struct rpc_server_opts o = opts ? *opts : (struct rpc_server_opts){0};
    char err[MR_ERR_LEN], bound[300] = "";
    rpc_server *srv;

    o.on_disconnect = on_disconnect;
    o.arg = &ts;

    ts.loop = rpc_loop_create(err);
    srv = ts.loop ? rpc_server_create(ts.loop, &ts.service.base, &o, err)
                  : NULL;
    if (srv == NULL || rpc_server_listen(srv, addr, bound, sizeof(bound),
                                         err) < 0) {
        fprintf(stderr, "rpctest server: %s\n", err);
        return 1;
    }
    rpc_loop_signal(ts.loop, SIGTERM, on_stop_signal, NULL);
    rpc_loop_signal(ts.loop, SIGINT, on_stop_signal, NULL);
    if (write(report_fd, bound, strlen(bound) + 1) < 0)
        return 1;
    close(report_fd);
    rpc_loop_run(ts.loop);
    while (ts.held) {
        struct held_call *h = ts.held;
        Rpctest__Empty out = RPCTEST__EMPTY__INIT;
        ts.held = h->next;
        h->closure(&out, h->call);
        free(h);
    }
    rpc_server_free(srv);
    rpc_loop_free(ts.loop);
    return 0;
}

pid_t
rpctest_server_spawn(const char *addr, const struct rpc_server_opts *opts,
                     char *bound, size_t boundlen)
{
    int fds[2];
    pid_t pid;
    ssize_t n;

    if (pipe(fds) < 0)
        return -1;
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        close(fds[0]);
        _exit(serve(addr, opts, fds[1]));
    }
    close(fds[1]);
    n = read(fds[0], bound, boundlen - 1);
    close(fds[0]);
    if (n <= 0) {
        waitpid(pid, NULL, 0);
        return -1;
    }
    bound[n] = '\0';
    return pid;
}

int
rpctest_raw_connect(const char *addr)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", addr + 5);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int
rpctest_server_stop(pid_t pid)
{
    int status;

    if (pid <= 0 || kill(pid, SIGTERM) < 0)
        return -1;
    if (waitpid(pid, &status, 0) < 0)
        return -1;
    return status;
}
