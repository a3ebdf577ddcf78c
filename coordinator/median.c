/* The running lower median of median.h: two binary heaps in arrays. */
#include "median.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int
median_init(struct median *m, uint32_t cap)
{
    memset(m, 0, sizeof(*m));
    m->low = calloc(cap ? cap : 1, sizeof(*m->low));
    m->high = calloc(cap ? cap : 1, sizeof(*m->high));
    m->cap = cap;
    return m->low && m->high ? 0 : -ENOMEM;
}

void
median_free(struct median *m)
{
    free(m->low);
    free(m->high);
    memset(m, 0, sizeof(*m));
}

void
median_clear(struct median *m)
{
    m->nlow = m->nhigh = 0;
}

uint32_t
median_count(const struct median *m)
{
    return m->nlow + m->nhigh;
}

uint64_t
median_get(const struct median *m)
{
    assert(m->nlow > 0);
    return m->low[0];
}

/* Whether a belongs above b in the heap: the larger in the max-heap, the
 * smaller in the min-heap. */
static bool
above(uint64_t a, uint64_t b, bool max)
{
    return max ? a > b : a < b;
}

static void
push(uint64_t *heap, uint32_t *n, uint64_t v, bool max)
{
    uint32_t i = (*n)++;

    while (i > 0 && above(v, heap[(i - 1) / 2], max)) {
        heap[i] = heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    heap[i] = v;
}

/* Takes the top out of a heap of *n > 0 numbers and returns it. */
static uint64_t
pop(uint64_t *heap, uint32_t *n, bool max)
{
    uint64_t top = heap[0], last = heap[--*n];
    uint32_t i = 0;

    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= *n)
            break;
        if (child + 1 < *n && above(heap[child + 1], heap[child], max))
            child++;
        if (!above(heap[child], last, max))
            break;
        heap[i] = heap[child];
        i = child;
    }
    if (*n > 0)
        heap[i] = last;
    return top;
}

void
median_add(struct median *m, uint64_t v)
{
    assert(median_count(m) < m->cap);
    if (m->nlow == 0 || v <= m->low[0])
        push(m->low, &m->nlow, v, true);
    else
        push(m->high, &m->nhigh, v, false);
    /* Halves of equal size, or the lower one larger by one. */
    if (m->nlow > m->nhigh + 1)
        push(m->high, &m->nhigh, pop(m->low, &m->nlow, true), false);
    else if (m->nhigh > m->nlow)
        push(m->low, &m->nlow, pop(m->high, &m->nhigh, false), true);
}
