/* Sorting a map task's buffered output by (partition, key), spilling it as
 * runs, and merging the runs into the task's one intermediate file. See
 * spill.h; mapout.c collects and combines. */
#include "spill.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aggtable.h"
#include "imfile.h"
#include "keys.h"
#include "mapout_int.h"
#include "merge.h"
#include "partition.h"
#include "varint.h"

/* An entry with its partition, for sorting. */
struct sorted_entry {
    uint32_t part;
    uint64_t prefix;            /* the key's first 8 bytes, big-endian,
                                   zero-padded: compared before the key */
    struct agg_entry *e;
};

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

/* Writes an entry's key and its values' combination to w. */
static void
write_entry(struct mapout *mo, struct im_writer *w, uint32_t part,
            struct agg_entry *e)
{
    struct value_block *b = e->v.block;
    struct scratch_output out = {{mapout__scratch_write,
                                  mapout__scratch_count}, mo};
    const char *v;
    size_t vlen;
    uint64_t n;

    if (mo->sum) {
        mo->scratch_len = 0;
        mr_write_u64(&out.base, e->v.sum);
        if (mo->error != 0)
            return;
        v = mo->scratch;
        vlen = mo->scratch_len;
    } else {
        if (b->count > 1 && mapout__combine_block(mo, e) != 0)
            return;
        b = e->v.block;
        v = b->data + varint_get_unchecked(b->data, &n);
        vlen = (size_t)n;
    }
    im_writer_add(w, part, agg_entry_key(e), agg_entry_klen(e), v, vlen);
}

/* Plain mode: writes the buffered records to w sorted by (partition,
 * key). */
static void
write_records(struct mapout *mo, struct im_writer *w)
{
    for (size_t i = 0; i < mo->nrecs; i++)
        mo->recs[i].part = partition_of(mo->recs[i].key, mo->recs[i].klen,
                                        mo->nreduce);
    if (mo->nrecs > 0)          /* recs is NULL for none */
        qsort(mo->recs, mo->nrecs, sizeof(*mo->recs), mapout__rec_compare);
    for (size_t i = 0; i < mo->nrecs; i++) {
        const struct mapout_rec *r = &mo->recs[i];
        im_writer_add(w, r->part, r->key, r->klen, r->key + r->klen,
                      r->vlen);
    }
}

/* Writes the buffered pairs, sorted (through an executable app's
 * combiner, if any), to w; then empties the buffers. */
static int
write_buffer(struct mapout *mo, struct im_writer *w, uint64_t *records)
{
    if (mapout__combining(mo)) {
        struct sorted_entry *order;
        mapout__add_queued(mo);
        order = malloc((mo->agg.n + 1) * sizeof(*order));
        size_t n = 0;
        if (order == NULL) {
            mapout__set_error(mo, -ENOMEM, "out of memory");
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
        if (mo->exec_combiner == NULL) {
            write_records(mo, w);
            *records += mo->nrecs;
        } else if (mo->nrecs > 0) {     /* none: no command to run */
            mapout__exec_combine(mo, w, records);
        }
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

void
spill_init(struct mapout *mo, const char *run_dir)
{
    static unsigned instance;

    snprintf(mo->run_prefix, sizeof(mo->run_prefix), "%s%smr-spill-%d-%u",
             run_dir ? run_dir : "", run_dir ? "/" : "", (int)getpid(),
             instance++);
}

void
spill_run(struct mapout *mo)
{
    char path[4200], err[MR_ERR_LEN];
    struct im_writer w;
    uint64_t records = 0;
    int rc;

    run_name(mo, mo->nruns, path, sizeof(path));
    if ((rc = im_writer_open(&w, path, mo->nreduce, err)) < 0) {
        mapout__set_error(mo, rc, err);
        return;
    }
    if (write_buffer(mo, &w, &records) != 0) {
        im_writer_abort(&w);
        return;
    }
    if ((rc = im_writer_commit(&w, err)) < 0) {
        mapout__set_error(mo, rc, err);
        return;
    }
    mo->nruns++;
    mo->spilled_records += records;
}

void
spill_remove_runs(struct mapout *mo)
{
    char path[4200];

    for (unsigned i = mo->first_run; i < mo->nruns; i++) {
        run_name(mo, i, path, sizeof(path));
        unlink(path);
    }
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
            if (mapout__combining(mo)) {
                rc = mapout__combine_values(mo, g.key, g.klen, &g.base);
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
        mo->spilled_records += records;
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
        spill_run(mo);
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
