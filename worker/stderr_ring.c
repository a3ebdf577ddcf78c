/* The ring of a worker's last stderr bytes and a task's tail of them. See
 * stderr_ring.h. Async-signal-safe: no call into libc. */
#include "stderr_ring.h"

#include <stdbool.h>

void
stderr_ring_init(struct stderr_ring *r)
{
    r->written = 0;
    r->mark = 0;
}

void
stderr_ring_put(struct stderr_ring *r, const char *p, size_t n)
{
    /* Only the last STDERR_RING_SIZE bytes can stay. */
    if (n > STDERR_RING_SIZE) {
        r->written += n - STDERR_RING_SIZE;
        p += n - STDERR_RING_SIZE;
        n = STDERR_RING_SIZE;
    }
    for (size_t i = 0; i < n; i++)
        r->buf[(r->written + i) % STDERR_RING_SIZE] = p[i];
    r->written += n;
}

void
stderr_ring_mark(struct stderr_ring *r)
{
    r->mark = r->written;
}

/* Byte number k of everything put (still kept). */
static char
byte_at(const struct stderr_ring *r, uint64_t k)
{
    return r->buf[k % STDERR_RING_SIZE];
}

/* Where the tail of [first, end) begins: back from end over at most
 * STDERR_TAIL_LINES lines and budget bytes. */
static uint64_t
tail_begin(const struct stderr_ring *r, uint64_t first, uint64_t end,
           size_t budget)
{
    uint64_t begin = end;
    size_t newlines = 0;

    while (begin > first && end - begin < budget) {
        if (byte_at(r, begin - 1) == '\n' &&
            newlines++ == STDERR_TAIL_LINES - 1)
            break;
        begin--;
    }
    return begin;
}

size_t
stderr_ring_tail(const struct stderr_ring *r, char *out, size_t cap)
{
    uint64_t first, end, begin;
    size_t budget, n = 0;
    bool lost, cut;

    if (cap == 0)
        return 0;
    /* The bytes since the mark that the ring still keeps. */
    lost = r->written - r->mark > STDERR_RING_SIZE;
    first = lost ? r->written - STDERR_RING_SIZE : r->mark;
    end = r->written;
    if (end > first && byte_at(r, end - 1) == '\n')
        end--;
    budget = cap - 1 < STDERR_TAIL_BYTES ? cap - 1 : STDERR_TAIL_BYTES;
    begin = tail_begin(r, first, end, budget);
    /* A partial first line goes, when a whole one follows. */
    cut = begin > first ? byte_at(r, begin - 1) != '\n' : lost;
    if (cut) {
        uint64_t k = begin;
        while (k < end && byte_at(r, k) != '\n')
            k++;
        if (k < end)
            begin = k + 1;
    }
    for (uint64_t k = begin; k < end; k++) {
        unsigned char b = (unsigned char)byte_at(r, k);
        out[n++] = (b < 0x20 && b != '\n') || b == 0x7f ? '?' : (char)b;
    }
    out[n] = '\0';
    return n;
}
