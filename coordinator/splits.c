/* Planning map tasks over the input files, cut at line ends. See splits.h. */
#define _GNU_SOURCE
#include "splits.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compressed.h"

#define WINDOW 65536            /* bytes read at a time looking for '\n' */

/* The growing result of a plan. */
struct plan {
    struct split *v;
    uint32_t n, cap;
    char *cwd;                  /* getcwd(), once a relative name needs it */
};

/* The offset just past the first '\n' at or after from, or size when there
 * is none. Returns -errno on a read error. */
static int64_t
line_end_after(int fd, uint64_t from, uint64_t size)
{
    char buf[WINDOW];

    while (from < size) {
        ssize_t n = pread(fd, buf, sizeof(buf), (off_t)from);
        const char *nl;

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)             /* 0: the file shrank; its end is here */
            return n < 0 ? -errno : (int64_t)size;
        if ((nl = memchr(buf, '\n', (size_t)n)) != NULL)
            return (int64_t)(from + (uint64_t)(nl - buf) + 1);
        from += (uint64_t)n;
    }
    return (int64_t)size;
}

/* Appends a split, copying path (NULL for a whole split). Returns 0 or
 * -ENOMEM, having then added nothing. */
static int
push(struct plan *p, const char *file, const char *path, uint64_t offset,
     uint64_t length, uint64_t file_size)
{
    char *copy = NULL;

    if (p->n == p->cap) {
        uint32_t c = p->cap ? p->cap * 2 : 64;
        struct split *w = realloc(p->v, c * sizeof(*w));
        if (w == NULL)
            return -ENOMEM;
        p->v = w;
        p->cap = c;
    }
    if (path != NULL && (copy = strdup(path)) == NULL)
        return -ENOMEM;
    p->v[p->n++] = (struct split){.file = file, .path = copy,
                                  .offset = offset, .length = length,
                                  .file_size = file_size,
                                  .whole = path == NULL};
    return 0;
}

/* Sets *abs to the absolute path of a visible input, to free: file itself
 * when it is absolute, else the current directory, "/" and file, without
 * resolving symlinks. Returns 0 or a negative errno with err filled. */
static int
absolute_path(struct plan *p, const char *file, char **abs,
              char err[MR_ERR_LEN])
{
    size_t len;

    if (file[0] == '/') {
        if ((*abs = strdup(file)) != NULL)
            return 0;
        snprintf(err, MR_ERR_LEN, "out of memory");
        return -ENOMEM;
    }
    if (p->cwd == NULL && (p->cwd = getcwd(NULL, 0)) == NULL) {
        int rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot find the current directory, "
                 "needed to give workers the full path of input %s: %s",
                 file, strerror(-rc));
        return rc;
    }
    len = strlen(p->cwd);
    if (len > 0 && p->cwd[len - 1] == '/')      /* the root: no "//" */
        len--;
    if (asprintf(abs, "%.*s/%s", (int)len, p->cwd, file) < 0) {
        snprintf(err, MR_ERR_LEN, "out of memory");
        return -ENOMEM;
    }
    return 0;
}

/* Checks one input and opens it. Returns 0 with *fd open and *size set;
 * 0 with *fd -1 when the coordinator cannot see the file (ENOENT,
 * ENOTDIR); or a negative errno with err filled. */
static int
open_input(const char *file, uint64_t *size, int *fd, char err[MR_ERR_LEN])
{
    struct stat st;

    *fd = -1;
    if (file[0] == '\0') {
        snprintf(err, MR_ERR_LEN, "an input file name is empty");
        return -EINVAL;
    }
    if (stat(file, &st) < 0) {
        int rc = -errno;
        if (rc == -ENOENT || rc == -ENOTDIR)
            return 0;
        snprintf(err, MR_ERR_LEN, "input file %s: %s", file, strerror(-rc));
        return rc;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, MR_ERR_LEN, "input %s is not a regular file%s", file,
                 S_ISDIR(st.st_mode) ? " (a directory)" : "");
        return -EINVAL;
    }
    if ((*fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
        int rc = -errno;
        snprintf(err, MR_ERR_LEN, "input file %s cannot be read: %s", file,
                 strerror(-rc));
        return rc;
    }
    *size = (uint64_t)st.st_size;
    return 0;
}

/* Cuts the open input file (size bytes, absolute path abs) into splits at
 * line ends. Returns 0 or an error with err filled. */
static int
cut_file(struct plan *p, const char *file, const char *abs, int fd,
         uint64_t size, uint64_t split_size, char err[MR_ERR_LEN])
{
    uint64_t at = 0;

    do {
        int64_t end = (int64_t)size;
        int rc;

        if (size - at > split_size)
            end = line_end_after(fd, at + split_size - 1, size);
        if (end < 0) {
            snprintf(err, MR_ERR_LEN, "cannot read input %s: %s", file,
                     strerror((int)-end));
            return (int)end;
        }
        if ((rc = push(p, file, abs, at, (uint64_t)end - at, size)) < 0) {
            snprintf(err, MR_ERR_LEN, "out of memory");
            return rc;
        }
        at = (uint64_t)end;
    } while (at < size);
    return 0;
}

/* Plans one input: one whole split when the coordinator cannot see it,
 * else its pieces. Adds its size to *total_bytes. */
static int
plan_file(struct plan *p, const char *file, uint64_t split_size,
          uint64_t *total_bytes, char err[MR_ERR_LEN])
{
    uint64_t size = 0;
    char *abs = NULL;
    int fd, rc = open_input(file, &size, &fd, err);

    if (rc < 0)
        return rc;
    if (fd < 0) {
        if ((rc = push(p, file, NULL, 0, 0, 0)) < 0)
            snprintf(err, MR_ERR_LEN, "out of memory");
        return rc;
    }
    if ((rc = absolute_path(p, file, &abs, err)) == 0) {
        unsigned char head[4];
        ssize_t n = pread(fd, head, sizeof(head), 0);
        *total_bytes += size;
        /* A compressed file cannot be cut: one task decompresses it all. */
        if (n > 0 && compressed_kind(head, (size_t)n) != COMPRESSED_NONE)
            split_size = size > 0 ? size : 1;
        rc = cut_file(p, file, abs, fd, size, split_size, err);
        free(abs);
    }
    close(fd);
    return rc;
}

int
splits_plan(const char *const *files, uint32_t nfiles, uint64_t split_size,
            struct split **splits, uint32_t *nsplits, uint64_t *total_bytes,
            char err[MR_ERR_LEN])
{
    struct plan p = {0};
    uint64_t total = 0;
    int rc = 0;

    if (split_size == 0)
        split_size = SPLIT_DEFAULT_SIZE;
    for (uint32_t i = 0; i < nfiles && rc == 0; i++)
        rc = plan_file(&p, files[i], split_size, &total, err);
    free(p.cwd);
    if (rc < 0) {
        splits_free(p.v, p.n);
        return rc;
    }
    *splits = p.v;
    *nsplits = p.n;
    *total_bytes = total;
    return 0;
}

uint32_t
splits_count_whole(const struct split *s, uint32_t n, const char **first)
{
    uint32_t count = 0;

    if (first != NULL)
        *first = NULL;
    for (uint32_t i = 0; i < n; i++) {
        if (!s[i].whole)
            continue;
        if (count++ == 0 && first != NULL)
            *first = s[i].file;
    }
    return count;
}

void
splits_free(struct split *s, uint32_t n)
{
    if (s == NULL)
        return;
    for (uint32_t i = 0; i < n; i++)
        free(s[i].path);
    free(s);
}
