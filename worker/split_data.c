/* A map task's split, read through a read-only mapping, never copied. */
#include "split_data.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int
split_data_open(const struct map_input *in, const char **data, size_t *len,
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

