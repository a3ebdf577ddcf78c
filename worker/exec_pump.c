/* The poll() loop between an executable app's command and the task. See
 * exec_pump.h. */
#define _GNU_SOURCE
#include "exec_pump.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exec_child.h"

struct pump {
    struct exec_child child;
    const struct exec_io *io;
    char *in;                   /* bytes fill gave, not yet written */
    size_t in_at, in_len;
    bool input_done;            /* fill said the end, or the child closed
                                   its stdin */
    char *out;                  /* what one read takes */
    struct exec_watch *watch;   /* NULL: not watched */
    uint64_t written;           /* bytes written to the child's stdin */
};

/* One-at-a-time (exec_watch): between two looks at the child's stdin, 50
 * us at first, doubling up to 2 ms while it has not read its line. */
#define LOOK_FIRST_NS 50000L
#define LOOK_MAX_NS 2000000L

/* Writes what is pending, asking fill for more when it is all written.
 * Returns 0 or fill's error. */
static int
feed(struct pump *p, char err[MR_ERR_LEN])
{
    ssize_t n;

    if (p->in_at == p->in_len && !p->input_done) {
        n = p->io->fill(p->io->fill_arg, p->in, EXEC_PUMP_CHUNK, err);
        if (n < 0)
            return (int)n;
        p->in_at = 0;
        p->in_len = (size_t)n;
        p->input_done = n == 0;
        if (n == 0 && p->watch != NULL)
            p->watch->ended = true;     /* the child is told: no more */
    }
    if (p->in_at < p->in_len) {
        n = write(p->child.to_child, p->in + p->in_at, p->in_len - p->in_at);
        if (n > 0) {
            p->in_at += (size_t)n;
            p->written += (size_t)n;
        } else if (n < 0 && errno == EPIPE) {
            p->input_done = true;       /* no reader: as good as done
                                           (exec_child keeps one, though) */
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            int rc = -errno;
            snprintf(err, MR_ERR_LEN, "writing to the child: %s",
                     strerror(errno));
            return rc;
        }
    }
    if (p->input_done)
        exec_child_close_input(&p->child);
    return 0;
}

/* Reads once. Returns 1 at EOF, 0 after bytes or nothing, or an error. */
static int
drain(struct pump *p, char err[MR_ERR_LEN])
{
    ssize_t n = read(p->child.from_child, p->out, EXEC_PUMP_CHUNK);

    if (n > 0)
        return p->io->take(p->io->take_arg, p->out, (size_t)n, false, err);
    if (n == 0)
        return 1;
    if (errno == EAGAIN || errno == EINTR)
        return 0;
    n = -errno;
    snprintf(err, MR_ERR_LEN, "reading from the child: %s", strerror(errno));
    return (int)n;
}

static int
silent_too_long(const char *role, const char *cmd, unsigned silence_ms,
                const char *doing, char err[MR_ERR_LEN])
{
    snprintf(err, MR_ERR_LEN, "%s `%s` %s for %u s (the exec timeout): "
             "killed", role, cmd, doing, (silence_ms + 999) / 1000);
    return -ETIMEDOUT;
}

/* One-at-a-time: whether the child has yet to read what it was given,
 * before fill may be asked for more. */
static bool
child_is_behind(const struct pump *p)
{
    return p->watch != NULL && p->watch->one_at_a_time &&
           p->child.to_child >= 0 && p->in_at == p->in_len &&
           exec_child_unread(&p->child) > 0;
}

/* A look that found the child still behind: the next is later, and a
 * child that reads nothing for silence_ms is silent too long. Returns 0
 * or -ETIMEDOUT. */
static int
looked_in_vain(struct pump *p, long *look_ns, long *unread,
               uint64_t *idle_ns, const char *role, const char *cmd,
               unsigned silence_ms, char err[MR_ERR_LEN])
{
    long now = exec_child_unread(&p->child);

    *idle_ns = now != *unread ? 0 : *idle_ns + (uint64_t)*look_ns;
    *unread = now;
    *look_ns = *look_ns * 2 < LOOK_MAX_NS ? *look_ns * 2 : LOOK_MAX_NS;
    if (silence_ms != 0 && *idle_ns >= (uint64_t)silence_ms * 1000000)
        return silent_too_long(role, cmd, silence_ms,
                               "neither read nor wrote", err);
    return 0;
}

/* Moves bytes both ways until the child's stdout ends. */
static int
pump_until_eof(struct pump *p, const char *role, const char *cmd,
               unsigned silence_ms, char err[MR_ERR_LEN])
{
    long look_ns = LOOK_FIRST_NS, unread = -1;
    uint64_t idle_ns = 0;
    int rc;

    for (;;) {
        struct pollfd fds[2] = {{p->child.from_child, POLLIN, 0},
                                {p->child.to_child, POLLOUT, 0}};
        bool behind = child_is_behind(p);
        nfds_t n = p->child.to_child >= 0 && !behind ? 2 : 1;
        struct timespec look = {0, look_ns};
        int ready = behind ? ppoll(fds, n, &look, NULL)
                           : poll(fds, n, silence_ms ? (int)silence_ms : -1);

        if (ready < 0 && errno == EINTR)
            continue;
        if (ready == 0 && behind) {
            if ((rc = looked_in_vain(p, &look_ns, &unread, &idle_ns, role,
                                     cmd, silence_ms, err)) < 0)
                return rc;
            continue;
        }
        if (!behind || ready > 0) {
            look_ns = LOOK_FIRST_NS;
            idle_ns = 0;
        }
        if (ready < 0) {
            rc = -errno;
            snprintf(err, MR_ERR_LEN, "poll: %s", strerror(errno));
            return rc;
        }
        if (ready == 0)
            return silent_too_long(role, cmd, silence_ms,
                                   "neither read nor wrote", err);
        if (n == 2 && fds[1].revents != 0 && (rc = feed(p, err)) < 0)
            return rc;
        if (fds[0].revents != 0 && (rc = drain(p, err)) != 0)
            return rc < 0 ? rc : 0;
    }
}

/* After its stdout ended: waits for the child to exit, within the limit
 * where the kernel lets us poll for it. */
static int
await_exit(struct pump *p, const char *role, const char *cmd,
           unsigned silence_ms, char err[MR_ERR_LEN])
{
    struct pollfd fd = {p->child.pidfd, POLLIN, 0};
    int ready;

    exec_child_close_input(&p->child);
    if (p->child.pidfd < 0 || silence_ms == 0)
        return 0;
    while ((ready = poll(&fd, 1, (int)silence_ms)) < 0 && errno == EINTR)
        ;
    if (ready == 0)
        return silent_too_long(role, cmd, silence_ms,
                               "closed its output but did not exit", err);
    return 0;
}

int
exec_run(const char *cmd, const char *role, const struct exec_io *io,
         unsigned silence_ms, char err[MR_ERR_LEN])
{
    return exec_run_watched(cmd, role, io, silence_ms, NULL, err);
}

int
exec_run_watched(const char *cmd, const char *role, const struct exec_io *io,
                 unsigned silence_ms, struct exec_watch *watch,
                 char err[MR_ERR_LEN])
{
    struct pump p = {.io = io, .watch = watch};
    int rc;

    if (watch != NULL) {
        watch->unread = -1;
        watch->signo = 0;
        watch->ended = false;
    }
    p.in = malloc(EXEC_PUMP_CHUNK);
    p.out = malloc(EXEC_PUMP_CHUNK);
    if (p.in == NULL || p.out == NULL) {
        snprintf(err, MR_ERR_LEN, "out of memory");
        rc = -ENOMEM;
        goto out_free;
    }
    if ((rc = exec_child_start(&p.child, cmd, err)) < 0)
        goto out_free;
    err[0] = '\0';
    rc = pump_until_eof(&p, role, cmd, silence_ms, err);
    if (rc == 0)
        rc = await_exit(&p, role, cmd, silence_ms, err);
    if (rc == 0) {
        rc = exec_child_wait(&p.child, role, cmd, err);
        if (watch != NULL) {
            watch->unread = p.child.unread;
            watch->signo = exec_child_signal(&p.child);
        }
        if (rc == 0)
            rc = io->take(io->take_arg, NULL, 0, true, err);
    } else {
        exec_child_kill(&p.child);
    }
out_free:
    if (watch != NULL)
        watch->written = p.written;
    free(p.in);
    free(p.out);
    return rc;
}
