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

#include "imcache.h"
#include "imfile.h"
#include "log.h"
#include "names.h"
#include "rpc.h"
#include "shuffle.pb-c.h"

struct shuffle_state {
    Mr__Shuffle_Service service;        /* first: the handler casts back */
    const struct shuffle_server_opts *opts;
    struct im_cache *files;     /* outputs kept open between requests */
    unsigned char *buf;         /* the piece being sent */
    size_t bufcap;
};

/* ---------------------------------------------------------------- child */

/* The output of (map, attempt), open: kept from an earlier request, or
 * opened now. Returns it, or NULL with *rc and err set. */
static struct im_file *
output_of(struct shuffle_state *st, uint32_t map, uint32_t attempt,
          char *path, size_t len, int *rc, char err[MR_ERR_LEN])
{
    struct im_file *f;
    char name[64];

    mr_im_name(name, sizeof(name), map, attempt);
    snprintf(path, len, "%s/%s", st->opts->dir, name);
    /* Only a missing file is a lost output; any other failure (out of
     * descriptors above all) fails this request as it is, and the reduce
     * tries again later. */
    if ((f = im_cache_open(st->files, path, 0, rc, err)) == NULL &&
        (*rc == -ENOENT || *rc == -ENOTDIR)) {
        *rc = -ENOENT;
        snprintf(err, MR_ERR_LEN, "this worker keeps no output of map "
                 "task %u attempt %u", map, attempt);
    }
    return f;
}

/* Reads n bytes of the partition info describes, from offset, into
 * st->buf. The first piece (offset 0) checks the whole partition's CRC
 * before it goes, so that a reduce never feeds its app bytes that a disk
 * changed (the reduce checks again what arrives, at the end). */
static int
read_piece(struct shuffle_state *st, const struct im_file *f,
           const char *path, const struct im_partition *info,
           uint64_t offset, size_t n, char err[MR_ERR_LEN])
{
    const unsigned char *data;
    void *base;
    size_t len;
    int rc;

    if (n > st->bufcap) {
        unsigned char *b = realloc(st->buf, n);
        if (b == NULL) {
            snprintf(err, MR_ERR_LEN, "out of memory");
            return -ENOMEM;
        }
        st->buf = b;
        st->bufcap = n;
    }
    if (offset == 0 && n == info->length)
        return im_file_read(f, path, info, st->buf, err);
    if (offset == 0) {
        if ((rc = im_file_map(f, path, info, &base, &len, &data, err)) < 0)
            return rc;
        im_file_unmap(base, len);
    }
    return im_file_pread(f, path, info->offset + offset, n, st->buf, err);
}

static void
on_fetch(Mr__Shuffle_Service *service, const Mr__FetchRequest *req,
         Mr__FetchReply_Closure closure, void *closure_data)
{
    struct shuffle_state *st = (struct shuffle_state *)service;
    Mr__FetchReply reply = MR__FETCH_REPLY__INIT;
    char err[MR_ERR_LEN], path[4096 + 64];
    struct im_partition part;
    struct im_file *f;
    uint64_t n;
    int rc = 0;

    if (strcmp(req->job_id, st->opts->job_id) != 0) {
        rpc_call_fail(closure_data, -ENOENT, "this worker keeps no output "
                      "of job %.16s", req->job_id);
        return;
    }
    if ((f = output_of(st, req->map, req->attempt, path, sizeof(path), &rc,
                       err)) == NULL) {
        rpc_call_fail(closure_data, rc, "%s", err);
        return;
    }
    if (req->partition >= f->nreduce) {
        rpc_call_fail(closure_data, -EINVAL, "no partition %u: the outputs "
                      "have %u", req->partition, f->nreduce);
        return;
    }
    if ((rc = im_file_entry(f, path, req->partition, &part, err)) < 0) {
        im_cache_drop(st->files, path);
        rpc_call_fail(closure_data, rc, "%s", err);
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
    if ((rc = read_piece(st, f, path, &part, req->offset, (size_t)n,
                         err)) < 0) {
        im_cache_drop(st->files, path);
        if (rc == MR_EBADDATA)
            rpc_call_fail(closure_data, rc, "partition %u of map task %u's "
                          "output fails its CRC on this worker (corrupt on "
                          "its disk)", req->partition, req->map);
        else
            rpc_call_fail(closure_data, rc, "%s", err);
        return;
    }
    reply.data.data = st->buf;
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

    if (st == NULL || (st->files = im_cache_create(0)) == NULL ||
        (loop = rpc_loop_create(err)) == NULL)
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
    rpc_server_free(srv);
    rpc_loop_free(loop);
    if (st != NULL) {
        im_cache_free(st->files);
        free(st->buf);
    }
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
