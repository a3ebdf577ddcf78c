/* The worker's shuffle server, a child process on an event loop of its
 * own. See shuffle_server.h. */
#define _GNU_SOURCE
#include "shuffle_server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crc32c.h"
#include "imfile.h"
#include "log.h"
#include "names.h"
#include "rpc.h"
#include "shuffle.pb-c.h"

/* Open outputs kept mapped between pieces, least recently used out. */
#define CACHED_OUTPUTS 32

struct cached {
    uint32_t map, attempt;
    uint64_t used;              /* tick of the last use; 0: empty */
    struct im_reader r;
};

struct shuffle_state {
    Mr__Shuffle_Service service;        /* first: the handler casts back */
    const struct shuffle_server_opts *opts;
    struct cached cache[CACHED_OUTPUTS];
    uint64_t tick;
};

/* ---------------------------------------------------------------- child */

/* The output of (map, attempt), mapped: from the cache, or opened in
 * place of the least recently used. Returns it, or NULL with *rc and err
 * set. */
static struct im_reader *
output_of(struct shuffle_state *st, uint32_t map, uint32_t attempt, int *rc,
          char err[MR_ERR_LEN])
{
    struct cached *victim = &st->cache[0];
    char name[64], path[4096 + 64];

    for (int i = 0; i < CACHED_OUTPUTS; i++) {
        struct cached *e = &st->cache[i];
        if (e->used != 0 && e->map == map && e->attempt == attempt) {
            e->used = ++st->tick;
            return &e->r;
        }
        if (e->used < victim->used)
            victim = e;
    }
    mr_im_name(name, sizeof(name), map, attempt);
    snprintf(path, sizeof(path), "%s/%s", st->opts->dir, name);
    if (victim->used != 0)
        im_reader_close(&victim->r);
    victim->used = 0;
    if ((*rc = im_reader_open(&victim->r, path, 0, err)) < 0) {
        if (*rc != MR_EBADDATA) {
            *rc = -ENOENT;
            snprintf(err, MR_ERR_LEN, "this worker keeps no output of map "
                     "task %u attempt %u", map, attempt);
        }
        return NULL;
    }
    victim->map = map;
    victim->attempt = attempt;
    victim->used = ++st->tick;
    return &victim->r;
}

static void
on_fetch(Mr__Shuffle_Service *service, const Mr__FetchRequest *req,
         Mr__FetchReply_Closure closure, void *closure_data)
{
    struct shuffle_state *st = (struct shuffle_state *)service;
    Mr__FetchReply reply = MR__FETCH_REPLY__INIT;
    struct im_partition part;
    struct im_reader *r;
    char err[MR_ERR_LEN];
    uint64_t n;
    int rc = 0;

    if (strcmp(req->job_id, st->opts->job_id) != 0) {
        rpc_call_fail(closure_data, -ENOENT, "this worker keeps no output "
                      "of job %.16s", req->job_id);
        return;
    }
    if ((r = output_of(st, req->map, req->attempt, &rc, err)) == NULL) {
        rpc_call_fail(closure_data, rc, "%s", err);
        return;
    }
    if (req->partition >= r->nreduce) {
        rpc_call_fail(closure_data, -EINVAL, "no partition %u: the outputs "
                      "have %u", req->partition, r->nreduce);
        return;
    }
    im_reader_partition_info(r, req->partition, &part);
    /* Checked here before the first piece goes, so that a reduce never
     * feeds its app bytes that a disk changed (the reduce checks again
     * what arrives, at the end). */
    if (req->offset == 0 &&
        crc32c(0, r->map + part.offset, (size_t)part.length) != part.crc) {
        rpc_call_fail(closure_data, MR_EBADDATA, "partition %u of map task "
                      "%u's output fails its CRC on this worker (corrupt "
                      "on its disk)", req->partition, req->map);
        return;
    }
    if (req->offset > part.length) {
        rpc_call_fail(closure_data, -EINVAL, "offset %llu is past the "
                      "partition's %llu bytes",
                      (unsigned long long)req->offset,
                      (unsigned long long)part.length);
        return;
    }
    n = part.length - req->offset;
    if (n > req->max_bytes)
        n = req->max_bytes;
    if (n > SHUFFLE_PIECE_MAX)
        n = SHUFFLE_PIECE_MAX;
    reply.data.data = (uint8_t *)r->map + part.offset + req->offset;
    reply.data.len = (size_t)n;
    reply.length = part.length;
    reply.records = part.records;
    reply.crc = part.crc;
    closure(&reply, closure_data);
}

static void
on_stop(rpc_loop *loop, int signo, void *arg)
{
    (void)signo;
    (void)arg;
    rpc_loop_stop(loop);
}

/* Puts the advertised host in place of a wildcard one in bound. */
static void
advertised(const char *bound, const char *host, char *out, size_t len)
{
    const char *port = strrchr(bound, ':');

    if (host != NULL && port != NULL &&
        (strncmp(bound, "tcp:0.0.0.0:", 12) == 0 ||
         strncmp(bound, "tcp:[::]:", 9) == 0))
        snprintf(out, len, "tcp:%s%s", host, port);
    else
        snprintf(out, len, "%s", bound);
}

/* The child's life: listen, say where (or why not) on report, serve until
 * SIGTERM or the worker's death. */
static int
serve(const struct shuffle_server_opts *opts, int report)
{
    struct shuffle_state *st = calloc(1, sizeof(*st));
    struct rpc_server_opts sopts = {.token = opts->token,
                                    .token_len = opts->token_len};
    char err[MR_ERR_LEN] = "out of memory", bound[300], addr[320];
    rpc_server *srv = NULL;
    rpc_loop *loop = NULL;
    int rc = 1;

    if (st == NULL || (loop = rpc_loop_create(err)) == NULL)
        goto out;
    st->service = (Mr__Shuffle_Service){MR__SHUFFLE__BASE_INIT, on_fetch};
    st->opts = opts;
    if ((srv = rpc_server_create(loop, &st->service.base, &sopts,
                                 err)) == NULL ||
        rpc_server_listen(srv, opts->listen, bound, sizeof(bound), err) < 0 ||
        rpc_loop_signal(loop, SIGTERM, on_stop, NULL) < 0)
        goto out;
    advertised(bound, opts->advertise, addr, sizeof(addr));
    dprintf(report, "ok %s\n", addr);
    close(report);
    report = -1;
    rc = rpc_loop_run(loop) < 0;
out:
    if (report >= 0)
        dprintf(report, "error %s\n", err);
    for (int i = 0; st != NULL && i < CACHED_OUTPUTS; i++)
        if (st->cache[i].used != 0)
            im_reader_close(&st->cache[i].r);
    rpc_server_free(srv);
    rpc_loop_free(loop);
    free(st);
    return rc;
}

/* ---------------------------------------------------------------- parent */

/* Reads the child's one line: "ok ADDR" or "error WHY". */
static int
read_report(int fd, struct shuffle_server *s, char err[MR_ERR_LEN])
{
    char line[MR_ERR_LEN + 16];
    size_t n = 0;
    ssize_t got;

    while (n < sizeof(line) - 1 &&
           (got = read(fd, line + n, sizeof(line) - 1 - n)) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            break;
        n += (size_t)got;
    }
    line[n] = '\0';
    line[strcspn(line, "\n")] = '\0';
    if (strncmp(line, "ok ", 3) == 0) {
        snprintf(s->addr, sizeof(s->addr), "%s", line + 3);
        return 0;
    }
    snprintf(err, MR_ERR_LEN, "%s", strncmp(line, "error ", 6) == 0
                                        ? line + 6
                                        : "the shuffle server died starting");
    return -EIO;
}

int
shuffle_server_start(struct shuffle_server *s,
                     const struct shuffle_server_opts *opts,
                     char err[MR_ERR_LEN])
{
    pid_t parent = getpid();
    int pipefd[2], rc;

    memset(s, 0, sizeof(*s));
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        snprintf(err, MR_ERR_LEN, "pipe: %s", strerror(errno));
        return -errno;
    }
    fflush(NULL);
    if ((s->pid = fork()) < 0) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot start the shuffle server: %s",
                 strerror(errno));
        close(pipefd[0]);
        close(pipefd[1]);
        s->pid = 0;
        return rc;
    }
    if (s->pid == 0) {
        /* Only the report pipe and the standard streams go on: no copy of
         * the worker's coordinator connection may outlive the worker. */
        int report = dup2(pipefd[1], 3) < 0 ? pipefd[1] : 3;
        close_range(report + 1, ~0u, 0);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(1);
        signal(SIGPIPE, SIG_IGN);
        _exit(serve(opts, report));
    }
    close(pipefd[1]);
    rc = read_report(pipefd[0], s, err);
    close(pipefd[0]);
    if (rc < 0)
        shuffle_server_stop(s);
    return rc;
}

void
shuffle_server_stop(struct shuffle_server *s)
{
    if (s->pid <= 0)
        return;
    kill(s->pid, SIGTERM);
    while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    s->pid = 0;
}
