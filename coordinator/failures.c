/* The job's failure records, the newest in a ring. See failures.h. */
#include "failures.h"

#include <stdlib.h>
#include <string.h>

struct failure *
failures_add(struct failure_log *l)
{
    struct failure *f;

    l->total++;
    if (l->ring == NULL &&
        (l->ring = calloc(FAILURES_KEPT, sizeof(*l->ring))) == NULL)
        return NULL;
    f = &l->ring[l->next];
    l->next = (l->next + 1) % FAILURES_KEPT;
    if (l->kept < FAILURES_KEPT)
        l->kept++;
    memset(f, 0, sizeof(*f));
    return f;
}

const struct failure *
failures_at(const struct failure_log *l, size_t i)
{
    if (i >= l->kept)
        return NULL;
    /* The oldest is where the next goes once the ring is full. */
    return &l->ring[(l->next + FAILURES_KEPT - l->kept + i) % FAILURES_KEPT];
}

const struct failure *
failures_last_of(const struct failure_log *l, enum task_kind kind,
                 uint32_t id)
{
    for (size_t i = l->kept; i > 0; i--) {
        const struct failure *f = failures_at(l, i - 1);
        if (f->kind == kind && f->task == id)
            return f;
    }
    return NULL;
}

void
failures_copy_text(char *buf, size_t len, const char *text, bool lines)
{
    size_t i;

    if (len == 0)
        return;
    for (i = 0; text != NULL && text[i] != '\0' && i + 1 < len; i++) {
        unsigned char b = (unsigned char)text[i];
        buf[i] = (b < 0x20 && !(lines && b == '\n')) || b == 0x7f
                     ? '?' : text[i];
    }
    buf[i] = '\0';
}

void
failures_free(struct failure_log *l)
{
    free(l->ring);
    memset(l, 0, sizeof(*l));
}
