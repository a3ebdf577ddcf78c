/* Two buffers taking turns under a merge cursor. See run_window.h. */
#include "run_window.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
run_window_append(struct run_window *w, struct im_cursor *cur,
                  const void *piece, size_t len, uint64_t more)
{
    size_t tail = cur->p != NULL ? (size_t)(cur->end - cur->p) : 0;
    int next = w->buf[w->cur] == NULL ? w->cur : 1 - w->cur;
    size_t need = tail + len;

    if (need > w->cap[next] || w->buf[next] == NULL) {
        size_t cap = w->cap[next] ? w->cap[next] : 4096;
        unsigned char *p;
        while (cap < need)
            cap *= 2;
        /* Not realloc: the other buffer's bytes must stay, and this
         * one's old bytes are no longer needed. */
        if ((p = malloc(cap)) == NULL)
            return -ENOMEM;
        free(w->buf[next]);
        w->buf[next] = p;
        w->cap[next] = cap;
    }
    if (tail > 0)
        memmove(w->buf[next], cur->p, tail);
    if (len > 0)
        memcpy(w->buf[next] + tail, piece, len);
    w->cur = next;
    cur->p = w->buf[next];
    cur->end = cur->p + need;
    cur->more = more;
    return 0;
}

void
run_window_free(struct run_window *w)
{
    free(w->buf[0]);
    free(w->buf[1]);
    memset(w, 0, sizeof(*w));
}
