/* Collecting, sorting, combining and writing a map task's output. */
#define _GNU_SOURCE
#include "mapout.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imfile.h"
#include "keys.h"
#include "partition.h"

static int
grow(void **p, size_t *cap, size_t need, size_t elem)
{
    size_t c = *cap ? *cap : 4096;
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
mapout_emit(struct mr_emitter *e, const char *key, size_t klen,
            const char *val, size_t vlen)
{
    struct mapout *mo = (struct mapout *)e;
    struct mapout_rec *r;

    if (mo->error != 0)
        return;
    if (klen > UINT32_MAX || vlen > UINT32_MAX) {
        mo->error = -E2BIG;
        return;
    }
    if (grow((void **)&mo->data, &mo->cap, mo->len + klen + vlen, 1) < 0 ||
        grow((void **)&mo->recs, &mo->reccap, mo->nrecs + 1,
             sizeof(*mo->recs)) < 0) {
        mo->error = -ENOMEM;
        return;
    }
    r = &mo->recs[mo->nrecs++];
    r->off = mo->len;
    r->part = partition_of(key, klen, mo->nreduce);
    r->klen = (uint32_t)klen;
    r->vlen = (uint32_t)vlen;
    memcpy(mo->data + mo->len, key, klen);
    memcpy(mo->data + mo->len + klen, val, vlen);
    mo->len += klen + vlen;
}

void
mapout_init(struct mapout *mo, uint32_t nreduce)
{
    memset(mo, 0, sizeof(*mo));
    mo->emitter.emit = mapout_emit;
    mo->nreduce = nreduce;
}

void
mapout_free(struct mapout *mo)
{
    free(mo->data);
    free(mo->recs);
    memset(mo, 0, sizeof(*mo));
}

static int
rec_compare(const void *a, const void *b, void *arg)
{
    const struct mapout_rec *x = a, *y = b;
    const char *data = arg;

    if (x->part != y->part)
        return x->part < y->part ? -1 : 1;
    return key_compare(data + x->off, x->klen, data + y->off, y->klen);
}

/* ---------------------------------------------------------------- combine */

/* The values of one key's run of records, for the combiner. */
struct run_values {
    struct mr_values base;
    const struct mapout *mo;
    size_t next, end;
};

static bool
run_next(struct mr_values *v, const char **val, size_t *len)
{
    struct run_values *rv = (struct run_values *)v;
    const struct mapout_rec *r;

    if (rv->next == rv->end)
        return false;
    r = &rv->mo->recs[rv->next++];
    *val = rv->mo->data + r->off + r->klen;
    *len = r->vlen;
    return true;
}

/* What the combiner writes: one value, gathered in a scratch buffer. */
struct scratch_output {
    struct mr_output base;
    char *buf;
    size_t len, cap;
    int error;
};

static void
scratch_write(struct mr_output *o, const char *bytes, size_t len)
{
    struct scratch_output *so = (struct scratch_output *)o;

    if (so->error != 0)
        return;
    if (grow((void **)&so->buf, &so->cap, so->len + len, 1) < 0) {
        so->error = -ENOMEM;
        return;
    }
    memcpy(so->buf + so->len, bytes, len);
    so->len += len;
}

/* Writes records [i, end) of one key as one combined record. */
static int
write_combined(struct mapout *mo, struct im_writer *w, size_t i, size_t end,
               mr_reduce_fn *combine, struct scratch_output *out)
{
    const struct mapout_rec *r = &mo->recs[i];
    struct run_values vals = {{run_next}, mo, i, end};
    const char *key = mo->data + r->off;

    out->len = 0;
    if (combine(key, r->klen, &vals.base, &out->base) != 0)
        return MR_EAPP;
    if (out->error != 0)
        return out->error;
    im_writer_add(w, r->part, key, r->klen, out->buf, out->len);
    return 0;
}

/* ---------------------------------------------------------------- write */

int
mapout_write(struct mapout *mo, const char *path, mr_reduce_fn *combine,
             uint64_t *records_out, uint64_t *bytes_out,
             char err[MR_ERR_LEN])
{
    struct scratch_output out = {{scratch_write}, NULL, 0, 0, 0};
    struct im_writer w;
    int rc = mo->error;

    if (rc != 0) {
        snprintf(err, MR_ERR_LEN, "map output: %s", mr_strerror(rc));
        return rc;
    }
    qsort_r(mo->recs, mo->nrecs, sizeof(*mo->recs), rec_compare, mo->data);
    if ((rc = im_writer_open(&w, path, mo->nreduce, err)) < 0)
        return rc;
    *records_out = 0;
    for (size_t i = 0, end; i < mo->nrecs && rc == 0; i = end) {
        end = i + 1;
        if (combine == NULL) {
            const struct mapout_rec *r = &mo->recs[i];
            im_writer_add(&w, r->part, mo->data + r->off, r->klen,
                          mo->data + r->off + r->klen, r->vlen);
        } else {
            while (end < mo->nrecs &&
                   rec_compare(&mo->recs[i], &mo->recs[end], mo->data) == 0)
                end++;
            rc = write_combined(mo, &w, i, end, combine, &out);
        }
        (*records_out)++;
    }
    free(out.buf);
    if (rc != 0) {
        snprintf(err, MR_ERR_LEN, "combiner failed: %s", mr_strerror(rc));
        im_writer_abort(&w);
        return rc;
    }
    rc = im_writer_commit(&w, err);
    *bytes_out = w.file.written;    /* still counted after the commit */
    return rc;
}
