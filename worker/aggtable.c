/* The map side's table of distinct keys, with batched lookups. See
 * aggtable.h. */
#define _GNU_SOURCE             /* MADV_HUGEPAGE */
#include "aggtable.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

_Static_assert(sizeof(struct agg_entry) == 32, "a table slot is 32 bytes");

#define HASH_SEED0 0x9e3779b97f4a7c15ull
#define HASH_SEED1 0xbf58476d1ce4e5b9ull

__extension__ typedef unsigned __int128 u128;

/* The 128-bit product of a and b, folded to 64 bits: every input bit
 * reaches every output bit, in one multiply. */
static inline uint64_t
mum(uint64_t a, uint64_t b)
{
    u128 r = (u128)a * b;

    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* A short key's hash, from its two zero-padded words. */
static inline uint64_t
hash_short(uint64_t w0, uint64_t w1, size_t klen)
{
    return mum(w0 ^ HASH_SEED0, w1 ^ HASH_SEED1 ^ klen);
}

/* Bytes p[0..n), n < 8, as the word they make in memory, zero above;
 * reads no other byte. */
static inline uint64_t
load_short(const char *p, size_t n)
{
    const unsigned char *b = (const unsigned char *)p;

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n >= 4) {               /* two overlapping 4-byte loads */
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + n - 4, 4);
        return lo | (uint64_t)hi << (8 * (n - 4));
    }
    if (n == 0)
        return 0;
    return b[0] | (uint64_t)b[n / 2] << (8 * (n / 2)) |
           (uint64_t)b[n - 1] << (8 * (n - 1));
#else
    uint64_t w = 0;
    memcpy(&w, b, n);
    return w;
#endif
}

/* A long key's hash: one multiply per 16 bytes, the last zero-padded. */
static uint64_t
hash_long(const char *p, size_t n)
{
    uint64_t h = HASH_SEED0 ^ n, w[2];
    size_t i;

    for (i = 0; i + 16 <= n; i += 16) {
        memcpy(w, p + i, 16);
        h = mum(w[0] ^ HASH_SEED0 ^ h, w[1] ^ HASH_SEED1);
    }
    w[0] = w[1] = 0;
    memcpy(w, p + i, n - i);
    return mum(w[0] ^ HASH_SEED0 ^ h, w[1] ^ HASH_SEED1);
}

/* A key's hash, and for a short key its two zero-padded words (*w0 and *w1
 * are zero for a long one). */
static inline uint64_t
hash_key(const char *key, size_t klen, uint64_t *w0, uint64_t *w1)
{
    uint64_t a = 0, b = 0;

    if (klen > AGG_INLINE_KEY) {
        *w0 = *w1 = 0;
        return hash_long(key, klen);
    }
    if (klen >= 8) {
        memcpy(&a, key, 8);
        if (klen == 16)
            memcpy(&b, key + 8, 8);
        else
            b = load_short(key + 8, klen - 8);
    } else {
        a = load_short(key, klen);
    }
    *w0 = a;
    *w1 = b;
    return hash_short(a, b, klen);
}

static inline size_t
home_slot(const struct agg_table *t, uint64_t hash)
{
    return (size_t)(hash >> 32) & (t->cap - 1);
}

void
agg_init(struct agg_table *t, struct arena *arena)
{
    memset(t, 0, sizeof(*t));
    t->arena = arena;
}

void
agg_clear(struct agg_table *t)
{
    free(t->slots);
    t->slots = NULL;
    t->cap = t->slots_bytes = 0;
    t->n = 0;
}

void
agg_free(struct agg_table *t)
{
    agg_clear(t);
    free(t->queue);
    t->queue = NULL;
    t->queue_len = t->queue_cap = 0;
    t->npending = 0;
}

static int
grow_queue(struct agg_table *t, size_t need)
{
    size_t cap = t->queue_cap ? t->queue_cap : AGG_QUEUE_BYTES;
    char *q;

    while (cap < need)
        cap *= 2;
    if ((q = realloc(t->queue, cap)) == NULL)
        return -ENOMEM;
    t->queue = q;
    t->queue_cap = cap;
    return 0;
}

size_t
agg_memory(const struct agg_table *t)
{
    return t->slots_bytes + t->queue_cap;
}

int
agg_queue(struct agg_table *t, const char *key, size_t klen,
          const char *val, size_t vlen, uint64_t count)
{
    size_t at = t->queue_len, need;
    unsigned n = t->npending;
    struct agg_pending *p = &t->pending[n];
    uint64_t hash, w0 = 0, w1 = 0;

    /* Locals throughout: the memcpy calls below could alias *t and *p,
     * and reloading what was just stored stalls. */
    hash = hash_key(key, klen, &w0, &w1);
    if (t->cap > 0)
        __builtin_prefetch(&t->slots[home_slot(t, hash)]);
    p->hash = hash;
    p->count = count;
    p->word[0] = w0;
    p->word[1] = w1;
    p->klen = klen;
    p->vlen = vlen;
    p->val_at = at;
    if (klen > AGG_INLINE_KEY || vlen > 0) {
        need = at + (klen > AGG_INLINE_KEY ? klen : 0) + vlen;
        if (need > t->queue_cap && grow_queue(t, need) < 0)
            return -ENOMEM;
        if (klen > AGG_INLINE_KEY) {
            p->key_at = at;
            memcpy(t->queue + at, key, klen);
            at += klen;
        }
        p->val_at = at;
        if (vlen > 0)
            memcpy(t->queue + at, val, vlen);
        t->queue_len = at + vlen;
    }
    t->npending = ++n;
    return n == AGG_BATCH || t->queue_len >= AGG_QUEUE_BYTES;
}

void
agg_queue_clear(struct agg_table *t)
{
    t->npending = 0;
    t->queue_len = 0;
    /* One huge key or value must not keep a huge queue, which counts
     * against the memory budget and would force a spill per batch. */
    if (t->queue_cap > AGG_QUEUE_BYTES) {
        free(t->queue);
        t->queue = NULL;
        t->queue_cap = 0;
    }
}

/* The slot holds the key: a short key is two words compared with two
 * words, a long one is compared where it is, at ptr. */
static inline bool
holds(const struct agg_entry *e, uint64_t hash, size_t klen,
      const uint64_t word[2], const char *ptr)
{
    if (e->tag != (uint32_t)hash || e->klen1 != klen + 1)
        return false;
    if (klen <= AGG_INLINE_KEY) {
        uint64_t w[2];
        memcpy(w, e->key.inline_key, sizeof(w));
        return ((w[0] ^ word[0]) | (w[1] ^ word[1])) == 0;
    }
    return memcmp(e->key.ptr, ptr, klen) == 0;
}

/* Zeroed room for cap slots; *bytes is what was taken. A table of a MiB
 * or more (a word count's, for one) is 2 MiB-aligned and asks for huge
 * pages: its lookups land all over it, and with 4 KiB pages most of them
 * also missed the TLB, which in a virtual machine costs a two-level page
 * walk (measured: a tenth of the word count's map CPU). NULL when out of
 * memory. */
static struct agg_entry *
alloc_slots(size_t cap, size_t *bytes)
{
    const size_t huge = 2u << 20;
    size_t need = cap * sizeof(struct agg_entry);
    void *p;

    if (need < huge / 2) {
        *bytes = need;
        return calloc(cap, sizeof(struct agg_entry));
    }
    *bytes = (need + huge - 1) & ~(huge - 1);
    if (posix_memalign(&p, huge, *bytes) != 0)
        return NULL;
    (void)madvise(p, *bytes, MADV_HUGEPAGE);    /* a hint: may be refused */
    memset(p, 0, need);
    return p;
}

static int
grow(struct agg_table *t)
{
    size_t cap = t->cap ? t->cap * 2 : 4096, bytes;
    struct agg_entry *slots = alloc_slots(cap, &bytes), *old = t->slots;
    size_t oldcap = t->cap;

    if (slots == NULL)
        return -ENOMEM;
    t->slots = slots;
    t->cap = cap;
    t->slots_bytes = bytes;
    /* Keys are distinct: each goes to the first free slot from its home.
     * Inline keys move with their entries. */
    for (size_t i = 0; i < oldcap; i++) {
        const struct agg_entry *e = &old[i];
        if (e->klen1 == 0)
            continue;
        size_t klen = agg_entry_klen(e), s;
        uint64_t w[2];
        if (klen <= AGG_INLINE_KEY) {
            memcpy(w, e->key.inline_key, sizeof(w));
            s = home_slot(t, hash_short(w[0], w[1], klen));
        } else {
            s = home_slot(t, hash_long(e->key.ptr, klen));
        }
        while (slots[s].klen1 != 0)
            s = (s + 1) & (cap - 1);
        slots[s] = *e;
    }
    free(old);
    return 0;
}

/* The key's entry, inserted if new (the table has room); NULL when out of
 * memory. */
static inline struct agg_entry *
find_or_insert(struct agg_table *t, uint64_t hash, size_t klen,
               const uint64_t word[2], const char *ptr)
{
    struct agg_entry *e;

    for (size_t s = home_slot(t, hash);; s = (s + 1) & (t->cap - 1)) {
        e = &t->slots[s];
        if (e->klen1 == 0)
            break;
        if (holds(e, hash, klen, word, ptr))
            return e;
    }
    if (klen <= AGG_INLINE_KEY) {
        memcpy(e->key.inline_key, word, 2 * sizeof(uint64_t));
    } else {
        char *copy = arena_alloc(t->arena, klen);
        if (copy == NULL)
            return NULL;
        memcpy(copy, ptr, klen);
        e->key.ptr = copy;
    }
    e->tag = (uint32_t)hash;
    e->klen1 = (uint32_t)klen + 1;
    t->n++;
    return e;
}

struct agg_entry *
agg_find(struct agg_table *t, const struct agg_pending *p)
{
    if ((t->n + 1) * 4 > t->cap * 3 && grow(t) < 0)
        return NULL;
    return find_or_insert(t, p->hash, p->klen, p->word,
                          p->klen > AGG_INLINE_KEY ? t->queue + p->key_at
                                                   : NULL);
}

/* ---------------------------------------------------------------- in place */

/* Whether 16 bytes from p may be read although fewer are the key's: they
 * stay inside p's page, so the read cannot fault, and the bytes past the
 * key are masked away before use. Not under AddressSanitizer, which would
 * rightly call them out of bounds. */
#if defined(__SANITIZE_ADDRESS__)
#define MAY_READ_16(p) false
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MAY_READ_16(p) false
#endif
#endif
#ifndef MAY_READ_16
#define MAY_READ_16(p) (((uintptr_t)(p) & 4095) <= 4096 - 16)
#endif

/* Masks keeping the first n bytes of two little-endian words, n <= 16. */
static const uint64_t keep_bytes[AGG_INLINE_KEY + 1][2] = {
    {0x0000000000000000ull, 0x0000000000000000ull},
    {0x00000000000000ffull, 0x0000000000000000ull},
    {0x000000000000ffffull, 0x0000000000000000ull},
    {0x0000000000ffffffull, 0x0000000000000000ull},
    {0x00000000ffffffffull, 0x0000000000000000ull},
    {0x000000ffffffffffull, 0x0000000000000000ull},
    {0x0000ffffffffffffull, 0x0000000000000000ull},
    {0x00ffffffffffffffull, 0x0000000000000000ull},
    {0xffffffffffffffffull, 0x0000000000000000ull},
    {0xffffffffffffffffull, 0x00000000000000ffull},
    {0xffffffffffffffffull, 0x000000000000ffffull},
    {0xffffffffffffffffull, 0x0000000000ffffffull},
    {0xffffffffffffffffull, 0x00000000ffffffffull},
    {0xffffffffffffffffull, 0x000000ffffffffffull},
    {0xffffffffffffffffull, 0x0000ffffffffffffull},
    {0xffffffffffffffffull, 0x00ffffffffffffffull},
    {0xffffffffffffffffull, 0xffffffffffffffffull},
};

/* hash_key, without a branch on the length for a short key that may be
 * read 16 bytes at a time. An empty key takes hash_key: its pointer may be
 * NULL, and address 0 passes the page test. */
static inline uint64_t
hash_key_fast(const char *key, size_t klen, uint64_t *w0, uint64_t *w1)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (klen != 0 && klen <= AGG_INLINE_KEY && MAY_READ_16(key)) {
        uint64_t w[2];
        memcpy(w, key, sizeof(w));
        *w0 = w[0] & keep_bytes[klen][0];
        *w1 = w[1] & keep_bytes[klen][1];
        return hash_short(*w0, *w1, klen);
    }
#endif
    return hash_key(key, klen, w0, w1);
}

int
agg_find_batch(struct agg_table *t, const struct mr_pair *pairs, size_t n,
               struct agg_entry **found)
{
    uint64_t hash[AGG_FIND_BATCH], word[AGG_FIND_BATCH][2];

    while ((t->n + n) * 4 > t->cap * 3)
        if (grow(t) < 0)
            return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        hash[i] = hash_key_fast(pairs[i].key, pairs[i].klen, &word[i][0],
                                &word[i][1]);
        __builtin_prefetch(&t->slots[home_slot(t, hash[i])]);
    }
    for (size_t i = 0; i < n; i++) {
        found[i] = find_or_insert(t, hash[i], pairs[i].klen, word[i],
                                  pairs[i].key);
        if (found[i] == NULL)
            return -ENOMEM;
    }
    return 0;
}
