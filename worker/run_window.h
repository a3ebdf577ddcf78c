/* A run of intermediate records that arrives in pieces (a partition
 * fetched from another worker), as a merge source reads it: two buffers
 * taking turns. Each new piece goes into the other buffer after the
 * unread tail of the current one, so that the bytes of the previous piece
 * stay where they were until the piece after, as merge.h's refill
 * contract asks. Memory: two buffers of about a piece each, more only for
 * a record longer than a piece. */
#ifndef WORKER_RUN_WINDOW_H
#define WORKER_RUN_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "imfile.h"

struct run_window {
    unsigned char *buf[2];      /* owned */
    size_t cap[2];
    int cur;                    /* the buffer cur points into */
};

/* Moves the cursor onto the unread bytes of cur followed by piece[0..len),
 * with more bytes of the run still to come after them; cur->left is kept.
 * The first call takes a zeroed window and a zeroed cursor. Returns 0 or
 * -ENOMEM (cur unchanged). */
int run_window_append(struct run_window *w, struct im_cursor *cur,
                      const void *piece, size_t len, uint64_t more);

/* Frees both buffers. */
void run_window_free(struct run_window *w);

#endif
