/* Map task: input read through a read-only mapping, never copied. */
#include "maptask.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mapout.h"

/* Maps path read-only. An empty file gives len 0 and a non-NULL pointer. */
static int
map_input(const char *path, const char **data, size_t *len,
          char err[MR_ERR_LEN])
{
    struct stat st;
    void *m;
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

    *data = "";
    *len = 0;
    if (fd < 0) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot open input %s: %s", path,
                 strerror(errno));
        return rc;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        rc = -EINVAL;
        snprintf(err, MR_ERR_LEN, "input %s is not a readable regular file",
                 path);
    } else if (st.st_size > 0) {
        m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            rc = -errno;
            snprintf(err, MR_ERR_LEN, "cannot map input %s: %s", path,
                     strerror(errno));
        } else {
            posix_madvise(m, (size_t)st.st_size, POSIX_MADV_SEQUENTIAL);
            *data = m;
            *len = (size_t)st.st_size;
        }
    }
    close(fd);
    return rc;
}

int
map_run(const struct mr_app *app, const char *input, uint32_t nreduce,
        const char *out_path, struct map_stats *st, char err[MR_ERR_LEN])
{
    const char *data;
    struct mapout mo;
    size_t len;
    int rc;

    memset(st, 0, sizeof(*st));
    if ((rc = map_input(input, &data, &len, err)) < 0)
        return rc;
    st->bytes_in = len;
    mapout_init(&mo, nreduce, app->combine, 0, NULL);
    if (app->map(input, data, len, &mo.emitter) != 0) {
        snprintf(err, MR_ERR_LEN, "the app's map failed on %s", input);
        rc = MR_EAPP;
    } else {
        st->records_in = mo.emitted;
        rc = mapout_write(&mo, out_path, &st->records_out, &st->bytes_out,
                          err);
    }
    mapout_free(&mo);
    if (len > 0)
        munmap((void *)data, len);
    return rc;
}
