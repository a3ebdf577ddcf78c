/* A worker's stderr, captured so that a failed task's report can carry
 * the last lines the task wrote there (stderr_ring.h says which), while
 * the user still sees every byte.
 *
 * stderr_capture_start() makes fd 2 the write end of a pipe. Bytes go
 * from the pipe into the ring (the tail) and a queue (stderr_queue.h),
 * and a thread, the forwarder, writes the queue on to the real stderr.
 * Whoever moves bytes from the pipe (the forwarder, or a mark or a tail
 * below, which drain the pipe first so that everything written before the
 * call is in the ring) holds a mutex, and raises `busy` while it does;
 * each hold moves a bounded number of bytes and, but for
 * stderr_capture_stop()'s, never writes to the real stderr, so neither a
 * writer that keeps the pipe full nor a real stderr that blocks (a
 * terminal paused with ^S, a pipe into a reader that stopped) can keep
 * the mutex held: the forwarder waits for the real stderr outside the
 * mutex, with the bytes it took.
 *
 * While the real stderr blocks, the pipe fills and writers then block, as
 * they would writing there directly, but a mark, a tail or a dying worker
 * still takes what the pipe holds into the ring and the queue; what finds
 * no room in the queue (two pipes' worth) is dropped from the user's
 * view, and a note in its place says how many bytes (stderr_queue.h).
 *
 * A dying worker's signal handler cannot take a mutex:
 * stderr_capture_dying() sets `dying`, which stops everyone else from
 * starting, waits a moment for `busy` to fall, then drains into the ring
 * itself what the pipe held on entry, and reads the ring without a lock
 * (best effort: a holder that does not finish in STDERR_CAPTURE_WAIT_MS is
 * not waited for). It writes nothing to stderr: the handler sends its
 * report first, then stderr_capture_dying_forward() writes what is queued
 * as far as the real stderr takes it without waiting.
 *
 * Children inherit the pipe as their stderr (the shuffle server, anything
 * the app starts): their bytes are forwarded too while the worker lives.
 * Output lost: what was written in the instant before a SIGKILL or a
 * SIGTERM, which the thread had no time to forward; what a dying worker's
 * real stderr does not take at once; bytes dropped as above. */
#ifndef WORKER_STDERR_CAPTURE_H
#define WORKER_STDERR_CAPTURE_H

#include <stddef.h>

#include "mr_err.h"

/* How long a dying worker waits for a holder of the mutex to let go, and
 * once its report is sent, for the forwarder to finish a write. */
#define STDERR_CAPTURE_WAIT_MS 200

/* Starts capturing (once; again is a no-op) and arranges for
 * stderr_capture_stop() at exit(). Returns 0, or -errno with err filled:
 * stderr then stays as it was and every call below does nothing. */
int stderr_capture_start(char err[MR_ERR_LEN]);

/* Ends the thread, forwards what is left in the queue and the pipe
 * (waiting for the real stderr as long as it takes) and puts the real
 * stderr back on fd 2. A no-op when not capturing, or in a child the
 * worker forked. */
void stderr_capture_stop(void);

/* A task begins: its tail starts after everything written so far. */
void stderr_capture_mark(void);

/* The tail of the task that began at the last mark, everything written so
 * far included, in out (cap bytes, NUL-terminated; "" when not
 * capturing). Returns its length. */
size_t stderr_capture_tail(char *out, size_t cap);

/* For a fatal signal's handler (async-signal-safe; the process is about
 * to die): stops the forwarder, takes what the pipe holds into the ring
 * and writes the tail to out as stderr_capture_tail() does; writes nothing
 * to stderr. Waits STDERR_CAPTURE_WAIT_MS at most. Returns the tail's
 * length. */
size_t stderr_capture_dying(char *out, size_t cap);

/* After stderr_capture_dying() (async-signal-safe): writes the queued
 * bytes to the real stderr as far as it takes them without blocking,
 * PIPE_BUF at a time, once the forwarder has finished the write it was in
 * (STDERR_CAPTURE_WAIT_MS at most); the rest is lost. */
void stderr_capture_dying_forward(void);

#endif
