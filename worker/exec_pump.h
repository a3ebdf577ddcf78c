/* Running one command of an executable app over pipes: what fill produces
 * goes to its stdin while what it writes to stdout goes to take, both at
 * once, so that neither side can deadlock on a full pipe.
 *
 * One poll() loop over the child's stdin (non-blocking writes of at most
 * EXEC_PUMP_CHUNK bytes asked of fill at a time), its stdout (reads of at
 * most EXEC_PUMP_CHUNK handed to take) and, at the end, its exit. Memory
 * is bounded by the two chunks and whatever take keeps of a partial
 * record: a child that does not read makes us stop writing and keep
 * reading; a take that is slow leaves the child's stdout pipe full, which
 * blocks the child (backpressure).
 *
 * A child that closes its stdin before reading it all (a mapper that
 * prints a fixed line, `head`) is no error: the rest of the input is
 * dropped, and the child's exit status decides. */
#ifndef WORKER_EXEC_PUMP_H
#define WORKER_EXEC_PUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mr_err.h"

#define EXEC_PUMP_CHUNK (64u << 10)

/* Puts up to cap bytes of the child's input in buf. Returns how many, 0
 * when there is no more (fill is not called again), or a negative error
 * with err filled (or left empty when the caller knows the cause). */
typedef ssize_t exec_fill_fn(void *arg, char *buf, size_t cap,
                             char err[MR_ERR_LEN]);

/* Takes len bytes the child wrote to its stdout; called once more with
 * at_end (len 0) after the child exited 0, to check that nothing is left
 * unfinished. Returns 0, or an error with err filled (the child is then
 * killed). */
typedef int exec_take_fn(void *arg, const char *bytes, size_t len,
                         bool at_end, char err[MR_ERR_LEN]);

struct exec_io {
    exec_fill_fn *fill;
    void *fill_arg;
    exec_take_fn *take;
    void *take_arg;
};

/* How a mapper took its input, for naming the line it died on (exec_map,
 * --skip-bad-records). */
struct exec_watch {
    bool one_at_a_time;         /* in: fill gives one line a call, and is
                                   asked for the next only once the child
                                   has read all it was given (its stdin's
                                   pipe is empty): waiting for that has
                                   no poll() event, so the pump looks
                                   every 50 us to 2 ms (backing off), and
                                   a line costs at least that */
    uint64_t written;           /* out: bytes written to its stdin */
    bool ended;                 /* out: its stdin was closed after the
                                   last byte (it may have read the end) */
    long unread;                /* out, once it exited: of those, the
                                   bytes it left in the pipe (-1:
                                   unknown) */
    int signo;                  /* out, once it exited: the signal it
                                   died of (exec_child_signal), 0: none */
};

/* exec_run, with watch (NULL: none) kept as said above. watch->signo and
 * ->unread are set only when the child exited on its own (not when it
 * was killed here for an error or for silence). */
int exec_run_watched(const char *cmd, const char *role,
                     const struct exec_io *io, unsigned silence_ms,
                     struct exec_watch *watch, char err[MR_ERR_LEN]);

/* Runs `/bin/sh -c cmd` (exec_child.h) with io until its stdout ends and
 * it exits. role names it in messages ("mapper"). silence_ms: when the
 * child neither takes nor gives a byte, nor exits, for that long, it is
 * killed and the run fails (0: no limit). Returns 0 when all went well
 * and the child exited 0; else, with the child killed and reaped and err
 * filled: fill's or take's error, MR_EAPP for the child's exit status
 * (exec_child_wait's message), or ETIMEDOUT for silence. */
int exec_run(const char *cmd, const char *role, const struct exec_io *io,
             unsigned silence_ms, char err[MR_ERR_LEN]);

#endif
