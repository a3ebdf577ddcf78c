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
    } else if (mo->exec_combiner != NULL) {   /* runs are not combined */
        st->combine_in = mo->exec_combine_in;
        st->combine_out = mo->exec_combine_out;
    }
}

int
map_run(const struct mr_app *app, const struct map_input *in,
        uint32_t nreduce, const char *out_path, const char *run_dir,
        size_t map_buffer, struct counter_table *counters,
        struct map_stats *st, char err[MR_ERR_LEN])
{
    const struct exec_app *x = exec_app_of(app);
    const char *data;
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
    if (x != NULL && x->combiner != NULL)
        mo.exec_combiner = x;
    if (x != NULL) {            /* an executable app: its mapper */
        rc = exec_map(x, in->whole ? 0 : in->offset, data, len, &mo.emitter,
                      &mo.error, err);
        if (mo.error != 0)      /* the map output failed: rc is it */
            snprintf(err, MR_ERR_LEN, "map output: %s", mo.errmsg);
    } else if (app->map(in->name, data, len, &mo.emitter) != 0) {
        snprintf(err, MR_ERR_LEN, "the app's map failed on %s", in->name);
        rc = MR_EAPP;
    } else if (counters != NULL && counter_table_failed(counters)) {
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
