/* A worker's heartbeat thread. See heartbeat.h. */
#define _GNU_SOURCE
#include "heartbeat.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

struct heartbeat {
    rpc_client *c;              /* borrowed */
    uint32_t interval_ms;
    pthread_t thread;
    pthread_mutex_t lock;       /* guards the fields below */
    pthread_cond_t wake;        /* on CLOCK_MONOTONIC: a change below */
    bool stopping;              /* heartbeat_stop: the thread ends */
    bool beating;               /* a task is set: between begin and end */
    Mr__Heartbeat beat;         /* the task, while beating */
    struct timespec next;       /* when the next beat is due */
};

/* ---------------------------------------------------------------- clock */

static struct timespec
now_plus_ms(uint32_t ms)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

static bool
has_come(const struct timespec *when)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec > when->tv_sec ||
           (t.tv_sec == when->tv_sec && t.tv_nsec >= when->tv_nsec);
}

/* ---------------------------------------------------------------- thread */

/* Sends one beat, without the heartbeat's lock (the notify may wait for a
 * frame the main thread is writing). A beat that cannot go is skipped. */
static void
send_beat(struct heartbeat *hb, const Mr__Heartbeat *beat)
{
    (void)rpc_client_notify(hb->c, &mr__coordinator__descriptor,
                            "Heartbeat", &beat->base);
}

/* Sleeps until a task is set, then beats every interval until it is
 * ended; ends when stopped. */
static void *
beat_loop(void *arg)
{
    struct heartbeat *hb = arg;

    pthread_mutex_lock(&hb->lock);
    while (!hb->stopping) {
        if (!hb->beating) {
            pthread_cond_wait(&hb->wake, &hb->lock);
        } else if (!has_come(&hb->next)) {
            pthread_cond_timedwait(&hb->wake, &hb->lock, &hb->next);
        } else {
            Mr__Heartbeat beat = hb->beat;

            hb->next = now_plus_ms(hb->interval_ms);
            pthread_mutex_unlock(&hb->lock);
            send_beat(hb, &beat);
            pthread_mutex_lock(&hb->lock);
        }
    }
    pthread_mutex_unlock(&hb->lock);
    return NULL;
}

/* Creates the thread with every signal blocked from its first
 * instruction: it inherits the mask in force. */
static int
start_thread(struct heartbeat *hb)
{
    sigset_t all, old;
    int rc;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&hb->thread, NULL, beat_loop, hb);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return -rc;
}

/* ---------------------------------------------------------------- life */

/* The lock, and a condition variable whose timed waits read
 * CLOCK_MONOTONIC (a change of the wall clock moves no beat). */
static int
init_sync(struct heartbeat *hb)
{
    pthread_condattr_t attr;
    int rc;

    if ((rc = pthread_condattr_init(&attr)) != 0)
        return -rc;
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(&hb->wake, &attr);
    pthread_condattr_destroy(&attr);
    if (rc != 0)
        return -rc;
    if ((rc = pthread_mutex_init(&hb->lock, NULL)) != 0) {
        pthread_cond_destroy(&hb->wake);
        return -rc;
    }
    return 0;
}

int
heartbeat_start(struct heartbeat **hb, rpc_client *c, uint32_t interval_ms)
{
    struct heartbeat *h;
    int rc;

    *hb = NULL;
    if (interval_ms == 0)
        return 0;
    if ((h = calloc(1, sizeof(*h))) == NULL)
        return -ENOMEM;
    h->c = c;
    h->interval_ms = interval_ms;
    mr__heartbeat__init(&h->beat);
    if ((rc = init_sync(h)) < 0)
        goto out_free;
    if ((rc = start_thread(h)) < 0)
        goto out_destroy_sync;
    *hb = h;
    return 0;
out_destroy_sync:
    pthread_cond_destroy(&h->wake);
    pthread_mutex_destroy(&h->lock);
out_free:
    free(h);
    return rc;
}

void
heartbeat_begin(struct heartbeat *hb, Mr__TaskKind kind, uint32_t id,
                uint32_t attempt)
{
    if (hb == NULL)
        return;
    pthread_mutex_lock(&hb->lock);
    hb->beat.kind = kind;
    hb->beat.id = id;
    hb->beat.attempt = attempt;
    hb->beating = true;
    hb->next = now_plus_ms(hb->interval_ms);
    pthread_cond_signal(&hb->wake);
    pthread_mutex_unlock(&hb->lock);
}

void
heartbeat_end(struct heartbeat *hb)
{
    if (hb == NULL)
        return;
    pthread_mutex_lock(&hb->lock);
    hb->beating = false;
    pthread_cond_signal(&hb->wake);
    pthread_mutex_unlock(&hb->lock);
}

void
heartbeat_stop(struct heartbeat *hb)
{
    if (hb == NULL)
        return;
    pthread_mutex_lock(&hb->lock);
    hb->stopping = true;
    pthread_cond_signal(&hb->wake);
    pthread_mutex_unlock(&hb->lock);
    pthread_join(hb->thread, NULL);
    pthread_cond_destroy(&hb->wake);
    pthread_mutex_destroy(&hb->lock);
    free(hb);
}
