/* Reduce task: a k-way merge (merge.c) of one partition of every map
 * output, each key's values streamed to the app's reduce. */
#include "reducetask.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "exec_task.h"
#include "file_output.h"
#include "imfile.h"
#include "merge.h"

/* ---------------------------------------------------------------- task */

static int
open_inputs(struct im_reader *readers, struct merger *m,
            const char *const *inputs, uint32_t ninputs, uint32_t part,
            uint32_t nreduce, uint64_t *bytes_in, char err[MR_ERR_LEN])
{
    for (uint32_t i = 0; i < ninputs; i++) {
        struct im_cursor cur;
        int rc = im_reader_open(&readers[i], inputs[i], nreduce, err);
        if (rc < 0) {
            m->bad_input = i;
            return rc == -ENOENT || rc == MR_EBADDATA ? MR_EBADDATA : rc;
        }
        if (im_reader_partition(&readers[i], part, &cur) < 0) {
            snprintf(err, MR_ERR_LEN, "%s: partition %u fails its checksum "
                     "(corrupt intermediate data)", inputs[i], part);
            m->bad_input = i;
            return MR_EBADDATA;
        }
        *bytes_in += (uint64_t)(cur.end - cur.p);
        merger_add(m, i, &cur);
    }
    return 0;
}

static int
reduce_groups(const struct mr_app *app, struct merger *m,
              struct atomic_file *out, struct counter_table *counters,
              struct reduce_stats *st)
{
    struct file_output fo = file_output_to(out, counters);
    struct merge_group g;

    while (merger_next_group(m, &g)) {
        if (file_output_line(&fo, app, g.key, g.klen, &g.base) != 0)
            return MR_EAPP;
        merger_end_group(&g);
        st->keys++;
    }
    return m->error;
}

/* ---------------------------------------------------------------- exec */

/* The merged groups as an executable app's reducer reads them. */
struct exec_merge {
    struct merger *m;
    struct merge_group g;
    bool in_group;
    uint64_t keys;
};

static bool
exec_merge_next(void *arg, const char **key, size_t *klen,
                struct mr_values **values)
{
    struct exec_merge *em = arg;

    if (em->in_group)
        merger_end_group(&em->g);
    em->in_group = merger_next_group(em->m, &em->g);
    if (!em->in_group)
        return false;
    em->keys++;
    *key = em->g.key;
    *klen = em->g.klen;
    *values = &em->g.base;
    return true;
}

static int
exec_merge_error(void *arg)
{
    return ((struct exec_merge *)arg)->m->error;
}

/* Reduces through the reducer command; st->keys counts its lines. */
static int
reduce_exec(const struct exec_app *x, struct merger *m,
            struct atomic_file *out, struct reduce_stats *st,
            char err[MR_ERR_LEN])
{
    struct exec_merge em = {.m = m};
    struct exec_groups in = {exec_merge_next, exec_merge_error, &em};
    int rc = exec_reduce(x, &in, out, &st->keys, err);

    if (em.in_group)
        merger_end_group(&em.g);
    return rc;
}

/* ---------------------------------------------------------------- merged */

int
reduce_merged(const struct mr_app *app, struct merger *m,
              const char *out_path, bool durable,
              struct counter_table *counters, struct reduce_stats *st,
              char err[MR_ERR_LEN])
{
    struct atomic_file out;
    int rc;

    if ((rc = atomic_file_open(&out, out_path, durable, err)) < 0)
        return rc;
    if (exec_app_of(app) != NULL)
        rc = reduce_exec(exec_app_of(app), m, &out, st, err);
    else
        rc = reduce_groups(app, m, &out, counters, st);
    st->records_in = m->records;
    if (rc != 0 && exec_app_of(app) != NULL) {
        atomic_file_abort(&out);
        return rc;
    } else if (rc != 0) {
        if (rc == MR_EAPP && counters != NULL &&
            counter_table_failed(counters))
            snprintf(err, MR_ERR_LEN, "%s", counter_table_error(counters));
        else if (rc == MR_EAPP)
            snprintf(err, MR_ERR_LEN, "the app's reduce failed");
        atomic_file_abort(&out);
        return rc;
    }
    rc = atomic_file_commit(&out, err);
    st->bytes_out = out.written;
    return rc;
}

int
reduce_run(const struct mr_app *app, const char *const *inputs,
           uint32_t ninputs, uint32_t part, uint32_t nreduce,
           const char *out_path, bool durable, struct reduce_stats *st,
           char err[MR_ERR_LEN])
{
    struct im_reader *readers = calloc(ninputs ? ninputs : 1,
                                       sizeof(*readers));
    struct merger m;
    int rc;

    memset(st, 0, sizeof(*st));
    st->bad_input = -1;
    rc = merger_init(&m, ninputs);
    if (readers == NULL || rc < 0) {
        snprintf(err, MR_ERR_LEN, "out of memory");
        rc = -ENOMEM;
        goto out_free;
    }
    rc = open_inputs(readers, &m, inputs, ninputs, part, nreduce,
                     &st->bytes_in, err);
    if (rc < 0)
        goto out_close;
    rc = reduce_merged(app, &m, out_path, durable, NULL, st, err);
    if (rc == m.error && rc != 0)
        snprintf(err, MR_ERR_LEN, "%s: %s", inputs[m.bad_input],
                 mr_strerror(rc));
out_close:
    if (rc == MR_EBADDATA)
        st->bad_input = m.bad_input;
    for (uint32_t i = 0; i < ninputs; i++)
        im_reader_close(&readers[i]);
out_free:
    free(readers);
    merger_free(&m);
    return rc;
}
