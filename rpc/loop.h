/* A single-threaded event loop on epoll: file events, one-shot timers kept in
 * a binary heap, and signals delivered through a signalfd, in the shape of
 * Redis ae.c. Each wakeup waits for the nearest timer or a ready descriptor,
 * runs the file events, then the timers that are due. Nothing sleeps or
 * polls. */
#ifndef RPC_LOOP_H
#define RPC_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "mr_err.h"

typedef struct rpc_loop rpc_loop;
typedef struct rpc_timer rpc_timer;

#define RPC_READABLE 1u
#define RPC_WRITABLE 2u

/* Called with the events that fired (RPC_READABLE, RPC_WRITABLE; a hang-up or
 * error is reported as readable so that the reader sees EOF or the error). */
typedef void rpc_file_fn(rpc_loop *loop, int fd, unsigned events, void *arg);
/* Called once when the timer is due; the handle is already freed. */
typedef void rpc_timer_fn(rpc_loop *loop, void *arg);
typedef void rpc_signal_fn(rpc_loop *loop, int signo, void *arg);

/* Returns a new loop, or NULL with err filled. Free with rpc_loop_free(). */
rpc_loop *rpc_loop_create(char err[MR_ERR_LEN]);
/* Frees the loop and its pending timers; closes nothing the caller owns.
 * Blocked signals stay blocked. NULL is a no-op. */
void rpc_loop_free(rpc_loop *loop);

/* Sets the events watched on fd (replacing earlier ones); events == 0 stops
 * watching. Returns 0 or -errno. The loop never closes fd. */
int rpc_loop_watch(rpc_loop *loop, int fd, unsigned events, rpc_file_fn *fn,
                   void *arg);

/* Arms a one-shot timer due after ms milliseconds. Returns its handle, valid
 * until it fires or is cancelled, or NULL when out of memory. */
rpc_timer *rpc_loop_timer_add(rpc_loop *loop, uint64_t ms, rpc_timer_fn *fn,
                              void *arg);
/* Cancels and frees a pending timer. NULL is a no-op. */
void rpc_loop_timer_cancel(rpc_loop *loop, rpc_timer *timer);

/* Delivers signo through the loop instead of its default action: the signal
 * is blocked in this process (children inherit the mask: unblock it after
 * fork) and read from a signalfd. Returns 0 or -errno. */
int rpc_loop_signal(rpc_loop *loop, int signo, rpc_signal_fn *fn, void *arg);

/* Runs until rpc_loop_stop(). Returns 0, or -errno if epoll_wait failed. */
int rpc_loop_run(rpc_loop *loop);
/* Makes rpc_loop_run() return after the current wakeup. */
void rpc_loop_stop(rpc_loop *loop);

/* Monotonic milliseconds read from the clock now. */
uint64_t rpc_monotonic_ms(void);

#endif
