/* Collecting and combining a map task's output in memory: the emitter the
 * app's map writes to, the table of distinct keys with each key's combined
 * values, or the record buffer without a combiner. Sorting, spilling and
 * merging are spill.c's. See mapout.h for the design. */
#define _GNU_SOURCE
#include "mapout.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggtable.h"
#include "counts.h"
#include "mapout_int.h"
#include "spill.h"
#include "varint.h"

#define FIRST_VALUES_CAP 32     /* bytes of a new key's value block */
#define MAX_VALUES_CAP   512    /* a hot key's block grows to this */

/* ---------------------------------------------------------------- helpers */

static int
grow(void **p, size_t *cap, size_t need, size_t elem)
{
    size_t c = *cap ? *cap : 1024;
    void *q;

    while (c < need)
        c *= 2;
    if (c == *cap)
        return 0;
    q = realloc(*p, c * elem);
    if (q == NULL)
        return -ENOMEM;
    *p = q;
    *cap = c;
    return 0;
}

static size_t
memory_in_use(const struct mapout *mo)
{
    return mo->arena.bytes + agg_memory(&mo->agg) +
           mo->reccap * sizeof(*mo->recs);
}

/* ---------------------------------------------------------------- combine */

/* The values in an entry's buffer, for the combiner. */
struct buffer_values {
    struct mr_values base;
    const char *p, *end;
};

static bool
buffer_next(struct mr_values *v, const char **val, size_t *len)
{
    struct buffer_values *bv = (struct buffer_values *)v;
    uint64_t n;

    if (bv->p >= bv->end)
        return false;
    bv->p += varint_get_unchecked(bv->p, &n);  /* our own bytes */
    *len = (size_t)n;
    *val = bv->p;
    bv->p += *len;
    return true;
}

void
mapout__scratch_write(struct mr_output *o, const char *bytes, size_t len)
{
    struct mapout *mo = ((struct scratch_output *)o)->mo;

    if (grow((void **)&mo->scratch, &mo->scratch_cap,
             mo->scratch_len + len, 1) < 0) {
        mapout__set_error(mo, -ENOMEM, "out of memory combining");
        return;
    }
    memcpy(mo->scratch + mo->scratch_len, bytes, len);
    mo->scratch_len += len;
}

/* An mr_count call from map or combine: a refused one fails the task. */
static void
count_to_table(struct mapout *mo, const char *name, uint64_t n, bool literal)
{
    if (mo->counters != NULL &&
        counter_table_add(mo->counters, name, n, literal) != 0)
        mapout__set_error(mo, mo->counters->error,
                          counter_table_error(mo->counters));
}

void
mapout__scratch_count(struct mr_output *o, const char *name, uint64_t n,
                      bool literal)
{
    count_to_table(((struct scratch_output *)o)->mo, name, n, literal);
}

static void
not_a_count(struct mapout *mo)
{
    mapout__set_error(mo, MR_EAPP, "values are summed (MR_COMBINER_SUM, or "
                      "--sum-combiner) but the map emitted one that is not "
                      "a whole number below 2^64");
}

static void
sum_overflow(struct mapout *mo)
{
    mapout__set_error(mo, MR_EAPP, "values are summed (MR_COMBINER_SUM, or "
                      "--sum-combiner) but a key's add up to 2^64 or more");
}

int
mapout__combine_values(struct mapout *mo, const char *key, size_t klen,
                       struct mr_values *values)
{
    struct scratch_output out = {{mapout__scratch_write,
                                  mapout__scratch_count}, mo};

    mo->scratch_len = 0;
    if (mo->sum) {
        uint64_t total = 0, n;
        const char *v;
        size_t vlen;
        while (values->next(values, &v, &vlen)) {
            if (!count_parse(v, vlen, &n)) {
                not_a_count(mo);
                return MR_EAPP;
            }
            if (total + n < total) {
                sum_overflow(mo);
                return MR_EAPP;
            }
            total += n;
        }
        mr_write_u64(&out.base, total);
    } else if (mo->combine(key, klen, values, &out.base) != 0) {
        mapout__set_error(mo, MR_EAPP, "the app's combiner failed");
        return MR_EAPP;
    }
    return mo->error;
}

/* A value block with room for cap bytes of values; NULL when out of
 * memory. */
static struct value_block *
new_block(struct mapout *mo, size_t cap)
{
    struct value_block *b = NULL;

    if (cap <= UINT32_MAX)
        b = arena_alloc_aligned(&mo->arena, sizeof(*b) + cap);
    if (b == NULL) {
        mapout__set_error(mo, -ENOMEM, "out of memory");
        return NULL;
    }
    b->used = 0;
    b->cap = (uint32_t)cap;
    b->count = 0;
    return b;
}

int
mapout__combine_block(struct mapout *mo, struct agg_entry *e)
{
    struct value_block *b = e->v.block;
    struct buffer_values bv = {{buffer_next}, b->data, b->data + b->used};
    size_t need;
    int rc = mapout__combine_values(mo, agg_entry_key(e), agg_entry_klen(e),
                                    &bv.base);

    if (rc != 0)
        return rc;
    need = varint_len(mo->scratch_len) + mo->scratch_len;
    /* A key combined often is a hot one: a bigger block means fewer
     * combiner calls for it. */
    if (need > b->cap || b->cap < MAX_VALUES_CAP) {
        size_t cap = b->cap * 2 > need * 2 ? b->cap * 2 : need * 2;
        if ((b = new_block(mo, cap)) == NULL)
            return mo->error;
        e->v.block = b;
    }
    b->used = (uint32_t)varint_put(b->data, mo->scratch_len);
    memcpy(b->data + b->used, mo->scratch, mo->scratch_len);
    b->used += (uint32_t)mo->scratch_len;
    b->count = 1;
    return 0;
}

/* ---------------------------------------------------------------- table */

/* The app's combiner: appends a value to its key's block, combining the
 * block first when it is full. */
static void
add_to_block(struct mapout *mo, struct agg_entry *e, const char *val,
             size_t vlen)
{
    size_t need = varint_len(vlen) + vlen;
    struct value_block *b;

    if (e->v.block == NULL &&
        (e->v.block = new_block(mo, FIRST_VALUES_CAP)) == NULL)
        return;
    b = e->v.block;
    if (b->used + need > b->cap && b->count > 0) {
        if (mapout__combine_block(mo, e) != 0)
            return;
        b = e->v.block;
    }
    if (b->used + need > b->cap) {
        struct value_block *bigger = new_block(mo, 2 * (b->used + need));
        if (bigger == NULL)
            return;
        memcpy(bigger->data, b->data, b->used);
        bigger->used = b->used;
        bigger->count = b->count;
        e->v.block = b = bigger;
    }
    b->used += (uint32_t)varint_put(b->data + b->used, vlen);
    memcpy(b->data + b->used, val, vlen);
    b->used += (uint32_t)vlen;
    b->count++;
}

void
mapout__add_queued(struct mapout *mo)
{
    struct agg_table *t = &mo->agg;
    uint64_t bytes = 0;

    for (unsigned i = 0; i < t->npending && mo->error == 0; i++) {
        const struct agg_pending *p = &t->pending[i];
        struct agg_entry *e = agg_find(t, p);
        /* The pair's bytes, counted here, once a batch, rather than in
         * mapout_emit(): in a word count one more add per pair there
         * cost 2% of the map's CPU. A summed pair's value was one byte
         * ("1"), or add_combined() counted the rest. */
        bytes += p->klen + (mo->sum ? 1 : p->vlen);
        if (e == NULL)
            mapout__set_error(mo, -ENOMEM, "out of memory");
        else if (!mo->sum)
            add_to_block(mo, e, agg_pending_value(t, p), p->vlen);
        else if (e->v.sum + p->count < p->count)
            sum_overflow(mo);
        else
            e->v.sum += p->count;
    }
    mo->emitted_bytes += bytes;
    agg_queue_clear(t);
}

/* Queues a pair for the table; looks the batch up when it is full, and
 * then returns true. */
static bool
add_combined(struct mapout *mo, const char *key, size_t klen,
             const char *val, size_t vlen)
{
    uint64_t n = 0;
    int full;

    if (mo->sum) {
        if (vlen == 1 && (unsigned char)(val[0] - '0') < 10)
            n = (uint64_t)(val[0] - '0');
        else if (!count_parse(val, vlen, &n)) {
            not_a_count(mo);
            return false;
        } else {
            mo->emitted_bytes += vlen - 1;  /* mapout__add_queued() adds 1 */
        }
        vlen = 0;               /* the count stands for the value */
    }
    full = agg_queue(&mo->agg, key, klen, val, vlen, n);
    if (full < 0)
        mapout__set_error(mo, -ENOMEM, "out of memory");
    else if (full)
        mapout__add_queued(mo);
    return full > 0;
}

/* Adds a record; returns true. */
static bool
add_plain(struct mapout *mo, const char *key, size_t klen, const char *val,
          size_t vlen)
{
    struct mapout_rec *r;
    char *copy;

    if (grow((void **)&mo->recs, &mo->reccap, mo->nrecs + 1,
             sizeof(*mo->recs)) < 0 ||
        (copy = arena_alloc(&mo->arena, klen + vlen)) == NULL) {
        mapout__set_error(mo, -ENOMEM, "out of memory");
        return false;
    }
    memcpy(copy, key, klen);
    memcpy(copy + klen, val, vlen);
    mo->emitted_bytes += klen + vlen;
    r = &mo->recs[mo->nrecs++];
    r->key = copy;
    r->klen = (uint32_t)klen;
    r->vlen = (uint32_t)vlen;
    return true;
}

/* ---------------------------------------------------------------- emit */

static void
mapout_emit(struct mr_emitter *emitter, const char *key, size_t klen,
            const char *val, size_t vlen)
{
    struct mapout *mo = (struct mapout *)emitter;

    if (mo->error != 0)
        return;
    if (klen > UINT32_MAX / 2 || vlen > UINT32_MAX / 2) {
        mapout__set_error(mo, -E2BIG, "a key or value of 2 GiB or more");
        return;
    }
    mo->emitted++;
    /* Memory grows only when a record is added, or a queued batch is
     * added to the table. */
    if ((mapout__combining(mo) ? add_combined(mo, key, klen, val, vlen)
                               : add_plain(mo, key, klen, val, vlen)) &&
        memory_in_use(mo) > mo->budget)
        spill_run(mo);
}

/* A batch of summed pairs, at most AGG_FIND_BATCH: their counts parsed,
 * their keys found together (agg_find_batch), then each count added to its
 * key's sum. */
static void
add_summed_batch(struct mapout *mo, const struct mr_pair *pairs, size_t n)
{
    struct agg_entry *found[AGG_FIND_BATCH];
    uint64_t counts[AGG_FIND_BATCH], bytes = 0;

    for (size_t i = 0; i < n; i++) {
        const struct mr_pair *p = &pairs[i];
        if (p->klen > UINT32_MAX / 2 || p->vlen > UINT32_MAX / 2) {
            mapout__set_error(mo, -E2BIG, "a key or value of 2 GiB or more");
            return;
        }
        if (p->vlen == 1 && (unsigned char)(p->value[0] - '0') < 10) {
            counts[i] = (uint64_t)(p->value[0] - '0');
        } else if (!count_parse(p->value, p->vlen, &counts[i])) {
            not_a_count(mo);
            return;
        }
        bytes += p->klen + p->vlen;
    }
    if (agg_find_batch(&mo->agg, pairs, n, found) < 0) {
        mapout__set_error(mo, -ENOMEM, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        struct agg_entry *e = found[i];
        if (e->v.sum + counts[i] < counts[i]) {
            sum_overflow(mo);
            return;
        }
        e->v.sum += counts[i];
    }
    mo->emitted += n;
    mo->emitted_bytes += bytes;
}

/* struct mr_emitter's emit_batch: summed pairs go to the table in batches
 * without being queued; any other pairs one at a time. */
static void
mapout_emit_batch(struct mr_emitter *emitter, const struct mr_pair *pairs,
                  size_t n)
{
    struct mapout *mo = (struct mapout *)emitter;

    if (!mo->sum) {
        for (size_t i = 0; i < n && mo->error == 0; i++)
            mapout_emit(emitter, pairs[i].key, pairs[i].klen,
                        pairs[i].value, pairs[i].vlen);
        return;
    }
    while (n > 0 && mo->error == 0) {
        size_t k = n < AGG_FIND_BATCH ? n : AGG_FIND_BATCH;
        add_summed_batch(mo, pairs, k);
        if (mo->error == 0 && memory_in_use(mo) > mo->budget)
            spill_run(mo);
        pairs += k;
        n -= k;
    }
}

static void
mapout_count(struct mr_emitter *emitter, const char *name, uint64_t n,
             bool literal)
{
    count_to_table((struct mapout *)emitter, name, n, literal);
}

/* ---------------------------------------------------------------- setup */

void
mapout_init(struct mapout *mo, uint32_t nreduce, mr_reduce_fn *combine,
            uint32_t builtin_combiner, size_t budget, const char *run_dir)
{
    memset(mo, 0, sizeof(*mo));
    mo->emitter.emit = mapout_emit;
    mo->emitter.count = mapout_count;
    mo->emitter.emit_batch = mapout_emit_batch;
    mo->nreduce = nreduce;
    mo->sum = builtin_combiner == MR_COMBINER_SUM;
    mo->combine = mo->sum ? NULL : combine;
    mo->budget = budget != 0 ? budget : MAPOUT_DEFAULT_BUDGET;
    agg_init(&mo->agg, &mo->arena);
    spill_init(mo, run_dir);
}

void
mapout_free(struct mapout *mo)
{
    spill_remove_runs(mo);
    arena_reset(&mo->arena);
    agg_free(&mo->agg);
    free(mo->recs);
    free(mo->scratch);
    memset(mo, 0, sizeof(*mo));
}

