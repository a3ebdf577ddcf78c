/* The bytes of a worker's stderr on their way from the capture pipe to the
 * real stderr (stderr_capture.h), in order, and where some were dropped
 * for want of room: whoever drains the pipe puts them here without ever
 * waiting for the real stderr, and one forwarder takes them out to write
 * them there. Pure memory, no locks, no libc: every call is
 * async-signal-safe (a dying worker's handler forwards what is left); the
 * caller keeps users apart (stderr_capture.h says how).
 *
 *   buf: a ring of STDERR_QUEUE_SIZE bytes; queued byte number k (k from
 *   0) is buf[k % STDERR_QUEUE_SIZE] while taken <= k < put.
 *
 *        taken            dropped_at            put
 *   .......|================|====================|.......
 *           taken next        then the note, then these
 *
 * A put that finds no room for all its bytes queues what fits and drops
 * the rest, counting them; the forwarder then gets, at the place where
 * they were lost, a note saying how many ("[N bytes of stderr dropped
 * here: stderr was not taking them]"). Bytes dropped before that note is
 * taken are added to it, told at the first one's place. */
#ifndef WORKER_STDERR_QUEUE_H
#define WORKER_STDERR_QUEUE_H

#include <stddef.h>
#include <stdint.h>

/* Two pipes' worth (64 KiB each unless an app raised its size): room for
 * what the forwarder took and a full pipe drained on top of it. */
#define STDERR_QUEUE_SIZE (128 * 1024)
/* The longest note (a 20-digit count) and its newline. */
#define STDERR_QUEUE_NOTE_MAX 80

struct stderr_queue {
    char buf[STDERR_QUEUE_SIZE];
    uint64_t put;               /* bytes ever queued */
    uint64_t taken;             /* bytes ever taken out */
    uint64_t dropped;           /* bytes dropped, not yet told of */
    uint64_t dropped_at;        /* put when the first of them was dropped */
};

/* An empty queue: all zero, which a static one already is. */
void stderr_queue_init(struct stderr_queue *q);

/* How many bytes a put can queue now. */
size_t stderr_queue_room(const struct stderr_queue *q);

/* Queues p[0..n) as far as there is room; drops the rest, to be told of
 * (above). Returns how many bytes were queued. */
size_t stderr_queue_put(struct stderr_queue *q, const char *p, size_t n);

/* Takes out, into out (cap bytes, no NUL), the next bytes to write: the
 * queued bytes up to the next drop, or at a drop its note, when cap holds
 * STDERR_QUEUE_NOTE_MAX bytes (else nothing is taken there). Returns their
 * length; 0 when there is nothing to write. */
size_t stderr_queue_take(struct stderr_queue *q, char *out, size_t cap);

#endif
