/* The queue of a worker's stderr bytes on their way to the real stderr.
 * See stderr_queue.h. Async-signal-safe: no call into libc. */
#include "stderr_queue.h"

static const char note_head[] = "[";
static const char note_tail[] =
    " bytes of stderr dropped here: stderr was not taking them]\n";

_Static_assert(sizeof(note_head) - 1 + 20 + sizeof(note_tail) - 1 <=
                   STDERR_QUEUE_NOTE_MAX,
               "the longest note fits in STDERR_QUEUE_NOTE_MAX");

void
stderr_queue_init(struct stderr_queue *q)
{
    q->put = 0;
    q->taken = 0;
    q->dropped = 0;
    q->dropped_at = 0;
}

size_t
stderr_queue_room(const struct stderr_queue *q)
{
    return STDERR_QUEUE_SIZE - (size_t)(q->put - q->taken);
}

size_t
stderr_queue_put(struct stderr_queue *q, const char *p, size_t n)
{
    size_t room = stderr_queue_room(q), k = n < room ? n : room;

    for (size_t i = 0; i < k; i++)
        q->buf[(q->put + i) % STDERR_QUEUE_SIZE] = p[i];
    q->put += k;
    if (k < n) {
        if (q->dropped == 0)
            q->dropped_at = q->put;
        q->dropped += n - k;
    }
    return k;
}

/* Copies s (NUL-terminated) to out at *n. */
static void
append(char *out, size_t *n, const char *s)
{
    while (*s != '\0')
        out[(*n)++] = *s++;
}

/* The note of the pending drop in out. Returns its length. */
static size_t
note(const struct stderr_queue *q, char *out)
{
    char digits[20];
    size_t n = 0, d = 0;
    uint64_t v = q->dropped;

    do {
        digits[d++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    append(out, &n, note_head);
    while (d > 0)
        out[n++] = digits[--d];
    append(out, &n, note_tail);
    return n;
}

size_t
stderr_queue_take(struct stderr_queue *q, char *out, size_t cap)
{
    uint64_t end = q->dropped > 0 ? q->dropped_at : q->put;
    size_t n;

    if (q->dropped > 0 && q->taken == q->dropped_at) {
        if (cap < STDERR_QUEUE_NOTE_MAX)
            return 0;
        n = note(q, out);
        q->dropped = 0;
        return n;
    }
    n = end - q->taken < cap ? (size_t)(end - q->taken) : cap;
    for (size_t i = 0; i < n; i++)
        out[i] = q->buf[(q->taken + i) % STDERR_QUEUE_SIZE];
    q->taken += n;
    return n;
}
