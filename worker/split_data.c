/* A map task's split: mapped, or decompressed into memory. */
#include "split_data.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decompress.h"

/* Reads the whole compressed file open on fd into d. */
static int
open_compressed(int fd, const char *path, struct split_data *d,
                char err[MR_ERR_LEN])
{
    int rc = decompress_read(fd, path, d->kind, &d->heap, &d->len, err);

    if (rc == 0)
        d->bytes = d->heap;
    return rc;
}

/* Maps [offset, offset + length) of the file open on fd into d. */
static int
open_mapped(int fd, const char *path, uint64_t offset, uint64_t length,
            struct split_data *d, char err[MR_ERR_LEN])
{
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    uint64_t delta = offset % page;
    void *m;

    if (length == 0)
        return 0;
    m = mmap(NULL, (size_t)(length + delta), PROT_READ, MAP_PRIVATE, fd,
             (off_t)(offset - delta));
    if (m == MAP_FAILED) {
        int rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot map input %s: %s", path,
                 strerror(errno));
        return rc;
    }
    posix_madvise(m, (size_t)(length + delta), POSIX_MADV_SEQUENTIAL);
    d->map = m;
    d->maplen = (size_t)(length + delta);
    d->bytes = (const char *)m + delta;
    d->len = (size_t)length;
    return 0;
}

int
split_data_open(const struct map_input *in, struct split_data *d,
                char err[MR_ERR_LEN])
{
    const char *path = in->path ? in->path : in->name;
    uint64_t offset = in->whole ? 0 : in->offset, length = in->length;
    unsigned char head[4];
    struct stat st;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

    memset(d, 0, sizeof(*d));
    d->bytes = "";
    if (fd < 0) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot open input %s: %s", path,
                 strerror(errno));
        return rc;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, MR_ERR_LEN, "input %s is not a readable regular file",
                 path);
        close(fd);
        return -EINVAL;
    }
    if (in->whole)
        length = (uint64_t)st.st_size;
    if (offset > (uint64_t)st.st_size ||
        length > (uint64_t)st.st_size - offset) {   /* no wrap */
        snprintf(err, MR_ERR_LEN, "input %s is shorter than when the job "
                 "started", path);
        close(fd);
        return -EINVAL;
    }
    /* Only a split from the file's start can be a compressed file: the
     * coordinator never cuts one. (A copy fetched for a worker that cannot
     * open the input starts at 0 whatever its split: fetched_from says
     * where it was.) */
    if (offset == 0 && in->fetched_from == 0 &&
        (n = pread(fd, head, sizeof(head), 0)) > 0)
        d->kind = compressed_kind(head, (size_t)n);
    if (d->kind != COMPRESSED_NONE)
        rc = open_compressed(fd, path, d, err);
    else
        rc = open_mapped(fd, path, offset, length, d, err);
    close(fd);
    if (rc < 0)
        split_data_close(d);
    return rc;
}

void
split_data_close(struct split_data *d)
{
    if (d->map != NULL)
        munmap(d->map, d->maplen);
    free(d->heap);
    d->map = NULL;
    d->heap = NULL;
    d->bytes = "";
    d->len = 0;
}
