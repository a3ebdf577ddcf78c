/* The map side's table of distinct keys, for combining: open addressing
 * over 32-byte slots, with incoming pairs queued in small batches.
 *
 * Finding a key in a table bigger than the cache costs a cache miss, and a
 * miss per pair would dominate a word count. So pairs are not looked up as
 * they arrive: each is copied into a queue, its hash computed and its slot
 * prefetched, and the whole batch is looked up once the queue is full, by
 * which time the slots are in cache. A short key is queued as two
 * zero-padded 8-byte words built in registers, so hashing and comparing it
 * take a few word operations.
 *
 * The table owns its slots and queue; long keys are copied into the arena
 * given at init, which the caller owns. What a slot's value means is the
 * caller's business (mapout.c): a sum, or a block of values. */
#ifndef WORKER_AGGTABLE_H
#define WORKER_AGGTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "mrapp.h"

#define AGG_INLINE_KEY 16       /* keys up to this long live in the slot */
#define AGG_BATCH      32       /* pairs queued before they are looked up */
#define AGG_FIND_BATCH 64       /* keys agg_find_batch takes at once */
#define AGG_QUEUE_BYTES (16u << 10)  /* or this many bytes of them */

/* One distinct key: finding a short key touches one cache line, and a word
 * count's table of tens of thousands of words fits in a core's L2. */
struct agg_entry {
    uint32_t tag;               /* low half of the key's hash */
    uint32_t klen1;             /* key length + 1; 0 marks an empty slot */
    union {
        uint64_t sum;
        struct value_block *block;
    } v;                        /* zero in a new entry */
    union {
        char inline_key[AGG_INLINE_KEY];    /* zero-padded */
        const char *ptr;        /* a longer key, in the arena */
    } key;
};

/* A queued pair. */
struct agg_pending {
    uint64_t hash;
    uint64_t count;             /* given by the caller, kept as is */
    uint64_t word[2];           /* a short key, zero-padded */
    size_t klen;
    size_t key_at;              /* a long key, in the queue's bytes */
    size_t val_at, vlen;        /* the value, in the queue's bytes */
};

struct agg_table {
    struct agg_entry *slots;    /* NULL until the first insert */
    size_t cap;                 /* a power of two, or 0 */
    size_t slots_bytes;         /* what slots takes, padding included */
    size_t n;                   /* entries in use, at most 3/4 of cap */
    struct arena *arena;        /* where long keys are copied */
    struct agg_pending pending[AGG_BATCH];
    unsigned npending;
    char *queue;                /* queued long keys and values */
    size_t queue_len, queue_cap;
};

static inline size_t
agg_entry_klen(const struct agg_entry *e)
{
    return e->klen1 - 1;
}

static inline const char *
agg_entry_key(const struct agg_entry *e)
{
    return e->klen1 <= AGG_INLINE_KEY + 1 ? e->key.inline_key : e->key.ptr;
}

void agg_init(struct agg_table *t, struct arena *arena);
/* Frees the slots and the queue. */
void agg_free(struct agg_table *t);
/* Empties the table (not the queue), freeing its slots. */
void agg_clear(struct agg_table *t);

/* Queues a pair; returns true when the batch is full and must be looked
 * up before anything more is queued, false otherwise, or -ENOMEM. */
int agg_queue(struct agg_table *t, const char *key, size_t klen,
              const char *val, size_t vlen, uint64_t count);

static inline const char *
agg_pending_value(const struct agg_table *t, const struct agg_pending *p)
{
    return p->vlen > 0 ? t->queue + p->val_at : "";
}

/* The entry for a queued pair's key, inserted if new; NULL when out of
 * memory. */
struct agg_entry *agg_find(struct agg_table *t, const struct agg_pending *p);

/* ------------------------------------------------ keys looked up in place
 *
 * A batch of keys the caller holds for the length of the lookup (the pairs
 * of one mr_emit_batch call) needs no queue: they are hashed and their
 * slots prefetched, then each is found, a long key compared where it is. */

/* Sets found[i] to the entry for the key of pairs[i] (its value is not
 * looked at), inserted if new, for n <= AGG_FIND_BATCH pairs: the table
 * grows first, if it must, so no entry moves during the batch. A key of at
 * most AGG_INLINE_KEY bytes may be read as 16 bytes when they lie in its
 * page (such a read cannot fault; the bytes past the key are masked off,
 * and AddressSanitizer builds never do it), so that hashing a short word
 * takes no branch on its length. Returns 0, or -ENOMEM with the entries
 * before the first missing one found (keys after it may or may not have
 * been inserted). */
int agg_find_batch(struct agg_table *t, const struct mr_pair *pairs,
                   size_t n, struct agg_entry **found);

/* Empties the queue, once its pairs have been looked up. */
void agg_queue_clear(struct agg_table *t);

/* Bytes of slots and queue held. */
size_t agg_memory(const struct agg_table *t);

#endif
