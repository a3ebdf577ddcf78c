/* Event loop on epoll with a timer heap and a signalfd. See loop.h. */
#define _GNU_SOURCE
#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

struct file_event {
    unsigned events;            /* RPC_READABLE | RPC_WRITABLE, 0 if unused */
    rpc_file_fn *fn;
    void *arg;
};

struct rpc_timer {
    uint64_t due;               /* monotonic ms */
    uint64_t seq;               /* ties broken by arming order */
    size_t slot;                /* index in the heap, kept for cancel */
    rpc_timer_fn *fn;
    void *arg;
};

struct signal_handler {
    rpc_signal_fn *fn;
    void *arg;
};

struct rpc_loop {
    int epfd;
    struct file_event *files;   /* indexed by fd */
    int nfiles;                 /* capacity of files */
    rpc_timer **heap;           /* min-heap on (due, seq) */
    size_t ntimers, heapcap;
    uint64_t next_seq;
    int sigfd;                  /* -1 until rpc_loop_signal() */
    sigset_t sigmask;           /* signals routed to sigfd */
    struct signal_handler signals[65];
    bool running;
};

/* ---------------------------------------------------------------- clock */

uint64_t
rpc_monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------- setup */

rpc_loop *
rpc_loop_create(char err[MR_ERR_LEN])
{
    rpc_loop *loop = calloc(1, sizeof(*loop));

    if (loop == NULL) {
        snprintf(err, MR_ERR_LEN, "out of memory creating the event loop");
        return NULL;
    }
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epfd < 0) {
        snprintf(err, MR_ERR_LEN, "epoll_create1: %s", strerror(errno));
        free(loop);
        return NULL;
    }
    loop->sigfd = -1;
    sigemptyset(&loop->sigmask);
    return loop;
}

void
rpc_loop_free(rpc_loop *loop)
{
    if (loop == NULL)
        return;
    for (size_t i = 0; i < loop->ntimers; i++)
        free(loop->heap[i]);
    free(loop->heap);
    free(loop->files);
    if (loop->sigfd >= 0)
        close(loop->sigfd);
    close(loop->epfd);
    free(loop);
}

/* ---------------------------------------------------------------- files */

static int
grow_files(rpc_loop *loop, int fd)
{
    int cap = loop->nfiles ? loop->nfiles : 64;
    struct file_event *files;

    while (cap <= fd)
        cap *= 2;
    files = realloc(loop->files, (size_t)cap * sizeof(*files));
    if (files == NULL)
        return -ENOMEM;
    memset(files + loop->nfiles, 0,
           (size_t)(cap - loop->nfiles) * sizeof(*files));
    loop->files = files;
    loop->nfiles = cap;
    return 0;
}

int
rpc_loop_watch(rpc_loop *loop, int fd, unsigned events, rpc_file_fn *fn,
               void *arg)
{
    struct epoll_event ev = {0};
    struct file_event *fe;
    int op, rc;

    if (fd < 0)
        return -EBADF;
    if (fd >= loop->nfiles && (rc = grow_files(loop, fd)) < 0)
        return rc;
    fe = &loop->files[fd];
    if (events == 0) {
        if (fe->events != 0)
            epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
        memset(fe, 0, sizeof(*fe));
        return 0;
    }
    op = fe->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (events & RPC_READABLE)
        ev.events |= EPOLLIN;
    if (events & RPC_WRITABLE)
        ev.events |= EPOLLOUT;
    ev.data.fd = fd;
    if (epoll_ctl(loop->epfd, op, fd, &ev) < 0)
        return -errno;
    fe->events = events;
    fe->fn = fn;
    fe->arg = arg;
    return 0;
}

/* ---------------------------------------------------------------- timers */

static bool
timer_before(const rpc_timer *a, const rpc_timer *b)
{
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void
heap_set(rpc_loop *loop, size_t slot, rpc_timer *t)
{
    loop->heap[slot] = t;
    t->slot = slot;
}

static void
heap_sift_up(rpc_loop *loop, size_t slot)
{
    rpc_timer *t = loop->heap[slot];

    while (slot > 0) {
        size_t parent = (slot - 1) / 2;
        if (!timer_before(t, loop->heap[parent]))
            break;
        heap_set(loop, slot, loop->heap[parent]);
        slot = parent;
    }
    heap_set(loop, slot, t);
}

static void
heap_sift_down(rpc_loop *loop, size_t slot)
{
    rpc_timer *t = loop->heap[slot];

    for (;;) {
        size_t child = 2 * slot + 1;
        if (child >= loop->ntimers)
            break;
        if (child + 1 < loop->ntimers &&
            timer_before(loop->heap[child + 1], loop->heap[child]))
            child++;
        if (!timer_before(loop->heap[child], t))
            break;
        heap_set(loop, slot, loop->heap[child]);
        slot = child;
    }
    heap_set(loop, slot, t);
}

/* Takes the timer out of the heap without freeing it. */
static void
heap_remove(rpc_loop *loop, rpc_timer *t)
{
    size_t slot = t->slot;
    rpc_timer *last = loop->heap[--loop->ntimers];

    if (last == t)
        return;
    heap_set(loop, slot, last);
    heap_sift_up(loop, slot);
    heap_sift_down(loop, last->slot);
}

rpc_timer *
rpc_loop_timer_add(rpc_loop *loop, uint64_t ms, rpc_timer_fn *fn, void *arg)
{
    rpc_timer *t;

    if (loop->ntimers == loop->heapcap) {
        size_t cap = loop->heapcap ? loop->heapcap * 2 : 16;
        rpc_timer **heap = realloc(loop->heap, cap * sizeof(*heap));
        if (heap == NULL)
            return NULL;
        loop->heap = heap;
        loop->heapcap = cap;
    }
    t = malloc(sizeof(*t));
    if (t == NULL)
        return NULL;
    t->due = rpc_monotonic_ms() + ms;
    t->seq = loop->next_seq++;
    t->fn = fn;
    t->arg = arg;
    loop->heap[loop->ntimers] = t;
    t->slot = loop->ntimers++;
    heap_sift_up(loop, t->slot);
    return t;
}

void
rpc_loop_timer_cancel(rpc_loop *loop, rpc_timer *timer)
{
    if (timer == NULL)
        return;
    heap_remove(loop, timer);
    free(timer);
}

/* Runs the timers that are due. One armed by a callback during this pass
 * waits for the next pass, so a timer that re-arms itself cannot keep the
 * loop from its descriptors (and signals) forever. */
static void
run_due_timers(rpc_loop *loop)
{
    uint64_t first_new = loop->next_seq, now = rpc_monotonic_ms();

    while (loop->ntimers > 0 && loop->heap[0]->due <= now &&
           loop->heap[0]->seq < first_new) {
        rpc_timer *t = loop->heap[0];
        rpc_timer_fn *fn = t->fn;
        void *arg = t->arg;

        heap_remove(loop, t);
        free(t);
        fn(loop, arg);
    }
}

/* Milliseconds until the nearest timer, -1 when there is none. */
static int
wait_timeout(rpc_loop *loop)
{
    uint64_t now, due;

    if (loop->ntimers == 0)
        return -1;
    now = rpc_monotonic_ms();
    due = loop->heap[0]->due;
    if (due <= now)
        return 0;
    return due - now > 60000 ? 60000 : (int)(due - now);
}

/* ---------------------------------------------------------------- signals */

static void
on_signalfd(rpc_loop *loop, int fd, unsigned events, void *arg)
{
    struct signalfd_siginfo si;

    (void)events;
    (void)arg;
    while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        struct signal_handler *h = &loop->signals[si.ssi_signo];
        if (si.ssi_signo < 65 && h->fn != NULL)
            h->fn(loop, (int)si.ssi_signo, h->arg);
    }
}

int
rpc_loop_signal(rpc_loop *loop, int signo, rpc_signal_fn *fn, void *arg)
{
    sigset_t one;
    int fd, rc;

    if (signo <= 0 || signo >= 65)
        return -EINVAL;
    sigemptyset(&one);
    sigaddset(&one, signo);
    if (sigprocmask(SIG_BLOCK, &one, NULL) < 0)
        return -errno;
    sigaddset(&loop->sigmask, signo);
    fd = signalfd(loop->sigfd, &loop->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (loop->sigfd < 0) {
        loop->sigfd = fd;
        if ((rc = rpc_loop_watch(loop, fd, RPC_READABLE, on_signalfd,
                                 NULL)) < 0)
            return rc;
    }
    loop->signals[signo].fn = fn;
    loop->signals[signo].arg = arg;
    return 0;
}

/* ---------------------------------------------------------------- run */

#define MAX_EVENTS 128

int
rpc_loop_run(rpc_loop *loop)
{
    struct epoll_event events[MAX_EVENTS];

    loop->running = true;
    while (loop->running) {
        int n = epoll_wait(loop->epfd, events, MAX_EVENTS,
                           wait_timeout(loop));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            loop->running = false;
            return -errno;
        }
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            unsigned fired = 0;
            struct file_event *fe;

            if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                fired |= RPC_READABLE;
            if (events[i].events & EPOLLOUT)
                fired |= RPC_WRITABLE;
            /* An earlier callback in this batch may have unwatched fd. */
            if (fd >= loop->nfiles)
                continue;
            fe = &loop->files[fd];
            fired &= fe->events | RPC_READABLE;
            if (fe->events == 0 || fired == 0)
                continue;
            fe->fn(loop, fd, fired, fe->arg);
        }
        run_due_timers(loop);
    }
    return 0;
}

void
rpc_loop_stop(rpc_loop *loop)
{
    loop->running = false;
}
