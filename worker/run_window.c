/* Buffers under a merge cursor, retired until released. See
 * run_window.h. */
#include "run_window.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A buffer of at least need bytes: the spare when it is large enough. */
static int
take_buffer(struct run_window *w, size_t need, struct run_buf *b)
{
    if (w->spare.p != NULL && w->spare.cap >= need) {
        *b = w->spare;
        w->spare = (struct run_buf){NULL, 0};
        return 0;
    }
    b->cap = 4096;
    while (b->cap < need)
        b->cap *= 2;
    return (b->p = malloc(b->cap)) != NULL ? 0 : -ENOMEM;
}

int
run_window_append(struct run_window *w, struct im_cursor *cur,
                  const void *piece, size_t len, uint64_t more)
{
    size_t tail = cur->p != NULL ? (size_t)(cur->end - cur->p) : 0;
    size_t need = tail + len;
    struct run_buf b;

    if (w->cur.p != NULL && w->nretired == w->retcap) {
        size_t n = w->retcap ? 2 * w->retcap : 8;
        struct run_buf *grown = realloc(w->retired, n * sizeof(*grown));
        if (grown == NULL)
            return -ENOMEM;
        w->retired = grown;
        w->retcap = n;
    }
    if (take_buffer(w, need, &b) < 0)
        return -ENOMEM;
    if (tail > 0)
        memcpy(b.p, cur->p, tail);
    if (len > 0)
        memcpy(b.p + tail, piece, len);
    if (w->cur.p != NULL)
        w->retired[w->nretired++] = w->cur;
    w->cur = b;
    cur->p = b.p;
    cur->end = b.p + need;
    cur->more = more;
    return 0;
}

void
run_window_release(struct run_window *w)
{
    /* The largest one is kept for the next piece. */
    for (size_t i = 0; i < w->nretired; i++) {
        struct run_buf *r = &w->retired[i];
        if (r->cap > w->spare.cap) {
            free(w->spare.p);
            w->spare = *r;
        } else {
            free(r->p);
        }
    }
    w->nretired = 0;
}

void
run_window_free(struct run_window *w)
{
    run_window_release(w);
    free(w->cur.p);
    free(w->spare.p);
    free(w->retired);
    memset(w, 0, sizeof(*w));
}
