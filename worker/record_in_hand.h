/* The record the app has in hand: the line a map_line callback (or an
 * executable fed lines) is working on, so that a worker dying of a fatal
 * signal can say which record killed it (lastwords.c appends it to its
 * last report as TaskReport.bad_record, for --skip-bad-records). Free of
 * the messages: mrsequential links it too.
 *
 * Writers are the task's own thread: record_in_hand_set() before the app
 * sees a record, record_in_hand_clear() when the task ends. Readers may be
 * signal handlers: record_in_hand_get() is async-signal-safe, and a
 * record half set when a signal arrives reads as none. set and clear are
 * static inline, a few stores each: the line loop calls set once a line. */
#ifndef WORKER_RECORD_IN_HAND_H
#define WORKER_RECORD_IN_HAND_H

#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of a record's beginning that a report carries. */
#define RECORD_HEAD_MAX 32

/* Shared with record_in_hand.c; use the functions below. */
struct record_in_hand {
    const char *file;           /* the input as the app sees it */
    uint64_t offset;            /* of the record's first byte in it */
    const char *bytes;          /* the record: valid until the next set or
                                   clear */
    size_t len;
};
extern struct record_in_hand record_in_hand__now;
extern volatile sig_atomic_t record_in_hand__valid;

/* The app gets the record at offset in file (its len bytes at bytes, which
 * stay valid and unchanged until the next set or clear, and file's name
 * until the clear). */
static inline void
record_in_hand_set(const char *file, uint64_t offset, const char *bytes,
                   size_t len)
{
    record_in_hand__valid = 0;
    atomic_signal_fence(memory_order_seq_cst);
    record_in_hand__now.file = file;
    record_in_hand__now.offset = offset;
    record_in_hand__now.bytes = bytes;
    record_in_hand__now.len = len;
    atomic_signal_fence(memory_order_seq_cst);
    record_in_hand__valid = 1;
}

/* No record in hand (the task is over, or between records). */
static inline void
record_in_hand_clear(void)
{
    record_in_hand__valid = 0;
    atomic_signal_fence(memory_order_seq_cst);
}

/* Copies the record in hand into *r. Returns false when there is none
 * (or a set was under way). Async-signal-safe. */
bool record_in_hand_get(struct record_in_hand *r);

#endif
