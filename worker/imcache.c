/* Open map outputs kept between reduce tasks: a hash table of slots by
 * path, with a list of them from the least to the most recently used. See
 * imcache.h. */
#include "imcache.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define NONE UINT32_MAX
#define CAP_MAX (1u << 16)      /* files kept, at most, whatever the limit */

struct slot {
    char *path;                 /* NULL: free */
    uint64_t hash;
    struct im_file f;
    uint32_t older, newer;      /* neighbours in the use list */
    uint32_t chain;             /* next slot in the bucket, or in the free
                                   list */
};

struct im_cache {
    struct slot *slots;
    uint32_t cap, count;
    uint32_t *buckets;          /* first slot of each; NONE: empty */
    uint32_t nbuckets;          /* a power of two, >= 2 cap */
    uint32_t oldest, newest;    /* ends of the use list */
    uint32_t free;              /* free slots, chained */
};

/* The soft file limit before cap_from_limit raised it, for the commands
 * the worker runs (im_cache_restore_nofile); set once, by the first raise,
 * and inherited by forked children. */
static bool nofile_raised;
static rlim_t nofile_soft;

/* How many files to keep: a quarter of what the process may open, after
 * raising its soft limit to the hard one. The rest is for what the cache
 * does not see: a reduce's connection to every peer, the shuffle server's
 * clients, outputs, logs and the apps' files. */
static size_t
cap_from_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 64;
    if (rl.rlim_cur < rl.rlim_max) {
        rlim_t want = rl.rlim_max == RLIM_INFINITY ? 8 * CAP_MAX
                                                   : rl.rlim_max;
        struct rlimit raised = {want, rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
            if (!nofile_raised)
                nofile_soft = rl.rlim_cur;
            nofile_raised = true;
            rl.rlim_cur = want;
        }
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur / 4 > CAP_MAX)
        return CAP_MAX;
    return rl.rlim_cur / 4 > 16 ? (size_t)(rl.rlim_cur / 4) : 16;
}

void
im_cache_restore_nofile(void)
{
    struct rlimit rl;

    if (nofile_raised && getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = nofile_soft;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

struct im_cache *
im_cache_create(size_t cap)
{
    struct im_cache *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    c->oldest = c->newest = NONE;
    if (cap == 0)
        cap = cap_from_limit();
    if (cap > CAP_MAX)
        cap = CAP_MAX;
    c->cap = (uint32_t)cap;
    for (c->nbuckets = 16; c->nbuckets < 2 * c->cap; c->nbuckets *= 2)
        ;
    c->slots = calloc(c->cap, sizeof(*c->slots));
    c->buckets = malloc(c->nbuckets * sizeof(*c->buckets));
    if (c->slots == NULL || c->buckets == NULL) {
        im_cache_free(c);
        return NULL;
    }
    memset(c->buckets, 0xff, c->nbuckets * sizeof(*c->buckets));
    for (uint32_t i = 0; i < c->cap; i++)
        c->slots[i].chain = i + 1 < c->cap ? i + 1 : NONE;
    c->free = 0;
    return c;
}

/* FNV-1a, 64 bits, over 8 bytes at a time (and the tail byte by byte):
 * paths share long prefixes, and this runs for every (map, reduce)
 * pair. */
static uint64_t
hash_of(const char *s)
{
    uint64_t h = 14695981039346656037ull, word;
    size_t n = strlen(s), i = 0;

    for (; i + 8 <= n; i += 8) {
        memcpy(&word, s + i, 8);
        h = (h ^ word) * 1099511628211ull;
        h ^= h >> 29;
    }
    for (; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h ^ (h >> 32);
}

/* ---------------------------------------------------------------- use list */

static void
unlink_use(struct im_cache *c, uint32_t i)
{
    struct slot *s = &c->slots[i];

    if (s->older != NONE)
        c->slots[s->older].newer = s->newer;
    else
        c->oldest = s->newer;
    if (s->newer != NONE)
        c->slots[s->newer].older = s->older;
    else
        c->newest = s->older;
}

static void
push_newest(struct im_cache *c, uint32_t i)
{
    c->slots[i].older = c->newest;
    c->slots[i].newer = NONE;
    if (c->newest != NONE)
        c->slots[c->newest].newer = i;
    else
        c->oldest = i;
    c->newest = i;
}

/* ---------------------------------------------------------------- table */

static uint32_t
slot_of(const struct im_cache *c, const char *path, uint64_t h)
{
    uint32_t i = c->buckets[h & (c->nbuckets - 1)];

    while (i != NONE &&
           (c->slots[i].hash != h || strcmp(c->slots[i].path, path) != 0))
        i = c->slots[i].chain;
    return i;
}

/* Closes slot i's file and frees the slot. */
static void
evict(struct im_cache *c, uint32_t i)
{
    struct slot *s = &c->slots[i];
    uint32_t *link = &c->buckets[s->hash & (c->nbuckets - 1)];

    while (*link != i)
        link = &c->slots[*link].chain;
    *link = s->chain;
    unlink_use(c, i);
    im_file_close(&s->f);
    free(s->path);
    s->path = NULL;
    s->chain = c->free;
    c->free = i;
    c->count--;
}

struct im_file *
im_cache_find(struct im_cache *c, const char *path)
{
    uint32_t i = slot_of(c, path, hash_of(path));

    if (i == NONE)
        return NULL;
    unlink_use(c, i);
    push_newest(c, i);
    return &c->slots[i].f;
}

/* Keeps f (moved in) for path, closing the least recently used file when
 * full. Returns it, or NULL when out of memory (f is closed then). */
static struct im_file *
keep(struct im_cache *c, const char *path, uint64_t h, struct im_file *f)
{
    char *copy = strdup(path);
    uint32_t i;

    if (copy == NULL) {
        im_file_close(f);
        return NULL;
    }
    if (c->free == NONE)
        evict(c, c->oldest);
    i = c->free;
    c->free = c->slots[i].chain;
    c->slots[i] = (struct slot){.path = copy, .hash = h, .f = *f,
                                .chain = c->buckets[h & (c->nbuckets - 1)]};
    c->buckets[h & (c->nbuckets - 1)] = i;
    push_newest(c, i);
    c->count++;
    return &c->slots[i].f;
}

struct im_file *
im_cache_open(struct im_cache *c, const char *path, uint32_t nreduce,
              int *rc, char err[MR_ERR_LEN])
{
    struct im_file *kept = im_cache_find(c, path), f;

    if (kept != NULL && kept->fd >= 0 &&
        (nreduce == 0 || kept->nreduce == nreduce))
        return kept;
    if (kept != NULL)
        im_cache_drop(c, path);
    *rc = im_file_open(&f, path, nreduce, err);
    /* Out of descriptors: the cache gives up half of its own, once. */
    if ((*rc == -EMFILE || *rc == -ENFILE) && im_cache_shed(c) > 0)
        *rc = im_file_open(&f, path, nreduce, err);
    if (*rc < 0)
        return NULL;
    if ((kept = keep(c, path, hash_of(path), &f)) == NULL) {
        *rc = -ENOMEM;
        snprintf(err, MR_ERR_LEN, "out of memory");
    }
    return kept;
}

void
im_cache_absent(struct im_cache *c, const char *path)
{
    struct im_file none = {.fd = -1};

    im_cache_drop(c, path);
    keep(c, path, hash_of(path), &none);
}

void
im_cache_drop(struct im_cache *c, const char *path)
{
    uint32_t i = slot_of(c, path, hash_of(path));

    if (i != NONE)
        evict(c, i);
}

size_t
im_cache_shed(struct im_cache *c)
{
    size_t open = 0, closed = 0;

    for (uint32_t i = c->oldest; i != NONE; i = c->slots[i].newer)
        open += c->slots[i].f.fd >= 0;
    for (uint32_t i = c->oldest, next; i != NONE && closed < (open + 1) / 2;
         i = next) {
        next = c->slots[i].newer;
        if (c->slots[i].f.fd >= 0) {
            evict(c, i);
            closed++;
        }
    }
    return closed;
}

/* Closes every file and forgets every absent note. */
static void
clear(struct im_cache *c)
{
    while (c != NULL && c->oldest != NONE)
        evict(c, c->oldest);
}

size_t
im_cache_count(const struct im_cache *c)
{
    return c->count;
}

void
im_cache_free(struct im_cache *c)
{
    if (c == NULL)
        return;
    if (c->slots != NULL)
        clear(c);
    free(c->slots);
    free(c->buckets);
    free(c);
}
