/* Planning map tasks over the input files. See splits.h. */
#define _GNU_SOURCE
#include "splits.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WINDOW 65536

static bool
is_ascii_space(unsigned char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' ||
           c == '\v';
}

/* The offset just past the first whitespace byte at or after from, or size
 * when there is none. Returns -errno on a read error. */
static int64_t
cut_after(int fd, uint64_t from, uint64_t size)
{
    unsigned char buf[WINDOW];

    while (from < size) {
        ssize_t n = pread(fd, buf, sizeof(buf), (off_t)from);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : (int64_t)size;
        for (ssize_t i = 0; i < n; i++)
            if (is_ascii_space(buf[i]))
                return (int64_t)(from + (uint64_t)i + 1);
        from += (uint64_t)n;
    }
    return (int64_t)size;
}

static int
push(struct split **v, uint32_t *n, uint32_t *cap, const char *file,
     uint64_t offset, uint64_t length)
{
    if (*n == *cap) {
        uint32_t c = *cap ? *cap * 2 : 64;
        struct split *w = realloc(*v, c * sizeof(*w));
        if (w == NULL)
            return -ENOMEM;
        *v = w;
        *cap = c;
    }
    (*v)[(*n)++] = (struct split){file, offset, length};
    return 0;
}

/* Opens and checks one input. Returns an fd or an error with err filled. */
static int
open_input(const char *file, struct stat *st, char err[MR_ERR_LEN])
{
    int fd;

    if (stat(file, st) < 0) {
        snprintf(err, MR_ERR_LEN, "input file %s: %s", file,
                 strerror(errno));
        return -errno;
    }
    if (!S_ISREG(st->st_mode)) {
        snprintf(err, MR_ERR_LEN, "input %s is not a regular file%s", file,
                 S_ISDIR(st->st_mode) ? " (a directory)" : "");
        return -EINVAL;
    }
    fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, MR_ERR_LEN, "input file %s cannot be read: %s", file,
                 strerror(errno));
        return -errno;
    }
    return fd;
}

int
splits_plan(const char *const *files, uint32_t nfiles, uint64_t split_size,
            struct split **splits, uint32_t *nsplits, uint64_t *total_bytes,
            char err[MR_ERR_LEN])
{
    struct split *v = NULL;
    uint32_t n = 0, cap = 0;
    int rc = 0;

    if (split_size == 0)
        split_size = SPLIT_DEFAULT_SIZE;
    *total_bytes = 0;
    for (uint32_t i = 0; i < nfiles && rc == 0; i++) {
        struct stat st;
        uint64_t size, at = 0;
        int fd = open_input(files[i], &st, err);

        if (fd < 0) {
            rc = fd;
            break;
        }
        size = (uint64_t)st.st_size;
        *total_bytes += size;
        do {
            int64_t end = size;
            if (size - at > split_size)
                end = cut_after(fd, at + split_size - 1, size);
            if (end < 0) {
                snprintf(err, MR_ERR_LEN, "cannot read input %s: %s",
                         files[i], strerror((int)-end));
                rc = (int)end;
            } else if ((rc = push(&v, &n, &cap, files[i], at,
                                  (uint64_t)end - at)) < 0) {
                snprintf(err, MR_ERR_LEN, "out of memory");
            }
            at = end < 0 ? size : (uint64_t)end;
        } while (rc == 0 && at < size);
        close(fd);
    }
    if (rc < 0) {
        free(v);
        return rc;
    }
    *splits = v;
    *nsplits = n;
    return 0;
}
