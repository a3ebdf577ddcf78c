/* Bad records and which to skip. See skips.h. */
#include "skips.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void
skips_init(struct skips *s, bool on, uint32_t max)
{
    memset(s, 0, sizeof(*s));
    s->on = on;
    s->max = max;
}

void
skips_free(struct skips *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].file);
    free(s->v);
    free(s->scratch);
    memset(s, 0, sizeof(*s));
}

/* The record of map at offset of file (a map task may pack several files,
 * --min-split-size), or NULL. */
static struct bad_record *
find(struct skips *s, uint32_t map, const char *file, uint64_t offset)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].map == map && s->v[i].offset == offset &&
            strcmp(s->v[i].file, file) == 0)
            return &s->v[i];
    return NULL;
}

/* A new record, its first crash not yet counted; NULL when out of
 * memory. */
static struct bad_record *
add(struct skips *s, uint32_t map, const char *file, uint64_t offset,
    const uint8_t *head, size_t hlen)
{
    struct bad_record *r;

    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        struct bad_record *v = realloc(s->v, cap * sizeof(*v));
        if (v == NULL)
            return NULL;
        s->v = v;
        s->cap = cap;
    }
    r = &s->v[s->n];
    memset(r, 0, sizeof(*r));
    if ((r->file = strdup(file)) == NULL)
        return NULL;
    r->map = map;
    r->offset = offset;
    r->head_len = hlen < SKIPS_HEAD_MAX ? hlen : SKIPS_HEAD_MAX;
    memcpy(r->head, head, r->head_len);
    s->n++;
    return r;
}

/* Drops the unconfirmed guesses of map's records but r's. Returns the
 * failed attempts that made them. */
static uint32_t
drop_guesses(struct skips *s, uint32_t map, const struct bad_record *r)
{
    uint32_t dropped = 0;

    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].map == map && &s->v[i] != r) {
            dropped += s->v[i].guesses;
            s->v[i].guesses = 0;
        }
    return dropped;
}

int
skips_note(struct skips *s, uint32_t map, const char *file, uint64_t offset,
           const uint8_t *head, size_t hlen, bool guessed,
           const struct bad_record **rec, uint32_t *refund)
{
    struct bad_record *r = find(s, map, file, offset);
    uint32_t crashes;

    *refund = 0;
    if (r == NULL && (r = add(s, map, file, offset, head, hlen)) == NULL)
        return -ENOMEM;
    *rec = r;
    if (guessed) {
        if (r->skipped_as != 0)
            return SKIP_ALREADY;
        r->guesses++;
        return SKIP_GUESSED;
    }
    *refund = drop_guesses(s, map, r);
    if (r->skipped_as != 0)
        return SKIP_ALREADY;
    /* One guess of it is confirmed and counts; any other is dropped. */
    crashes = r->crashes + 1 + (r->guesses > 0);
    *refund += r->guesses > 1 ? r->guesses - 1 : 0;
    r->guesses = 0;
    if (crashes < SKIPS_CRASHES) {
        r->crashes = crashes;
        return SKIP_NOTED;
    }
    if (s->skipped >= s->max)
        return SKIP_OVER;
    r->crashes = crashes;
    r->skipped_as = ++s->skipped;
    *refund += crashes - 1;
    return SKIP_NOW;
}

int
skips_restore(struct skips *s, uint32_t map, const char *file,
              uint64_t offset, const uint8_t *head, size_t hlen)
{
    struct bad_record *r = find(s, map, file, offset);

    if (r == NULL && (r = add(s, map, file, offset, head, hlen)) == NULL)
        return -ENOMEM;
    if (r->skipped_as == 0) {
        r->crashes = SKIPS_CRASHES;
        r->skipped_as = ++s->skipped;
    }
    return 0;
}

static int
compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

size_t
skips_of(struct skips *s, uint32_t map, uint64_t **offsets)
{
    return skips_of_file(s, map, NULL, offsets);
}

size_t
skips_of_file(struct skips *s, uint32_t map, const char *file,
              uint64_t **offsets)
{
    size_t n = 0;

    *offsets = NULL;
    for (size_t i = 0; i < s->n; i++) {
        const struct bad_record *r = &s->v[i];
        if (r->map != map || r->skipped_as == 0 ||
            (file != NULL && strcmp(r->file, file) != 0))
            continue;
        if (n == s->scratch_cap) {
            size_t cap = s->scratch_cap ? s->scratch_cap * 2 : 8;
            uint64_t *v = realloc(s->scratch, cap * sizeof(*v));
            if (v == NULL)
                return 0;
            s->scratch = v;
            s->scratch_cap = cap;
        }
        s->scratch[n++] = r->offset;
    }
    if (n > 1)
        qsort(s->scratch, n, sizeof(*s->scratch), compare_u64);
    *offsets = s->scratch;
    return n;
}

bool
skips_has_suspect(const struct skips *s, uint32_t map)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].map == map && s->v[i].skipped_as == 0 &&
            (s->v[i].crashes > 0 || s->v[i].guesses > 0))
            return true;
    return false;
}

const struct bad_record *
skips_nth(const struct skips *s, uint32_t k)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].skipped_as == k && k != 0)
            return &s->v[i];
    return NULL;
}
