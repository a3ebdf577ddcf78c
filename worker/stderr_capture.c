/* A worker's stderr through a pipe, into a ring of its last bytes for
 * failed tasks' reports and a queue a thread forwards to the real stderr.
 * See stderr_capture.h. */
#define _GNU_SOURCE
#include "stderr_capture.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stderr_queue.h"
#include "stderr_ring.h"

/* How long a write to a real stderr that says "later" is waited for
 * before its bytes are dropped (a non-blocking one, shared with a parent
 * that made it so). */
#define FORWARD_WAIT_MS 1000
/* The most the forwarder moves from the pipe per hold of the mutex. */
#define PUMP_MAX (16 * 1024)
/* The most a mark, a tail or a dying handler moves: what the pipe holds
 * on entry (a pipe's size, 64 KiB unless an app raised it), never more. */
#define DRAIN_MAX (1024 * 1024)

static struct {
    atomic_bool on;             /* capturing */
    pid_t pid;                  /* the process that started it */
    int real_fd;                /* the real stderr, dup()ed */
    /* How a dying handler writes to it without waiting (forward_now). */
    enum { NOW_FILE, NOW_OWN, NOW_SOCKET, NOW_NEVER } now_how;
    int now_fd;                 /* NOW_OWN: the real stderr opened again,
                                   non-blocking: a file description of
                                   its own, so that the flag touches no
                                   one else's */
    int read_fd;                /* the pipe's read end, non-blocking */
    int wake_fd[2];             /* a byte on it wakes the forwarder (both
                                   ends non-blocking) */
    atomic_bool stopping;       /* the forwarder is to end */
    pthread_t thread;
    pthread_mutex_t lock;       /* held while moving bytes from the pipe
                                   or the queue */
    atomic_int busy;            /* raised by the lock's holder */
    atomic_int forwarding;      /* the forwarder writes bytes it took */
    atomic_int dying;           /* set by a fatal signal's handler: no one
                                   starts moving bytes any more */
    struct stderr_ring ring;
    struct stderr_queue queue;
} cap = {.real_fd = -1, .now_fd = -1, .read_fd = -1, .wake_fd = {-1, -1},
         .lock = PTHREAD_MUTEX_INITIALIZER};

/* ---------------------------------------------------------------- moving */

/* Writes p[0..n) to the real stderr, waiting as long as it blocks; bytes
 * it does not take (an error, or a wait past FORWARD_WAIT_MS on a
 * non-blocking one) are dropped. The forwarder's, outside the lock. */
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

/* Chooses how forward_now() writes to the real stderr: a regular file (or
 * a disk) as it is, since a write there never waits on a reader; a
 * socket with MSG_DONTWAIT; a terminal or a pipe opened again through
 * /proc with O_NONBLOCK (a poll is no promise: a terminal polls writable
 * with a byte of room, and a blocking write then waits for room for all);
 * anything else not at all. */
static void
choose_now(void)
{
    struct stat st;
    char path[64];

    cap.now_how = NOW_NEVER;
    if (fstat(cap.real_fd, &st) < 0)
        return;
    if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) {
        cap.now_how = NOW_FILE;
    } else if (S_ISSOCK(st.st_mode)) {
        cap.now_how = NOW_SOCKET;
    } else if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
        snprintf(path, sizeof(path), "/proc/self/fd/%d", cap.real_fd);
        cap.now_fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY |
                                    O_CLOEXEC);
        if (cap.now_fd >= 0)
            cap.now_how = NOW_OWN;
    }
}

/* One write of at most PIPE_BUF bytes that does not wait. */
static ssize_t
write_now(const char *p, size_t n)
{
    switch (cap.now_how) {
    case NOW_FILE:
        return write(cap.real_fd, p, n);
    case NOW_OWN:
        return write(cap.now_fd, p, n);
    case NOW_SOCKET:
        return send(cap.real_fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
    default:
        errno = EAGAIN;
        return -1;
    }
}

/* Writes p[0..n) to the real stderr as far as it takes it without waiting
 * (choose_now() says how). Returns false when it stopped short.
 * Async-signal-safe. */
static bool
forward_now(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write_now(p, n < PIPE_BUF ? n : PIPE_BUF);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

/* How many bytes the pipe holds now (at most DRAIN_MAX). Async-signal-safe
 * (an ioctl is a plain system call). */
static size_t
pipe_holds(void)
{
    int n = 0;

    if (ioctl(cap.read_fd, FIONREAD, &n) < 0 || n < 0)
        return 0;
    return (size_t)n < DRAIN_MAX ? (size_t)n : DRAIN_MAX;
}

/* Moves at most max bytes from the pipe to the ring and the queue (which
 * drops what it has no room for). Sets *end at the end of the pipe (no
 * writer left). Returns the bytes moved. Async-signal-safe. */
static size_t
pump(size_t max, bool *end)
{
    char buf[4096];
    size_t moved = 0;

    while (moved < max) {
        size_t want = max - moved < sizeof(buf) ? max - moved : sizeof(buf);
        ssize_t n = read(cap.read_fd, buf, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0 && end != NULL)
                *end = true;
            break;
        }
        stderr_ring_put(&cap.ring, buf, (size_t)n);
        stderr_queue_put(&cap.queue, buf, (size_t)n);
        moved += (size_t)n;
    }
    return moved;
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

/* Tells the forwarder the queue has bytes for it. Never blocks: a full
 * wake pipe already holds a wakeup. */
static void
wake_forwarder(void)
{
    while (write(cap.wake_fd[1], "", 1) < 0 && errno == EINTR)
        ;
}

/* Waits until the pipe has bytes or the forwarder is woken. Returns false
 * when it is to end. */
static bool
wait_for_bytes(void)
{
    struct pollfd p[2] = {{.fd = cap.read_fd, .events = POLLIN},
                          {.fd = cap.wake_fd[0], .events = POLLIN}};
    char drain[64];

    while (poll(p, 2, -1) < 0)
        if (errno != EINTR)
            return false;
    if (p[1].revents != 0)
        while (read(cap.wake_fd[0], drain, sizeof(drain)) > 0)
            ;
    return !atomic_load(&cap.stopping);
}

/* The thread: writes the queue to the real stderr outside the lock,
 * PIPE_BUF at a time, and once it is empty, moves bytes from the pipe to
 * the queue, PUMP_MAX at most per hold of the lock; until told to stop, a
 * dying handler takes over, or the pipe has no writer left. Taking from
 * the pipe only once the queue is empty keeps the queue's room for a
 * mark's, a tail's or a dying handler's drain (a full pipe), so that they
 * drop bytes only when the real stderr does not take them. */
static void *
forwarder(void *arg)
{
    char chunk[PIPE_BUF];
    bool end = false;

    _Static_assert(PIPE_BUF >= STDERR_QUEUE_NOTE_MAX, "a note fits");
    (void)arg;
    while (!atomic_load(&cap.stopping)) {
        size_t n;
        if (!enter())
            break;
        n = stderr_queue_take(&cap.queue, chunk, sizeof(chunk));
        if (n == 0 && !end) {
            pump(PUMP_MAX, &end);
            n = stderr_queue_take(&cap.queue, chunk, sizeof(chunk));
        }
        if (n > 0)
            atomic_store(&cap.forwarding, 1);
        leave();
        if (n > 0) {
            forward(chunk, n);
            atomic_store(&cap.forwarding, 0);
        } else if (end || !wait_for_bytes()) {
            break;
        }
    }
    return NULL;
}

/* Under the lock, with the forwarder ended: writes the queue and what the
 * pipe holds now to the real stderr, waiting for it as long as it takes. */
static void
forward_the_rest(void)
{
    char chunk[PIPE_BUF];
    size_t left = pipe_holds(), n;

    for (;;) {
        size_t room = stderr_queue_room(&cap.queue);
        left -= pump(left < room ? left : room, NULL);
        if ((n = stderr_queue_take(&cap.queue, chunk, sizeof(chunk))) == 0)
            return;
        forward(chunk, n);
    }
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
    if (pipe2(p, O_CLOEXEC) < 0 ||
        pipe2(cap.wake_fd, O_CLOEXEC | O_NONBLOCK) < 0 ||
        (cap.real_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3)) < 0 ||
        fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot capture stderr: %s",
                 strerror(errno));
        goto out_close;
    }
    cap.read_fd = p[0];
    p[0] = -1;
    choose_now();
    fflush(stderr);
    if (dup2(p[1], STDERR_FILENO) < 0) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot capture stderr: %s",
                 strerror(errno));
        goto out_close;
    }
    close_fd(&p[1]);
    atomic_store(&cap.stopping, false);
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
    close_fd(&cap.now_fd);
    close_fd(&cap.wake_fd[0]);
    close_fd(&cap.wake_fd[1]);
    return rc;
}

void
stderr_capture_stop(void)
{
    if (!atomic_load(&cap.on) || getpid() != cap.pid)
        return;
    fflush(stderr);
    atomic_store(&cap.stopping, true);
    wake_forwarder();
    pthread_join(cap.thread, NULL);
    /* What the queue and the pipe still hold goes out first; then the
     * real stderr comes back, and whatever slipped in meanwhile
     * follows. */
    if (enter()) {
        forward_the_rest();
        dup2(cap.real_fd, STDERR_FILENO);
        forward_the_rest();
        leave();
    } else {
        dup2(cap.real_fd, STDERR_FILENO);
    }
    atomic_store(&cap.on, false);
    close_fd(&cap.read_fd);
    close_fd(&cap.real_fd);
    close_fd(&cap.now_fd);
    close_fd(&cap.wake_fd[0]);
    close_fd(&cap.wake_fd[1]);
}

/* ---------------------------------------------------------------- tails */

/* Under the lock: moves what the pipe holds now to the ring and the
 * queue, and has the forwarder write what it queued. */
static void
drain(void)
{
    if (pump(pipe_holds(), NULL) > 0)
        wake_forwarder();
}

void
stderr_capture_mark(void)
{
    if (!atomic_load(&cap.on) || !enter())
        return;
    drain();
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
    drain();
    n = stderr_ring_tail(&cap.ring, out, len);
    leave();
    return n;
}

/* Waits until *flag falls, STDERR_CAPTURE_WAIT_MS at most.
 * Async-signal-safe. */
static void
wait_for_fall(atomic_int *flag)
{
    struct timespec ms = {0, 1000000L};

    for (int waited = 0;
         atomic_load(flag) && waited < STDERR_CAPTURE_WAIT_MS; waited++)
        nanosleep(&ms, NULL);
}

size_t
stderr_capture_dying(char *out, size_t len)
{
    if (len > 0)
        out[0] = '\0';
    if (!atomic_load(&cap.on) || getpid() != cap.pid)
        return 0;
    atomic_store(&cap.dying, 1);
    wait_for_fall(&cap.busy);
    pump(pipe_holds(), NULL);
    return stderr_ring_tail(&cap.ring, out, len);
}

void
stderr_capture_dying_forward(void)
{
    char chunk[PIPE_BUF];
    size_t n;

    if (!atomic_load(&cap.on) || getpid() != cap.pid ||
        !atomic_load(&cap.dying))
        return;
    /* The forwarder's bytes in flight come before the queue's. */
    wait_for_fall(&cap.forwarding);
    while ((n = stderr_queue_take(&cap.queue, chunk, sizeof(chunk))) > 0)
        if (!forward_now(chunk, n))
            return;
}
