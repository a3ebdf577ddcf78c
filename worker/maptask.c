/* Map task: the app's map over the split (split_data.c), its pairs to
 * mapout. */
#include "maptask.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "exec_task.h"
#include "mapout.h"
#include "record_in_hand.h"
#include "split_data.h"

/* The figures of the map's output, from mapout's. */
static void
note_output(const struct mapout *mo, struct map_stats *st)
{
    st->records_in = mo->emitted;
    st->emitted_bytes = mo->emitted_bytes;
    st->spilled_records = mo->spilled_records;
    st->spilled_runs = mo->nruns;
    /* Each run is read back once, by a merge that combines again. */
    if (mo->sum || mo->combine != NULL) {
        st->combine_in = mo->emitted + mo->spilled_records;
        st->combine_out = mo->spilled_records + st->records_out;
    }
}

/* The map_line app's lines of data; see map_feed(). */
static int
feed_lines(mr_map_line_fn *map_line, const struct map_feed *f,
           const char *data, size_t len, struct mr_emitter *out,
           uint64_t *read, uint64_t *skipped)
{
    const char *p = data, *end = data + len;
    size_t k = 0;
    int rc = 0;

    while (p < end && rc == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        uint64_t off = f->origin + (uint64_t)(p - data);

        while (k < f->nskip && f->skip[k] < off)
            k++;
        if (k < f->nskip && f->skip[k] == off) {
            (*skipped)++;
        } else {
            record_in_hand_set(f->name, off, p, n);
            rc = map_line(f->name, off, p, n, out);
            (*read)++;
        }
        p = nl != NULL ? nl + 1 : end;
    }
    record_in_hand_clear();
    return rc;
}

int
map_feed(const struct mr_app *app, const struct map_feed *f,
         const char *data, size_t len, struct mr_emitter *out,
         uint64_t *read, uint64_t *skipped)
{
    *read = 0;
    *skipped = 0;
    if (app->map_line != NULL)
        return feed_lines(app->map_line, f, data, len, out, read, skipped);
    *read = 1;
    return app->map(f->name, data, len, out);
}

/* Maps one input into mo, adding its bytes and records to st. Returns 0
 * or an error with err filled. */
static int
map_one(const struct mr_app *app, const struct map_input *in,
        struct mapout *mo, struct map_stats *st, char err[MR_ERR_LEN])
{
    const struct exec_app *x = exec_app_of(app);
    uint64_t origin = (in->whole ? 0 : in->offset) + in->fetched_from;
    uint64_t read = 0, skipped = 0;
    struct split_data sd;
    struct map_feed feed;
    int rc = split_data_open(in, &sd, err);

    if (rc < 0)
        return rc;
    st->bytes_in += sd.len;
    if (x != NULL) {            /* an executable app: its mapper */
        rc = exec_map(x, origin, sd.bytes, sd.len, &mo->emitter, err);
    } else {
        feed = (struct map_feed){in->name, origin, in->skip, in->nskip};
        if (map_feed(app, &feed, sd.bytes, sd.len, &mo->emitter, &read,
                     &skipped) != 0) {
            snprintf(err, MR_ERR_LEN, "the app's map failed on %s",
                     in->name);
            rc = MR_EAPP;
        }
        st->records_read += read;
        st->records_skipped += skipped;
    }
    split_data_close(&sd);
    return rc;
}

int
map_run(const struct mr_app *app, const struct map_input *in,
        uint32_t nreduce, const char *out_path, const char *run_dir,
        size_t map_buffer, struct counter_table *counters,
        struct map_stats *st, char err[MR_ERR_LEN])
{
    return map_run_parts(app, in, 1, nreduce, out_path, run_dir, map_buffer,
                         counters, st, err);
}

int
map_run_parts(const struct mr_app *app, const struct map_input *in,
              size_t nin, uint32_t nreduce, const char *out_path,
              const char *run_dir, size_t map_buffer,
              struct counter_table *counters, struct map_stats *st,
              char err[MR_ERR_LEN])
{
    struct mapout mo;
    int rc = 0;

    memset(st, 0, sizeof(*st));
    mapout_init(&mo, nreduce, app->combine, app->builtin_combiner,
                map_buffer, run_dir);
    mo.counters = counters;
    for (size_t i = 0; i < nin && rc == 0; i++)
        rc = map_one(app, &in[i], &mo, st, err);
    if (rc == 0 && counters != NULL && counter_table_failed(counters)) {
        snprintf(err, MR_ERR_LEN, "%s", counter_table_error(counters));
        rc = MR_EAPP;
    }
    if (rc == 0) {
        rc = mapout_write(&mo, out_path, &st->records_out, &st->bytes_out,
                          err);
        note_output(&mo, st);
    }
    mapout_free(&mo);
    return rc;
}
