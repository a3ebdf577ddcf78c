/* Packing small inputs into map tasks. See packs.h. */
#define _GNU_SOURCE
#include "packs.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a part costs in a Task message beyond its names: field tags,
 * lengths and numbers, generously. */
#define PART_OVERHEAD 48

/* Whether split s may share a map task: a whole file the coordinator saw,
 * smaller than min_size. */
static bool
is_packable(const struct split *s, uint64_t min_size)
{
    return !s->whole && s->offset == 0 && s->length == s->file_size &&
           s->length < min_size;
}

/* About the bytes split s takes as a part of a Task message. */
static size_t
part_bytes(const struct split *s)
{
    return strlen(s->file) + (s->path ? strlen(s->path) : 0) +
           PART_OVERHEAD;
}

/* Names a pack of several splits for messages. Returns 0 or -ENOMEM. */
static int
label(struct pack *p, const struct split *s)
{
    if (p->count < 2)
        return 0;
    if (asprintf(&p->label, "%u files from %s to %s", p->count,
                 s[p->first].file, s[p->first + p->count - 1].file) < 0) {
        p->label = NULL;
        return -ENOMEM;
    }
    return 0;
}

int
packs_plan(const struct split *s, uint32_t n, uint64_t min_size,
           struct pack **packs, uint32_t *npacks)
{
    struct pack *v;
    uint32_t k = 0;

    *packs = NULL;
    *npacks = n;
    if (min_size == 0)
        return 0;
    if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL)
        return -ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        struct pack *last = k > 0 ? &v[k - 1] : NULL;
        bool fits = is_packable(&s[i], min_size);
        size_t cost = part_bytes(&s[i]);
        if (fits && last != NULL && last->bytes < min_size &&
            is_packable(&s[last->first], min_size) &&
            last->name_bytes + cost <= PACKS_MAX_NAME_BYTES) {
            last->count++;
            last->bytes += s[i].length;
            last->name_bytes += cost;
            continue;
        }
        v[k++] = (struct pack){.first = i, .count = 1,
                               .bytes = s[i].length, .name_bytes = cost};
    }
    for (uint32_t i = 0; i < k; i++)
        if (label(&v[i], s) < 0) {
            packs_free(v, k);
            return -ENOMEM;
        }
    *packs = v;
    *npacks = k;
    return 0;
}

void
packs_free(struct pack *p, uint32_t n)
{
    if (p == NULL)
        return;
    for (uint32_t i = 0; i < n; i++)
        free(p[i].label);
    free(p);
}
