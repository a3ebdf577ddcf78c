/* A worker's stderr, captured so that a failed task's report can carry
 * the last lines the task wrote there (stderr_ring.h says which), while
 * the user still sees every byte at once.
 *
 * stderr_capture_start() makes fd 2 the write end of a pipe; a thread
 * reads the pipe, writes each byte on to the real stderr at once, and
 * keeps the last ones in the ring. Whoever moves bytes from the pipe to
 * the ring (the thread, or a caller below that drains the pipe first, so
 * that everything written before the call is in the ring) holds a mutex,
 * and raises `busy` while it does. A dying worker's signal handler cannot
 * take a mutex: stderr_capture_dying() sets `dying`, which stops everyone
 * else from starting, waits a moment for `busy` to fall, then drains the
 * pipe itself and reads the ring without a lock (best effort: a holder
 * that does not finish in STDERR_CAPTURE_WAIT_MS is not waited for).
 *
 * Children inherit the pipe as their stderr (the shuffle server, anything
 * the app starts): their bytes are forwarded too while the worker lives.
 * Output lost: only what was written in the instant before a SIGKILL or a
 * SIGTERM, which the thread had no time to forward. */
#ifndef WORKER_STDERR_CAPTURE_H
#define WORKER_STDERR_CAPTURE_H

#include <stddef.h>

#include "mr_err.h"

/* How long a dying worker waits for the thread to finish forwarding. */
#define STDERR_CAPTURE_WAIT_MS 200

/* Starts capturing (once; again is a no-op) and arranges for
 * stderr_capture_stop() at exit(). Returns 0, or -errno with err filled:
 * stderr then stays as it was and every call below does nothing. */
int stderr_capture_start(char err[MR_ERR_LEN]);

/* Forwards what is left in the pipe, puts the real stderr back on fd 2 and
 * ends the thread. A no-op when not capturing, or in a child the worker
 * forked. */
void stderr_capture_stop(void);

/* A task begins: its tail starts after everything written so far. */
void stderr_capture_mark(void);

/* The tail of the task that began at the last mark, everything written so
 * far included, in out (cap bytes, NUL-terminated; "" when not
 * capturing). Returns its length. */
size_t stderr_capture_tail(char *out, size_t cap);

/* For a fatal signal's handler (async-signal-safe; the process is about
 * to die): forwards what is still in the pipe and writes the tail to out
 * as stderr_capture_tail() does. Never blocks for long: see above. */
size_t stderr_capture_dying(char *out, size_t cap);

#endif
