/* Map task: input read through a read-only mapping, never copied. */
#include "maptask.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec_task.h"
#include "mapout.h"
#include "record_in_hand.h"

/* Maps the input's split read-only; *base and *maplen are what to munmap
 * (NULL for an empty split), *len the split's length. */
static int
map_input(const struct map_input *in, const char **data, size_t *len,
          void **base, size_t *maplen, char err[MR_ERR_LEN])
{
    const char *path = in->path ? in->path : in->name;
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    uint64_t offset = in->whole ? 0 : in->offset, length = in->length;
    uint64_t delta = offset % page;
    struct stat st;
    bool regular;
    void *m;
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

    *data = "";
    *base = NULL;
    *maplen = 0;
    if (fd < 0) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot open input %s: %s", path,
                 strerror(errno));
        return rc;
    }
    regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    if (regular && in->whole)
        length = (uint64_t)st.st_size;
    if (!regular) {
        rc = -EINVAL;
        snprintf(err, MR_ERR_LEN, "input %s is not a readable regular file",
                 path);
    } else if (offset > (uint64_t)st.st_size ||
               length > (uint64_t)st.st_size - offset) {   /* no wrap */
        rc = -EINVAL;
        snprintf(err, MR_ERR_LEN, "input %s is shorter than when the job "
                 "started", path);
    } else if (length > 0) {
        m = mmap(NULL, (size_t)(length + delta), PROT_READ, MAP_PRIVATE, fd,
                 (off_t)(offset - delta));
        if (m == MAP_FAILED) {
            rc = -errno;
            snprintf(err, MR_ERR_LEN, "cannot map input %s: %s", path,
                     strerror(errno));
        } else {
            posix_madvise(m, (size_t)(length + delta),
                          POSIX_MADV_SEQUENTIAL);
            *base = m;
            *maplen = (size_t)(length + delta);
            *data = (const char *)m + delta;
        }
    }
    *len = rc == 0 ? (size_t)length : 0;
    close(fd);
    return rc;
}

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

/* An executable app's mapper over data, the lines at in->skip left out;
 * a death by a signal is noted in st with the line it had. */
static int
map_exec(const struct exec_app *x, const struct map_input *in,
         const char *data, size_t len, struct mr_emitter *out,
         struct map_stats *st, char err[MR_ERR_LEN])
{
    struct exec_map_watch w = {
        .split = {.data = data, .len = len,
                  .origin = (in->whole ? 0 : in->offset) + in->fetched_from,
                  .skip = in->skip, .nskip = in->nskip},
        .one_at_a_time = in->one_line_at_a_time};
    int rc = exec_map_watched(x, &w, out, err);

    st->records_skipped = w.skipped;
    st->died_of = w.signo;
    st->blamed = w.blamed;
    st->blamed_offset = w.offset;
    st->blamed_len = w.head_len;
    memcpy(st->blamed_head, w.head, w.head_len);
    return rc;
}

int
map_run(const struct mr_app *app, const struct map_input *in,
        uint32_t nreduce, const char *out_path, const char *run_dir,
        size_t map_buffer, struct counter_table *counters,
        struct map_stats *st, char err[MR_ERR_LEN])
{
    const struct exec_app *x = exec_app_of(app);
    const char *data;
    struct map_feed feed;
    struct mapout mo;
    size_t maplen, len = 0;
    void *base;
    int rc;

    memset(st, 0, sizeof(*st));
    rc = map_input(in, &data, &len, &base, &maplen, err);
    if (rc < 0)
        return rc;
    st->bytes_in = len;
    mapout_init(&mo, nreduce, app->combine, app->builtin_combiner,
                map_buffer, run_dir);
    mo.counters = counters;
    if (x != NULL) {            /* an executable app: its mapper */
        rc = map_exec(x, in, data, len, &mo.emitter, st, err);
    } else {
        feed = (struct map_feed){in->name,
                                 (in->whole ? 0 : in->offset) +
                                     in->fetched_from,
                                 in->skip, in->nskip};
        if (map_feed(app, &feed, data, len, &mo.emitter, &st->records_read,
                     &st->records_skipped) != 0) {
            snprintf(err, MR_ERR_LEN, "the app's map failed on %s",
                     in->name);
            rc = MR_EAPP;
        }
    }
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
    if (base != NULL)
        munmap(base, maplen);
    return rc;
}
