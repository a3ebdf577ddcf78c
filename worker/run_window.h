/* A run of intermediate records that arrives in pieces (a partition
 * fetched from another worker), as a merge source reads it. Each new piece
 * goes into a fresh buffer after the unread tail of the current one; the
 * buffer it leaves is retired, not reused, until run_window_release():
 * an app's reduce may keep every value of a key until its call returns
 * (include/mrapp.h), and those values may lie in several pieces. The merge
 * releases at each key's start (merge.h). Memory: the current buffer, one
 * spare, and the pieces one key's values span. */
#ifndef WORKER_RUN_WINDOW_H
#define WORKER_RUN_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "imfile.h"

struct run_buf {
    unsigned char *p;           /* owned */
    size_t cap;
};

struct run_window {
    struct run_buf cur;         /* the buffer the cursor points into */
    struct run_buf spare;       /* a released buffer, for reuse */
    struct run_buf *retired;    /* buffers left since the release */
    size_t nretired, retcap;
};

/* Moves the cursor onto the unread bytes of cur followed by piece[0..len),
 * with more bytes of the run still to come after them; cur->left is kept.
 * The bytes cur pointed into stay valid until the next release. The first
 * call takes a zeroed window and a zeroed cursor. Returns 0 or -ENOMEM
 * (cur unchanged). */
int run_window_append(struct run_window *w, struct im_cursor *cur,
                      const void *piece, size_t len, uint64_t more);

/* Frees the retired buffers (keeping one for reuse): nothing points into
 * them any more. */
void run_window_release(struct run_window *w);

/* Frees every buffer. */
void run_window_free(struct run_window *w);

#endif
