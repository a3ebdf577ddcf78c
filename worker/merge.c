/* K-way merge with a binary heap of cursors. See merge.h. */
#include "merge.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"

static bool
source_before(const struct merge_source *a, const struct merge_source *b)
{
    return key_compare(a->key, a->klen, b->key, b->klen) < 0;
}

static void
sift_down(struct merger *m, uint32_t i)
{
    struct merge_source *s = m->heap[i];

    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= m->n)
            break;
        if (c + 1 < m->n && source_before(m->heap[c + 1], m->heap[c]))
            c++;
        if (!source_before(m->heap[c], s))
            break;
        m->heap[i] = m->heap[c];
        i = c;
    }
    m->heap[i] = s;
}

static void
sift_up(struct merger *m, uint32_t i)
{
    struct merge_source *s = m->heap[i];

    while (i > 0 && source_before(s, m->heap[(i - 1) / 2])) {
        m->heap[i] = m->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    m->heap[i] = s;
}

/* Loads the source's next record, refilling a streamed one as needed;
 * false when it is exhausted, bad, or could not be refilled. */
static bool
source_next(struct merger *m, struct merge_source *s)
{
    int rc;

    while ((rc = im_cursor_next(&s->cur, &s->key, &s->klen, &s->val,
                                &s->vlen)) == IM_NEED_MORE) {
        if (s->refill == NULL) {
            rc = MR_EBADDATA;
            break;
        }
        if ((rc = s->refill(s->refill_arg, &s->cur)) < 0)
            break;
        if (!s->refilled) {
            s->refilled = true;
            m->refilled[m->nrefilled++] = s->input;
        }
    }

    if (rc < 0 && m->error == 0) {
        m->error = rc;
        m->bad_input = s->input;
    }
    if (rc == 1)
        m->records++;
    return rc == 1;
}

int
merger_init(struct merger *m, uint32_t cap)
{
    memset(m, 0, sizeof(*m));
    m->src = calloc(cap ? cap : 1, sizeof(*m->src));
    m->heap = calloc(cap ? cap : 1, sizeof(*m->heap));
    m->refilled = calloc(cap ? cap : 1, sizeof(*m->refilled));
    m->cap = cap;
    if (m->src == NULL || m->heap == NULL || m->refilled == NULL) {
        merger_free(m);
        return -ENOMEM;
    }
    return 0;
}

void
merger_free(struct merger *m)
{
    free(m->src);
    free(m->heap);
    free(m->keybuf);
    free(m->refilled);
    m->src = NULL;
    m->heap = NULL;
    m->keybuf = NULL;
    m->refilled = NULL;
}

void
merger_add_stream(struct merger *m, uint32_t input,
                  const struct im_cursor *cur, merge_refill_fn *refill,
                  merge_release_fn *release, void *arg)
{
    struct merge_source *s = &m->src[input];

    s->cur = *cur;
    s->input = input;
    s->refill = refill;
    s->release = release;
    s->refill_arg = arg;
    if (refill != NULL)
        m->streams++;
    if (source_next(m, s)) {
        m->heap[m->n] = s;
        sift_up(m, m->n++);
    }
}

void
merger_add(struct merger *m, uint32_t input, const struct im_cursor *cur)
{
    merger_add_stream(m, input, cur, NULL, NULL, NULL);
}

/* Moves the top source to its next record, or drops it. */
static void
advance_top(struct merger *m)
{
    if (!source_next(m, m->heap[0]))
        m->heap[0] = m->heap[--m->n];
    if (m->n > 0)
        sift_down(m, 0);
}

static bool
group_next(struct mr_values *v, const char **val, size_t *len)
{
    struct merge_group *g = (struct merge_group *)v;
    struct merger *m = g->m;
    struct merge_source *top;

    if (m->n == 0)
        return false;
    top = m->heap[0];
    if (top->klen != g->klen ||
        key_compare(top->key, top->klen, g->key, g->klen) != 0)
        return false;
    *val = top->val;
    *len = top->vlen;
    advance_top(m);
    return true;
}

/* The previous group is over: what its values lay in may go. */
static void
release_refilled(struct merger *m)
{
    for (uint32_t i = 0; i < m->nrefilled; i++) {
        struct merge_source *s = &m->src[m->refilled[i]];
        if (s->release != NULL)
            s->release(s->refill_arg);
        s->refilled = false;
    }
    m->nrefilled = 0;
}

bool
merger_next_group(struct merger *m, struct merge_group *g)
{
    release_refilled(m);
    if (m->n == 0 || m->error != 0)
        return false;
    g->base.next = group_next;
    g->m = m;
    g->key = m->heap[0]->key;
    g->klen = m->heap[0]->klen;
    if (m->streams > 0) {
        /* A refill may move the bytes the key is in: keep a copy. */
        if (g->klen > m->keycap) {
            char *p = realloc(m->keybuf, g->klen);
            if (p == NULL) {
                m->error = -ENOMEM;
                return false;
            }
            m->keybuf = p;
            m->keycap = g->klen;
        }
        if (g->klen > 0)
            memcpy(m->keybuf, g->key, g->klen);
        g->key = m->keybuf;
    }
    return true;
}

void
merger_end_group(struct merge_group *g)
{
    const char *v;
    size_t len;

    while (group_next(&g->base, &v, &len))
        ;
}
