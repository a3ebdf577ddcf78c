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
    } else if (mo->exec_combiner != NULL) {   /* runs are not combined */
        st->combine_in = mo->exec_combine_in;
        st->combine_out = mo->exec_combine_out;
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

/* An executable app's mapper over data, the lines at in->skip left out;
 * a death by a signal is noted in st with the line it had. */
static int
map_exec(const struct exec_app *x, const struct map_input *in,
         const char *data, size_t len, struct mr_emitter *out,
         const int *out_error, struct map_stats *st, char err[MR_ERR_LEN])
{
    struct exec_map_watch w = {
        .split = {.data = data, .len = len,
                  .origin = (in->whole ? 0 : in->offset) + in->fetched_from,
                  .skip = in->skip, .nskip = in->nskip},
        .one_at_a_time = in->one_line_at_a_time};
    int rc = exec_map_watched(x, &w, out, out_error, err);

    st->records_read += 1;      /* one run of the mapper, as a whole-input
                                   map counts one call (docs/counters.md) */
    st->records_skipped += w.skipped;
    st->died_of = w.signo;
    st->blamed = w.blamed;
    st->blamed_file = in->name;
    st->blamed_guessed = w.guessed;
    st->blamed_offset = w.offset;
    st->blamed_len = w.head_len;
    memcpy(st->blamed_head, w.head, w.head_len);
    return rc;
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
        rc = map_exec(x, in, sd.bytes, sd.len, &mo->emitter, &mo->error, st,
                      err);
        if (mo->error != 0)     /* the map output failed: rc is it */
            snprintf(err, MR_ERR_LEN, "map output: %s", mo->errmsg);
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
    if (exec_app_of(app) != NULL && exec_app_of(app)->combiner != NULL)
        mo.exec_combiner = exec_app_of(app);
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
