/* Collecting, combining, spilling and writing a map task's output. See
 * mapout.h for the design. */
#define _GNU_SOURCE
#include "mapout.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aggtable.h"
#include "imfile.h"
#include "keys.h"
#include "merge.h"
#include "partition.h"

#define FIRST_VALUES_CAP 32     /* bytes of a new key's value block */
#define MAX_VALUES_CAP   512    /* a hot key's block grows to this */

/* A key's values waiting for the app's combiner, in the arena. */
struct value_block {
    uint32_t used, cap;         /* bytes of data */
    uint32_t count;             /* values in data */
    char data[];                /* varint-prefixed values */
};

/* An entry with its partition, for sorting. */
struct sorted_entry {
    uint32_t part;
    uint64_t prefix;            /* the key's first 8 bytes, big-endian,
                                   zero-padded: compared before the key */
    struct agg_entry *e;
};

/* One pair, plain mode. */
struct mapout_rec {
    const char *key;            /* key then value, in the arena */
    uint32_t klen, vlen;
    uint32_t part;
};

/* ---------------------------------------------------------------- helpers */

static size_t
varint_put(char *p, size_t v)
{
    size_t n = 0;

    while (v >= 0x80) {
        p[n++] = (char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (char)v;
    return n;
}

static size_t
varint_len(size_t v)
{
    size_t n = 1;

    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static size_t
varint_get(const char *p, size_t *v)
{
    size_t n = 0, x = 0;

    for (int shift = 0;; shift += 7) {
        unsigned char b = (unsigned char)p[n++];
        x |= (size_t)(b & 0x7f) << shift;
        if (b < 0x80)
            break;
    }
    *v = x;
    return n;
}

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

static void
set_error(struct mapout *mo, int rc, const char *msg)
{
    if (mo->error == 0) {
        mo->error = rc;
        snprintf(mo->errmsg, sizeof(mo->errmsg), "%s", msg);
    }
}

static bool
combining(const struct mapout *mo)
{
    return mo->sum || mo->combine != NULL;
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

    if (bv->p >= bv->end)
        return false;
    bv->p += varint_get(bv->p, len);
    *val = bv->p;
    bv->p += *len;
    return true;
}

struct scratch_output {
    struct mr_output base;
    struct mapout *mo;
};

static void
scratch_write(struct mr_output *o, const char *bytes, size_t len)
{
    struct mapout *mo = ((struct scratch_output *)o)->mo;

    if (grow((void **)&mo->scratch, &mo->scratch_cap,
             mo->scratch_len + len, 1) < 0) {
        set_error(mo, -ENOMEM, "out of memory combining");
        return;
    }
    memcpy(mo->scratch + mo->scratch_len, bytes, len);
    mo->scratch_len += len;
}

/* Parses an unsigned decimal number below 2^64, and nothing else. */
static bool
parse_count(const char *s, size_t len, uint64_t *n)
{
    uint64_t x = 0;

    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)((unsigned char)s[i] - '0');
        if (d > 9 || x > (UINT64_MAX - d) / 10)
            return false;
        x = x * 10 + d;
    }
    *n = x;
    return true;
}

static void
not_a_count(struct mapout *mo)
{
    set_error(mo, MR_EAPP, "the app declares MR_COMBINER_SUM but emitted a "
              "value that is not a whole number below 2^64");
}

static void
sum_overflow(struct mapout *mo)
{
    set_error(mo, MR_EAPP, "MR_COMBINER_SUM: a key's values add up to 2^64 "
              "or more");
}

/* Combines values into one, left in mo->scratch: the built-in sum, or a
 * call to the app's combiner. */
static int
combine_values(struct mapout *mo, const char *key, size_t klen,
               struct mr_values *values)
{
    struct scratch_output out = {{scratch_write}, mo};

    mo->scratch_len = 0;
    if (mo->sum) {
        uint64_t total = 0, n;
        const char *v;
        size_t vlen;
        while (values->next(values, &v, &vlen)) {
            if (!parse_count(v, vlen, &n)) {
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
        set_error(mo, MR_EAPP, "the app's combiner failed");
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
        set_error(mo, -ENOMEM, "out of memory");
        return NULL;
    }
    b->used = 0;
    b->cap = (uint32_t)cap;
    b->count = 0;
    return b;
}

/* Replaces an entry's values by their combination. */
static int
combine_block(struct mapout *mo, struct agg_entry *e)
{
    struct value_block *b = e->v.block;
    struct buffer_values bv = {{buffer_next}, b->data, b->data + b->used};
    size_t need;
    int rc = combine_values(mo, agg_entry_key(e), agg_entry_klen(e), &bv.base);

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
        if (combine_block(mo, e) != 0)
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

/* Looks up the queued pairs and adds their values to their keys. */
static void
add_queued(struct mapout *mo)
{
    struct agg_table *t = &mo->agg;

    for (unsigned i = 0; i < t->npending && mo->error == 0; i++) {
        const struct agg_pending *p = &t->pending[i];
        struct agg_entry *e = agg_find(t, p);
        if (e == NULL)
            set_error(mo, -ENOMEM, "out of memory");
        else if (!mo->sum)
            add_to_block(mo, e, agg_pending_value(t, p), p->vlen);
        else if (e->v.sum + p->count < p->count)
            sum_overflow(mo);
        else
            e->v.sum += p->count;
    }
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
        else if (!parse_count(val, vlen, &n)) {
            not_a_count(mo);
            return false;
        }
        vlen = 0;               /* the count stands for the value */
    }
    full = agg_queue(&mo->agg, key, klen, val, vlen, n);
    if (full < 0)
        set_error(mo, -ENOMEM, "out of memory");
    else if (full)
        add_queued(mo);
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
        set_error(mo, -ENOMEM, "out of memory");
        return false;
    }
    memcpy(copy, key, klen);
    memcpy(copy + klen, val, vlen);
    r = &mo->recs[mo->nrecs++];
    r->key = copy;
    r->klen = (uint32_t)klen;
    r->vlen = (uint32_t)vlen;
    return true;
}

/* ---------------------------------------------------------------- sort */

static int
entry_compare(const void *a, const void *b)
{
    const struct sorted_entry *x = a, *y = b;

    if (x->part != y->part)
        return x->part < y->part ? -1 : 1;
    if (x->prefix != y->prefix)
        return x->prefix < y->prefix ? -1 : 1;
    return key_compare(agg_entry_key(x->e), agg_entry_klen(x->e),
                       agg_entry_key(y->e), agg_entry_klen(y->e));
}

/* An entry's sort key: its partition and the first bytes of its key. */
static struct sorted_entry
sorted_entry_of(struct agg_entry *e, uint32_t nreduce)
{
    const char *key = agg_entry_key(e);
    size_t klen = agg_entry_klen(e);
    uint64_t w = 0;

    /* An inline key is zero-padded to 16 bytes; a longer one has 8. */
    memcpy(&w, key, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return (struct sorted_entry){partition_of(key, klen, nreduce), w, e};
}

static int
rec_compare(const void *a, const void *b)
{
    const struct mapout_rec *x = a, *y = b;

    if (x->part != y->part)
        return x->part < y->part ? -1 : 1;
    return key_compare(x->key, x->klen, y->key, y->klen);
}

/* Writes an entry's key and its values' combination to w. */
static void
write_entry(struct mapout *mo, struct im_writer *w, uint32_t part,
            struct agg_entry *e)
{
    struct value_block *b = e->v.block;
    struct scratch_output out = {{scratch_write}, mo};
    const char *v;
    size_t vlen;

    if (mo->sum) {
        mo->scratch_len = 0;
        mr_write_u64(&out.base, e->v.sum);
        if (mo->error != 0)
            return;
        v = mo->scratch;
        vlen = mo->scratch_len;
    } else {
        if (b->count > 1 && combine_block(mo, e) != 0)
            return;
        b = e->v.block;
        v = b->data + varint_get(b->data, &vlen);
    }
    im_writer_add(w, part, agg_entry_key(e), agg_entry_klen(e), v, vlen);
}

/* Writes the buffered pairs, sorted, to w; then empties the buffers. */
static int
write_buffer(struct mapout *mo, struct im_writer *w, uint64_t *records)
{
    if (combining(mo)) {
        struct sorted_entry *order;
        add_queued(mo);
        order = malloc((mo->agg.n + 1) * sizeof(*order));
        size_t n = 0;
        if (order == NULL) {
            set_error(mo, -ENOMEM, "out of memory");
            return mo->error;
        }
        for (size_t i = 0; i < mo->agg.cap; i++) {
            struct agg_entry *e = &mo->agg.slots[i];
            if (e->klen1 != 0)
                order[n++] = sorted_entry_of(e, mo->nreduce);
        }
        qsort(order, n, sizeof(*order), entry_compare);
        for (size_t i = 0; i < n && mo->error == 0; i++)
            write_entry(mo, w, order[i].part, order[i].e);
        free(order);
        *records += n;
        /* Start the next run small: a table kept at its full size would
         * count against the budget and force a spill per emit. */
        agg_clear(&mo->agg);
    } else {
        for (size_t i = 0; i < mo->nrecs; i++)
            mo->recs[i].part = partition_of(mo->recs[i].key,
                                            mo->recs[i].klen, mo->nreduce);
        if (mo->nrecs > 0)      /* recs is NULL for none */
            qsort(mo->recs, mo->nrecs, sizeof(*mo->recs), rec_compare);
        for (size_t i = 0; i < mo->nrecs; i++) {
            const struct mapout_rec *r = &mo->recs[i];
            im_writer_add(w, r->part, r->key, r->klen, r->key + r->klen,
                          r->vlen);
        }
        *records += mo->nrecs;
        free(mo->recs);
        mo->recs = NULL;
        mo->reccap = 0;
        mo->nrecs = 0;
    }
    arena_reset(&mo->arena);
    return mo->error;
}

/* ---------------------------------------------------------------- spill */

static void
run_name(const struct mapout *mo, unsigned n, char *buf, size_t len)
{
    snprintf(buf, len, "%s-%u", mo->run_prefix, n);
}

static void
spill(struct mapout *mo)
{
    char path[4200], err[MR_ERR_LEN];
    struct im_writer w;
    uint64_t records = 0;
    int rc;

    run_name(mo, mo->nruns, path, sizeof(path));
    if ((rc = im_writer_open(&w, path, mo->nreduce, err)) < 0) {
        set_error(mo, rc, err);
        return;
    }
    if (write_buffer(mo, &w, &records) != 0) {
        im_writer_abort(&w);
        return;
    }
    if ((rc = im_writer_commit(&w, err)) < 0) {
        set_error(mo, rc, err);
        return;
    }
    mo->nruns++;
}

static void
mapout_emit(struct mr_emitter *emitter, const char *key, size_t klen,
            const char *val, size_t vlen)
{
    struct mapout *mo = (struct mapout *)emitter;

    if (mo->error != 0)
        return;
    if (klen > UINT32_MAX / 2 || vlen > UINT32_MAX / 2) {
        set_error(mo, -E2BIG, "a key or value of 2 GiB or more");
        return;
    }
    mo->emitted++;
    /* Memory grows only when a record is added, or a queued batch is
     * added to the table. */
    if ((combining(mo) ? add_combined(mo, key, klen, val, vlen)
                       : add_plain(mo, key, klen, val, vlen)) &&
        memory_in_use(mo) > mo->budget)
        spill(mo);
}

/* ---------------------------------------------------------------- setup */

void
mapout_init(struct mapout *mo, uint32_t nreduce, mr_reduce_fn *combine,
            uint32_t builtin_combiner, size_t budget, const char *run_dir)
{
    static unsigned instance;
    const char *env = getenv("MR_MAP_BUFFER");

    memset(mo, 0, sizeof(*mo));
    mo->emitter.emit = mapout_emit;
    mo->nreduce = nreduce;
    mo->sum = builtin_combiner == MR_COMBINER_SUM;
    mo->combine = mo->sum ? NULL : combine;
    if (budget == 0) {
        budget = env ? (size_t)strtoull(env, NULL, 10) : 0;
        if (budget == 0)
            budget = MAPOUT_DEFAULT_BUDGET;
        if (budget < MAPOUT_MIN_BUDGET)
            budget = MAPOUT_MIN_BUDGET;
    }
    mo->budget = budget;
    agg_init(&mo->agg, &mo->arena);
    snprintf(mo->run_prefix, sizeof(mo->run_prefix), "%s%smr-spill-%d-%u",
             run_dir ? run_dir : "", run_dir ? "/" : "", (int)getpid(),
             instance++);
}

void
mapout_free(struct mapout *mo)
{
    char path[4200];

    for (unsigned i = mo->first_run; i < mo->nruns; i++) {
        run_name(mo, i, path, sizeof(path));
        unlink(path);
    }
    arena_reset(&mo->arena);
    agg_free(&mo->agg);
    free(mo->recs);
    free(mo->scratch);
    memset(mo, 0, sizeof(*mo));
}

/* ---------------------------------------------------------------- write */

/* Merges runs [first, first + n), partition by partition, into w. */
static int
merge_runs(struct mapout *mo, unsigned first, unsigned n,
           struct im_writer *w, uint64_t *records, char err[MR_ERR_LEN])
{
    struct im_reader *runs = calloc(n, sizeof(*runs));
    char path[4200];
    int rc = runs ? 0 : -ENOMEM;

    for (unsigned i = 0; rc == 0 && i < n; i++) {
        run_name(mo, first + i, path, sizeof(path));
        rc = im_reader_open(&runs[i], path, mo->nreduce, err);
    }
    for (uint32_t p = 0; rc == 0 && p < mo->nreduce; p++) {
        struct merger m;
        struct merge_group g;
        if ((rc = merger_init(&m, n)) < 0)
            break;
        for (unsigned i = 0; i < n && rc == 0; i++) {
            struct im_cursor cur;
            if ((rc = im_reader_partition(&runs[i], p, &cur)) < 0)
                snprintf(err, MR_ERR_LEN, "a spilled run fails its "
                         "checksum");
            merger_add(&m, i, &cur);
        }
        while (rc == 0 && merger_next_group(&m, &g)) {
            if (combining(mo)) {
                rc = combine_values(mo, g.key, g.klen, &g.base);
                im_writer_add(w, p, g.key, g.klen, mo->scratch,
                              mo->scratch_len);
                (*records)++;
            } else {
                const char *v;
                size_t vlen;
                while (g.base.next(&g.base, &v, &vlen)) {
                    im_writer_add(w, p, g.key, g.klen, v, vlen);
                    (*records)++;
                }
            }
            merger_end_group(&g);
        }
        if (rc == 0 && m.error != 0) {
            rc = m.error;
            snprintf(err, MR_ERR_LEN, "a spilled run is corrupt");
        }
        merger_free(&m);
    }
    for (unsigned i = 0; runs != NULL && i < n; i++)
        im_reader_close(&runs[i]);
    free(runs);
    if (rc == MR_EAPP)
        snprintf(err, MR_ERR_LEN, "%s", mo->errmsg);
    return rc;
}

/* Merges the oldest runs into new ones until at most MAPOUT_MERGE_FANIN
 * remain, so that a huge output never needs more open runs than that. */
static int
reduce_run_count(struct mapout *mo, char err[MR_ERR_LEN])
{
    while (mo->nruns - mo->first_run > MAPOUT_MERGE_FANIN) {
        struct im_writer w;
        uint64_t records = 0;
        char path[4200];
        int rc;

        run_name(mo, mo->nruns, path, sizeof(path));
        if ((rc = im_writer_open(&w, path, mo->nreduce, err)) < 0)
            return rc;
        rc = merge_runs(mo, mo->first_run, MAPOUT_MERGE_FANIN, &w, &records,
                        err);
        if (rc != 0) {
            im_writer_abort(&w);
            return rc;
        }
        if ((rc = im_writer_commit(&w, err)) < 0)
            return rc;
        mo->nruns++;
        for (unsigned i = 0; i < MAPOUT_MERGE_FANIN; i++) {
            run_name(mo, mo->first_run++, path, sizeof(path));
            unlink(path);
        }
    }
    return 0;
}

int
mapout_write(struct mapout *mo, const char *path, uint64_t *records_out,
             uint64_t *bytes_out, char err[MR_ERR_LEN])
{
    struct im_writer w;
    int rc;

    *records_out = 0;
    *bytes_out = 0;
    if (mo->nruns > 0 && mo->error == 0 &&
        (mo->agg.n > 0 || mo->agg.npending > 0 || mo->nrecs > 0))
        spill(mo);
    if (mo->error != 0) {
        snprintf(err, MR_ERR_LEN, "map output: %s", mo->errmsg);
        return mo->error;
    }
    if (mo->nruns > 0 && (rc = reduce_run_count(mo, err)) != 0)
        return rc;
    if ((rc = im_writer_open(&w, path, mo->nreduce, err)) < 0)
        return rc;
    if (mo->nruns == 0) {
        rc = write_buffer(mo, &w, records_out);
        if (rc != 0)
            snprintf(err, MR_ERR_LEN, "map output: %s", mo->errmsg);
    } else {
        rc = merge_runs(mo, mo->first_run, mo->nruns - mo->first_run, &w,
                        records_out, err);
    }
    if (rc != 0) {
        im_writer_abort(&w);
        return rc;
    }
    rc = im_writer_commit(&w, err);
    *bytes_out = w.file.written;
    return rc;
}
