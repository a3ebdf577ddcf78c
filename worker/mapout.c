/* Collecting, combining, spilling and writing a map task's output. See
 * mapout.h for the design. */
#define _GNU_SOURCE
#include "mapout.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imfile.h"
#include "keys.h"
#include "merge.h"
#include "partition.h"

#define FIRST_VALUES_CAP 32     /* bytes of a new key's value buffer */
#define MAX_VALUES_CAP   512    /* a hot key's buffer grows to this */
#define INLINE_KEY       32     /* keys up to this long live in the entry */

/* One distinct key, combiner mode: a slot of the open-addressing table, one
 * cache line, so that finding a short key touches one line. */
struct agg_entry {
    uint64_t hash;
    char *vals;                 /* varint-prefixed values, in the arena;
                                   NULL marks an empty slot */
    uint32_t vused, vcap;
    uint32_t nvals;
    uint32_t klen;
    union {
        char inline_key[INLINE_KEY];
        const char *ptr;        /* a longer key, in the arena */
    } key;
};

/* An entry with its partition, for sorting. */
struct sorted_entry {
    uint32_t part;
    struct agg_entry *e;
};

static inline const char *
entry_key(const struct agg_entry *e)
{
    return e->klen <= INLINE_KEY ? e->key.inline_key : e->key.ptr;
}

/* One pair, plain mode. */
struct mapout_rec {
    const char *key;            /* key then value, in the arena */
    uint32_t klen, vlen;
    uint32_t part;
};

/* ---------------------------------------------------------------- helpers */

static uint64_t
hash_key(const char *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n, w;

    for (; n >= 8; p += 8, n -= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
    }
    w = 0;
    for (size_t i = 0; i < n; i++)
        w |= (uint64_t)(unsigned char)p[i] << (8 * i);
    h = (h ^ w) * 0x94d049bb133111ebull;
    return h ^ (h >> 29);
}

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

/* Equal keys, for the hash table: short keys are compared inline, since a
 * call to memcmp costs more than the comparison. */
static inline bool
key_equal(const char *a, const char *b, size_t n)
{
    uint64_t x, y;

    while (n >= 8) {
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y)
            return false;
        a += 8;
        b += 8;
        n -= 8;
    }
    while (n-- > 0)
        if (*a++ != *b++)
            return false;
    return true;
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

static size_t
memory_in_use(const struct mapout *mo)
{
    return mo->arena.bytes + mo->tabcap * sizeof(*mo->table) +
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

/* Runs the combiner over values; the result is in mo->scratch. */
static int
run_combine(struct mapout *mo, const char *key, size_t klen,
            struct mr_values *values)
{
    struct scratch_output out = {{scratch_write}, mo};

    mo->scratch_len = 0;
    if (mo->combine(key, klen, values, &out.base) != 0) {
        set_error(mo, MR_EAPP, "the app's combiner failed");
        return MR_EAPP;
    }
    return mo->error;
}

/* Replaces an entry's values by their combination. */
static int
combine_entry(struct mapout *mo, struct agg_entry *e)
{
    struct buffer_values bv = {{buffer_next}, e->vals, e->vals + e->vused};
    size_t need;
    int rc = run_combine(mo, entry_key(e), e->klen, &bv.base);

    if (rc != 0)
        return rc;
    need = varint_len(mo->scratch_len) + mo->scratch_len;
    /* A key combined often is a hot one: a bigger buffer means fewer
     * combiner calls for it. */
    if (need > e->vcap || e->vcap < MAX_VALUES_CAP) {
        size_t cap = e->vcap * 2 > need * 2 ? e->vcap * 2 : need * 2;
        if ((e->vals = arena_alloc(&mo->arena, cap)) == NULL) {
            set_error(mo, -ENOMEM, "out of memory");
            return -ENOMEM;
        }
        e->vcap = (uint32_t)cap;
    }
    e->vused = (uint32_t)varint_put(e->vals, mo->scratch_len);
    memcpy(e->vals + e->vused, mo->scratch, mo->scratch_len);
    e->vused += (uint32_t)mo->scratch_len;
    e->nvals = 1;
    return 0;
}

/* ---------------------------------------------------------------- table */

/* Finds key's slot in a table of cap slots: its entry, or the empty slot
 * where it belongs. */
static struct agg_entry *
probe(struct agg_entry *table, size_t cap, uint64_t h, const char *key,
      size_t klen)
{
    for (size_t s = h & (cap - 1);; s = (s + 1) & (cap - 1)) {
        struct agg_entry *e = &table[s];
        if (e->vals == NULL ||
            (e->hash == h && e->klen == klen &&
             key_equal(entry_key(e), key, klen)))
            return e;
    }
}

static int
table_grow(struct mapout *mo)
{
    size_t cap = mo->tabcap ? mo->tabcap * 2 : 4096;
    struct agg_entry *t = calloc(cap, sizeof(*t));

    if (t == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < mo->tabcap; i++) {
        struct agg_entry *e = &mo->table[i];
        if (e->vals != NULL)
            *probe(t, cap, e->hash, entry_key(e), e->klen) = *e;
    }
    /* Inline keys moved with their entries; fix nothing else. */
    free(mo->table);
    mo->table = t;
    mo->tabcap = cap;
    return 0;
}

/* The entry for key, created if new; NULL when out of memory. */
static struct agg_entry *
lookup(struct mapout *mo, const char *key, size_t klen)
{
    uint64_t h = hash_key(key, klen);
    struct agg_entry *e;

    if ((mo->nentries + 1) * 10 > mo->tabcap * 6 && table_grow(mo) < 0)
        return NULL;
    e = probe(mo->table, mo->tabcap, h, key, klen);
    if (e->vals != NULL)
        return e;
    if (klen <= INLINE_KEY) {
        memcpy(e->key.inline_key, key, klen);
        e->vals = arena_alloc(&mo->arena, FIRST_VALUES_CAP);
    } else {
        char *copy = arena_alloc(&mo->arena, klen + FIRST_VALUES_CAP);
        if (copy != NULL) {
            memcpy(copy, key, klen);
            e->key.ptr = copy;
            e->vals = copy + klen;
        }
    }
    if (e->vals == NULL)
        return NULL;
    e->hash = h;
    e->klen = (uint32_t)klen;
    e->vused = 0;
    e->vcap = FIRST_VALUES_CAP;
    e->nvals = 0;
    mo->nentries++;
    return e;
}

static void
add_combined(struct mapout *mo, const char *key, size_t klen,
             const char *val, size_t vlen)
{
    struct agg_entry *e = lookup(mo, key, klen);
    size_t need = varint_len(vlen) + vlen;

    if (e == NULL) {
        set_error(mo, -ENOMEM, "out of memory");
        return;
    }
    if (e->vused + need > e->vcap && e->nvals > 0 &&
        combine_entry(mo, e) != 0)
        return;
    if (e->vused + need > e->vcap) {
        size_t cap = 2 * (e->vused + need);
        char *vals = arena_alloc(&mo->arena, cap);
        if (vals == NULL) {
            set_error(mo, -ENOMEM, "out of memory");
            return;
        }
        memcpy(vals, e->vals, e->vused);
        e->vals = vals;
        e->vcap = (uint32_t)cap;
    }
    e->vused += (uint32_t)varint_put(e->vals + e->vused, vlen);
    memcpy(e->vals + e->vused, val, vlen);
    e->vused += (uint32_t)vlen;
    e->nvals++;
}

static void
add_plain(struct mapout *mo, const char *key, size_t klen, const char *val,
          size_t vlen)
{
    struct mapout_rec *r;
    char *copy;

    if (grow((void **)&mo->recs, &mo->reccap, mo->nrecs + 1,
             sizeof(*mo->recs)) < 0 ||
        (copy = arena_alloc(&mo->arena, klen + vlen)) == NULL) {
        set_error(mo, -ENOMEM, "out of memory");
        return;
    }
    memcpy(copy, key, klen);
    memcpy(copy + klen, val, vlen);
    r = &mo->recs[mo->nrecs++];
    r->key = copy;
    r->klen = (uint32_t)klen;
    r->vlen = (uint32_t)vlen;
}

/* ---------------------------------------------------------------- sort */

static int
entry_compare(const void *a, const void *b)
{
    const struct sorted_entry *x = a, *y = b;

    if (x->part != y->part)
        return x->part < y->part ? -1 : 1;
    return key_compare(entry_key(x->e), x->e->klen, entry_key(y->e),
                       y->e->klen);
}

static int
rec_compare(const void *a, const void *b)
{
    const struct mapout_rec *x = a, *y = b;

    if (x->part != y->part)
        return x->part < y->part ? -1 : 1;
    return key_compare(x->key, x->klen, y->key, y->klen);
}

/* Writes the buffered pairs, sorted, to w; then empties the buffers. */
static int
write_buffer(struct mapout *mo, struct im_writer *w, uint64_t *records)
{
    if (mo->combine != NULL) {
        struct sorted_entry *order = malloc((mo->nentries + 1) *
                                            sizeof(*order));
        size_t n = 0;
        if (order == NULL) {
            set_error(mo, -ENOMEM, "out of memory");
            return mo->error;
        }
        for (size_t i = 0; i < mo->tabcap; i++) {
            struct agg_entry *e = &mo->table[i];
            if (e->vals != NULL)
                order[n++] = (struct sorted_entry){
                    partition_of(entry_key(e), e->klen, mo->nreduce), e};
        }
        qsort(order, n, sizeof(*order), entry_compare);
        for (size_t i = 0; i < n && mo->error == 0; i++) {
            struct agg_entry *e = order[i].e;
            size_t vlen;
            const char *v;
            if (e->nvals > 1 && combine_entry(mo, e) != 0)
                break;
            v = e->vals + varint_get(e->vals, &vlen);
            im_writer_add(w, order[i].part, entry_key(e), e->klen, v, vlen);
        }
        free(order);
        *records += n;
        /* Start the next run small: a table kept at its full size would
         * count against the budget and force a spill per emit. */
        free(mo->table);
        mo->table = NULL;
        mo->tabcap = 0;
        mo->nentries = 0;
    } else {
        for (size_t i = 0; i < mo->nrecs; i++)
            mo->recs[i].part = partition_of(mo->recs[i].key,
                                            mo->recs[i].klen, mo->nreduce);
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
    if (mo->combine != NULL)
        add_combined(mo, key, klen, val, vlen);
    else
        add_plain(mo, key, klen, val, vlen);
    if (memory_in_use(mo) > mo->budget)
        spill(mo);
}

/* ---------------------------------------------------------------- setup */

void
mapout_init(struct mapout *mo, uint32_t nreduce, mr_reduce_fn *combine,
            size_t budget, const char *run_dir)
{
    static unsigned instance;
    const char *env = getenv("MR_MAP_BUFFER");

    memset(mo, 0, sizeof(*mo));
    mo->emitter.emit = mapout_emit;
    mo->nreduce = nreduce;
    mo->combine = combine;
    if (budget == 0) {
        budget = env ? (size_t)strtoull(env, NULL, 10) : 0;
        if (budget == 0)
            budget = MAPOUT_DEFAULT_BUDGET;
        if (budget < MAPOUT_MIN_BUDGET)
            budget = MAPOUT_MIN_BUDGET;
    }
    mo->budget = budget;
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
    free(mo->table);
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
            if (mo->combine != NULL) {
                rc = run_combine(mo, g.key, g.klen, &g.base);
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
        (mo->nentries > 0 || mo->nrecs > 0))
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
