/* Reading the job's app module for GetApp. See app_file.h. */
#define _GNU_SOURCE
#include "app_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_digest.h"

/* How an ELF file starts. */
static const uint8_t elf_magic[4] = {0x7f, 'E', 'L', 'F'};

/* Reads exactly len bytes of fd into buf. Returns 0, or -errno (-EIO:
 * the file is shorter than it was). */
static int
read_all(int fd, uint8_t *buf, size_t len)
{
    size_t done = 0;
    ssize_t n;

    while (done < len) {
        n = read(fd, buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO;
        done += (size_t)n;
    }
    return 0;
}

/* The file name of path without a ".so" suffix, into f->label. */
static void
set_label(struct app_file *f)
{
    const char *base = strrchr(f->path, '/');
    size_t n;

    base = base ? base + 1 : f->path;
    n = strlen(base);
    if (n > 3 && strcmp(base + n - 3, ".so") == 0)
        n -= 3;
    snprintf(f->label, sizeof(f->label), "%.*s", (int)n, base);
}

/* Checks what fstat says of the module. Returns 0, or an error with err
 * filled. */
static int
check_stat(const struct app_file *f, const struct stat *st,
           char err[MR_ERR_LEN])
{
    if (!S_ISREG(st->st_mode)) {
        snprintf(err, MR_ERR_LEN, "--app %s is not a regular file: give "
                 "the path to an app module (.so)", f->path);
        return MR_EBADAPP;
    }
    if (st->st_size == 0 || (uint64_t)st->st_size > MR_APP_MAX_SIZE) {
        snprintf(err, MR_ERR_LEN, "--app %s is %s: an app module is 1 byte "
                 "to %u MiB", f->path, st->st_size ? "too large" : "empty",
                 MR_APP_MAX_SIZE >> 20);
        return MR_EBADAPP;
    }
    return 0;
}

int
app_file_read(const char *path, struct app_file *f, char err[MR_ERR_LEN])
{
    struct stat st;
    int fd, rc;

    memset(f, 0, sizeof(*f));
    snprintf(f->path, sizeof(f->path), "%s", path);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "--app %s: %s (give the path to an app "
                 "module, such as build/apps/wc.so)", path, strerror(errno));
        goto out_close;
    }
    if ((rc = check_stat(f, &st, err)) < 0)
        goto out_close;
    f->size = (size_t)st.st_size;
    if ((f->data = malloc(f->size)) == NULL) {
        rc = -ENOMEM;
        snprintf(err, MR_ERR_LEN, "--app %s: out of memory for its %zu "
                 "bytes", path, f->size);
        goto out_close;
    }
    if ((rc = read_all(fd, f->data, f->size)) < 0) {
        snprintf(err, MR_ERR_LEN, "--app %s cannot be read: %s", path,
                 rc == -EIO ? "it shrank while being read" : strerror(-rc));
        goto out_close;
    }
    if (f->size < sizeof(elf_magic) ||
        memcmp(f->data, elf_magic, sizeof(elf_magic)) != 0) {
        snprintf(err, MR_ERR_LEN, "--app %s is not an app module (not an "
                 "ELF file): give a .so built against include/mrapp.h",
                 path);
        rc = MR_EBADAPP;
        goto out_close;
    }
    file_digest_bytes(f->data, f->size, f->digest);
    set_label(f);
    rc = 0;
out_close:
    if (fd >= 0)
        close(fd);
    return rc;
}

void
app_file_free(struct app_file *f)
{
    free(f->data);
    f->data = NULL;
    f->size = 0;
}
