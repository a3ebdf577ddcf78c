/* A worker's heartbeat: while a task runs, a thread of its own tells the
 * coordinator that this worker is alive, every interval the JoinReply
 * gave (heartbeat_ms), with a one-way Heartbeat (rpc_client_notify), so
 * that a task is handed out again when its worker falls silent, not when
 * it is slow (the silence rule, coordinator/coord.h). A stopped process
 * (SIGSTOP) beats no more: that is the point.
 *
 * The thread only waits, on CLOCK_MONOTONIC, and notifies: it blocks every
 * signal (fatal ones from the app, SIGTERM, ... go to the main thread),
 * allocates nothing and logs nothing, so that the worker's fork of its
 * shuffle server (shuffle_server.c) finds no lock of malloc's or stdio's
 * held by it. A beat that cannot go (no connection, the socket's buffer
 * full) is skipped: the main thread finds out about lost connections
 * itself. Beats and a dying worker's last words (lastwords.h) share the
 * connection without a lock between them; each is one send(). */
#ifndef WORKER_HEARTBEAT_H
#define WORKER_HEARTBEAT_H

#include <stdint.h>

#include "mr.pb-c.h"
#include "rpc.h"

struct heartbeat;

/* Starts a thread that beats on c (borrowed: stop the heartbeat before
 * freeing it) every interval_ms while a task is set. Sets *hb, which is
 * NULL when interval_ms is 0 (the coordinator wants no beats): the
 * functions below accept it and do nothing. Returns 0, or -errno with *hb
 * NULL. */
int heartbeat_start(struct heartbeat **hb, rpc_client *c,
                    uint32_t interval_ms);

/* From now until heartbeat_end(), beats name attempt `attempt` of task
 * (kind, id); the first comes one interval from now. Call before the task
 * runs. */
void heartbeat_begin(struct heartbeat *hb, Mr__TaskKind kind, uint32_t id,
                     uint32_t attempt);

/* No more beats for the task (one already on its way may still go, which
 * the coordinator takes as the truth it is: the task ran until now). Call
 * once it has run, before its report. */
void heartbeat_end(struct heartbeat *hb);

/* Stops the thread at once, waits for it and frees hb. NULL is a
 * no-op. */
void heartbeat_stop(struct heartbeat *hb);

#endif
