/* The last bytes a worker wrote to stderr, kept in a ring, and the tail of
 * them a failed task's report carries: the last STDERR_TAIL_LINES lines
 * (at most STDERR_TAIL_BYTES bytes) written since the task began (the
 * mark). Pure memory, no locks, no libc: every call is async-signal-safe,
 * so that a dying worker's signal handler can read it (lastwords.h); the
 * caller keeps writers apart (stderr_capture.h says how).
 *
 *   buf: a ring of STDERR_RING_SIZE bytes; byte number k of everything
 *   ever put (k from 0) is buf[k % STDERR_RING_SIZE] while
 *   k >= written - STDERR_RING_SIZE.
 *
 *       mark                                written
 *        |<----------- since the mark ---------->|
 *   .....[=====lost=====][====== kept in buf ====]
 *        (when more than the ring holds was written since the mark)
 *
 * The tail: the bytes since the mark still kept, less one newline at the
 * very end, cut to the last STDERR_TAIL_LINES lines and STDERR_TAIL_BYTES
 * bytes. When the cut (or the ring's loss) falls inside a line, that
 * partial first line goes, unless it is the only one, which is kept cut.
 * Control bytes but '\n' become '?'. */
#ifndef WORKER_STDERR_RING_H
#define WORKER_STDERR_RING_H

#include <stddef.h>
#include <stdint.h>

#define STDERR_RING_SIZE  8192
#define STDERR_TAIL_LINES 10
#define STDERR_TAIL_BYTES 2048

struct stderr_ring {
    char buf[STDERR_RING_SIZE];
    uint64_t written;           /* bytes ever put */
    uint64_t mark;              /* written at the last mark */
};

/* An empty ring: all zero, which a static one already is. */
void stderr_ring_init(struct stderr_ring *r);

/* Keeps p[0..n), the newest bytes, dropping the oldest past the ring's
 * size. */
void stderr_ring_put(struct stderr_ring *r, const char *p, size_t n);

/* A task begins: its tail starts here. */
void stderr_ring_mark(struct stderr_ring *r);

/* Writes the tail (above) to out, NUL-terminated, in at most cap bytes
 * (cap - 1 of text; STDERR_TAIL_BYTES + 1 holds any tail). Returns its
 * length; 0 (and "") when nothing was written since the mark or cap is
 * 0. */
size_t stderr_ring_tail(const struct stderr_ring *r, char *out, size_t cap);

#endif
