/* A worker's stderr through a pipe, forwarded by a thread that keeps the
 * last bytes for failed tasks' reports. See stderr_capture.h. */
#define _GNU_SOURCE
#include "stderr_capture.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stderr_ring.h"

/* How long a write to a real stderr that says "later" is waited for
 * before its bytes are dropped (a terminal stopped with ^S, say). */
#define FORWARD_WAIT_MS 1000

static struct {
    atomic_bool on;             /* capturing */
    pid_t pid;                  /* the process that started it */
    int real_fd;                /* the real stderr, dup()ed */
    int read_fd;                /* the pipe's read end, non-blocking */
    int stop_fd[2];             /* a byte on it ends the thread */
    pthread_t thread;
    pthread_mutex_t lock;       /* held while moving bytes to the ring */
    atomic_int busy;            /* raised by the lock's holder */
    atomic_int dying;           /* set by a fatal signal's handler: no one
                                   starts moving bytes any more */
    struct stderr_ring ring;
} cap = {.real_fd = -1, .read_fd = -1, .stop_fd = {-1, -1},
         .lock = PTHREAD_MUTEX_INITIALIZER};

/* ---------------------------------------------------------------- moving */

/* Writes p[0..n) to the real stderr; bytes it does not take (an error, or
 * a wait past FORWARD_WAIT_MS) are dropped. Async-signal-safe. */
static void
forward(const char *p, size_t n)
{
    struct pollfd out = {.fd = cap.real_fd, .events = POLLOUT};

    while (n > 0) {
        ssize_t k = write(cap.real_fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && errno == EAGAIN && poll(&out, 1, FORWARD_WAIT_MS) > 0)
            continue;
        if (k <= 0)
            return;
        p += k;
        n -= (size_t)k;
    }
}

/* Moves what the pipe holds now to the real stderr and the ring. Returns
 * true at the end of the pipe (no writer left). Async-signal-safe. */
static bool
pump(void)
{
    char buf[4096];

    for (;;) {
        ssize_t n = read(cap.read_fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n == 0;
        forward(buf, (size_t)n);
        stderr_ring_put(&cap.ring, buf, (size_t)n);
    }
}

/* Takes the right to move bytes. Returns false when a dying handler has
 * it: nothing may be moved then. */
static bool
enter(void)
{
    pthread_mutex_lock(&cap.lock);
    atomic_store(&cap.busy, 1);
    if (!atomic_load(&cap.dying))
        return true;
    atomic_store(&cap.busy, 0);
    pthread_mutex_unlock(&cap.lock);
    return false;
}

static void
leave(void)
{
    atomic_store(&cap.busy, 0);
    pthread_mutex_unlock(&cap.lock);
}

/* The thread: forwards bytes as they come, until told to stop or the
 * pipe has no writer left. */
static void *
forwarder(void *arg)
{
    struct pollfd p[2] = {{.fd = cap.read_fd, .events = POLLIN},
                          {.fd = cap.stop_fd[0], .events = POLLIN}};
    bool end = false;

    (void)arg;
    while (!end) {
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[1].revents != 0)
            break;
        if (p[0].revents == 0)
            continue;
        if (!enter())
            break;
        end = pump();
        leave();
    }
    return NULL;
}

/* ---------------------------------------------------------------- life */

static void
close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Starts the thread with every signal blocked: signals are the main
 * thread's business. Returns 0 or -errno. */
static int
start_thread(void)
{
    sigset_t all, old;
    int rc;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&cap.thread, NULL, forwarder, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return -rc;
}

int
stderr_capture_start(char err[MR_ERR_LEN])
{
    static bool at_exit;
    int p[2] = {-1, -1}, rc;

    if (atomic_load(&cap.on))
        return 0;
    if (pipe2(p, O_CLOEXEC) < 0 || pipe2(cap.stop_fd, O_CLOEXEC) < 0 ||
        (cap.real_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3)) < 0 ||
        fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot capture stderr: %s",
                 strerror(errno));
        goto out_close;
    }
    cap.read_fd = p[0];
    p[0] = -1;
    fflush(stderr);
    if (dup2(p[1], STDERR_FILENO) < 0) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot capture stderr: %s",
                 strerror(errno));
        goto out_close;
    }
    close_fd(&p[1]);
    if ((rc = start_thread()) < 0) {
        dup2(cap.real_fd, STDERR_FILENO);
        snprintf(err, MR_ERR_LEN, "cannot capture stderr: %s",
                 strerror(-rc));
        goto out_close;
    }
    cap.pid = getpid();
    atomic_store(&cap.on, true);
    if (!at_exit)
        at_exit = atexit(stderr_capture_stop) == 0;
    return 0;
out_close:
    close_fd(&p[1]);
    close_fd(&cap.read_fd);
    close_fd(&p[0]);
    close_fd(&cap.real_fd);
    close_fd(&cap.stop_fd[0]);
    close_fd(&cap.stop_fd[1]);
    return rc;
}

void
stderr_capture_stop(void)
{
    if (!atomic_load(&cap.on) || getpid() != cap.pid)
        return;
    fflush(stderr);
    while (write(cap.stop_fd[1], "", 1) < 0 && errno == EINTR)
        ;
    pthread_join(cap.thread, NULL);
    /* What the pipe still holds goes out first; then the real stderr
     * comes back, and whatever slipped in meanwhile follows. */
    if (enter()) {
        pump();
        dup2(cap.real_fd, STDERR_FILENO);
        pump();
        leave();
    } else {
        dup2(cap.real_fd, STDERR_FILENO);
    }
    atomic_store(&cap.on, false);
    close_fd(&cap.read_fd);
    close_fd(&cap.real_fd);
    close_fd(&cap.stop_fd[0]);
    close_fd(&cap.stop_fd[1]);
}

/* ---------------------------------------------------------------- tails */

void
stderr_capture_mark(void)
{
    if (!atomic_load(&cap.on) || !enter())
        return;
    pump();
    stderr_ring_mark(&cap.ring);
    leave();
}

size_t
stderr_capture_tail(char *out, size_t len)
{
    size_t n;

    if (len > 0)
        out[0] = '\0';
    if (!atomic_load(&cap.on) || !enter())
        return 0;
    pump();
    n = stderr_ring_tail(&cap.ring, out, len);
    leave();
    return n;
}

size_t
stderr_capture_dying(char *out, size_t len)
{
    struct timespec ms = {0, 1000000L};

    if (len > 0)
        out[0] = '\0';
    if (!atomic_load(&cap.on) || getpid() != cap.pid)
        return 0;
    atomic_store(&cap.dying, 1);
    for (int waited = 0;
         atomic_load(&cap.busy) && waited < STDERR_CAPTURE_WAIT_MS; waited++)
        nanosleep(&ms, NULL);
    pump();
    return stderr_ring_tail(&cap.ring, out, len);
}
