/* Reduce task: k-way merge of sorted partitions with a binary heap of
 * cursors, values streamed to the app without being gathered. */
#include "reducetask.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "imfile.h"
#include "keys.h"

struct source {
    struct im_cursor cur;
    const char *key, *val;      /* the current record */
    size_t klen, vlen;
    uint32_t input;             /* index into the inputs, for messages */
};

struct merger {
    struct source *src;         /* all sources */
    struct source **heap;       /* those not exhausted, min-heap on key */
    uint32_t n;
    int error;                  /* MR_EBADDATA, sticky */
    uint32_t bad_input;
    uint64_t records;
};

static bool
source_before(const struct source *a, const struct source *b)
{
    return key_compare(a->key, a->klen, b->key, b->klen) < 0;
}

static void
sift_down(struct merger *m, uint32_t i)
{
    struct source *s = m->heap[i];

    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= m->n)
            break;
        if (c + 1 < m->n && source_before(m->heap[c + 1], m->heap[c]))
            c++;
        if (!source_before(m->heap[c], s))
            break;
        m->heap[i] = m->heap[c];
        i = c;
    }
    m->heap[i] = s;
}

/* Loads the source's next record; false when it is exhausted or bad. */
static bool
source_next(struct merger *m, struct source *s)
{
    int rc = im_cursor_next(&s->cur, &s->key, &s->klen, &s->val, &s->vlen);

    if (rc < 0 && m->error == 0) {
        m->error = rc;
        m->bad_input = s->input;
    }
    if (rc == 1)
        m->records++;
    return rc == 1;
}

/* Moves the top source to its next record, or drops it. */
static void
advance_top(struct merger *m)
{
    if (!source_next(m, m->heap[0]))
        m->heap[0] = m->heap[--m->n];
    if (m->n > 0)
        sift_down(m, 0);
}

/* ---------------------------------------------------------------- values */

struct group_values {
    struct mr_values base;
    struct merger *m;
    const char *key;
    size_t klen;
};

static bool
group_next(struct mr_values *v, const char **val, size_t *len)
{
    struct group_values *g = (struct group_values *)v;
    struct merger *m = g->m;
    struct source *top;

    if (m->n == 0)
        return false;
    top = m->heap[0];
    if (key_compare(top->key, top->klen, g->key, g->klen) != 0)
        return false;
    *val = top->val;
    *len = top->vlen;
    advance_top(m);
    return true;
}

struct file_output {
    struct mr_output base;
    struct atomic_file *file;
};

static void
file_write(struct mr_output *o, const char *bytes, size_t len)
{
    atomic_file_write(((struct file_output *)o)->file, bytes, len);
}

/* ---------------------------------------------------------------- task */

static int
open_inputs(struct im_reader *readers, struct merger *m,
            const char *const *inputs, uint32_t ninputs, uint32_t part,
            uint32_t nreduce, uint64_t *bytes_in, char err[MR_ERR_LEN])
{
    for (uint32_t i = 0; i < ninputs; i++) {
        struct source *s = &m->src[i];
        int rc = im_reader_open(&readers[i], inputs[i], nreduce, err);
        if (rc < 0)
            return rc;
        im_reader_partition(&readers[i], part, &s->cur);
        *bytes_in += (uint64_t)(s->cur.end - s->cur.p);
        s->input = i;
        if (source_next(m, s))
            m->heap[m->n++] = s;
        else if (m->error != 0)
            break;
    }
    for (uint32_t i = m->n / 2; i-- > 0;)
        sift_down(m, i);
    return 0;
}

static int
reduce_groups(const struct mr_app *app, struct merger *m,
              struct atomic_file *out, struct reduce_stats *st)
{
    struct file_output fo = {{file_write}, out};

    while (m->n > 0 && m->error == 0) {
        struct group_values g = {{group_next}, m, m->heap[0]->key,
                                 m->heap[0]->klen};
        const char *ignored;
        size_t ignored_len;

        atomic_file_write(out, g.key, g.klen);
        atomic_file_write(out, " ", 1);
        if (app->reduce(g.key, g.klen, &g.base, &fo.base) != 0)
            return MR_EAPP;
        atomic_file_write(out, "\n", 1);
        while (group_next(&g.base, &ignored, &ignored_len))
            ;                   /* values the app did not read */
        st->keys++;
    }
    return m->error;
}

int
reduce_run(const struct mr_app *app, const char *const *inputs,
           uint32_t ninputs, uint32_t part, uint32_t nreduce,
           const char *out_path, bool durable, struct reduce_stats *st,
           char err[MR_ERR_LEN])
{
    struct im_reader *readers = calloc(ninputs ? ninputs : 1,
                                       sizeof(*readers));
    struct merger m = {0};
    struct atomic_file out;
    int rc;

    memset(st, 0, sizeof(*st));
    m.src = calloc(ninputs ? ninputs : 1, sizeof(*m.src));
    m.heap = calloc(ninputs ? ninputs : 1, sizeof(*m.heap));
    if (readers == NULL || m.src == NULL || m.heap == NULL) {
        snprintf(err, MR_ERR_LEN, "out of memory");
        rc = -ENOMEM;
        goto out_free;
    }
    rc = open_inputs(readers, &m, inputs, ninputs, part, nreduce,
                     &st->bytes_in, err);
    if (rc < 0)
        goto out_close;
    if ((rc = atomic_file_open(&out, out_path, durable, err)) < 0)
        goto out_close;
    rc = reduce_groups(app, &m, &out, st);
    if (rc != 0) {
        if (rc == MR_EAPP)
            snprintf(err, MR_ERR_LEN, "the app's reduce failed");
        else
            snprintf(err, MR_ERR_LEN, "%s: %s", inputs[m.bad_input],
                     mr_strerror(rc));
        atomic_file_abort(&out);
        goto out_close;
    }
    rc = atomic_file_commit(&out, err);
    st->bytes_out = out.written;
    st->records_in = m.records;
out_close:
    for (uint32_t i = 0; i < ninputs; i++)
        im_reader_close(&readers[i]);
out_free:
    free(readers);
    free(m.src);
    free(m.heap);
    return rc;
}
