/* Temp-file-and-rename writer. See atomic_file.h. */
#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUF_SIZE (256 * 1024)

static unsigned tmp_counter;

/* Splits path into its directory (with a trailing slash, or "") for the
 * temporary name. */
static void
dir_of(const char *path, char *dir, size_t len)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) + 1 : 0;

    if (n >= len)
        n = len - 1;
    memcpy(dir, path, n);
    dir[n] = '\0';
}

/* Says which file could not be created or written in which directory
 * (the temporary name would mean nothing to a user), naming the current
 * directory in full: a worker's is not where its user's shell is. */
static void
path_error(const char *verb, const char *final_path, int rc,
           char err[MR_ERR_LEN])
{
    char cwd[4096], dir[4096];
    const char *where;
    size_t n;

    dir_of(final_path, dir, sizeof(dir));
    n = strlen(dir);
    if (n > 1 && dir[n - 1] == '/')
        dir[n - 1] = '\0';
    where = dir;
    if (dir[0] == '\0')
        where = getcwd(cwd, sizeof(cwd)) ? cwd : "the current directory";
    snprintf(err, MR_ERR_LEN, "cannot %s %s in %s: %s", verb,
             final_path + n, where, strerror(-rc));
}

int
atomic_file_open(struct atomic_file *af, const char *final_path,
                 bool durable, char err[MR_ERR_LEN])
{
    char dir[4096];

    memset(af, 0, sizeof(*af));
    af->fd = -1;
    if (strlen(final_path) >= sizeof(af->final_path) - 64) {
        snprintf(err, MR_ERR_LEN, "path too long: %.80s...", final_path);
        return -ENAMETOOLONG;
    }
    strcpy(af->final_path, final_path);
    dir_of(final_path, dir, sizeof(dir));
    snprintf(af->tmp_path, sizeof(af->tmp_path), "%s" ATOMIC_TMP_PREFIX
             "%d-%u", dir, (int)getpid(), tmp_counter++);
    af->fd = open(af->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                  0644);
    if (af->fd < 0) {
        int rc = -errno;
        path_error("create", final_path, rc, err);
        return rc;
    }
    af->buf = malloc(BUF_SIZE);
    if (af->buf == NULL) {
        atomic_file_abort(af);
        snprintf(err, MR_ERR_LEN, "out of memory");
        return -ENOMEM;
    }
    af->cap = BUF_SIZE;
    af->durable = durable;
    return 0;
}

static void
flush(struct atomic_file *af)
{
    size_t off = 0;

    while (off < af->len && af->error == 0) {
        ssize_t n = write(af->fd, af->buf + off, af->len - off);
        if (n < 0) {
            if (errno != EINTR)
                af->error = -errno;
            continue;
        }
        off += (size_t)n;
    }
    af->len = 0;
}

void
atomic_file_write(struct atomic_file *af, const void *p, size_t len)
{
    const unsigned char *src = p;

    while (len > 0 && af->error == 0) {
        size_t room = af->cap - af->len, n = len < room ? len : room;
        memcpy(af->buf + af->len, src, n);
        af->len += n;
        af->written += n;
        src += n;
        len -= n;
        if (af->len == af->cap)
            flush(af);
    }
}

int
atomic_file_sync_dir(const char *path)
{
    char dir[4096];
    int fd, rc = 0;

    dir_of(path, dir, sizeof(dir));
    fd = open(dir[0] ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fsync(fd) < 0)
        rc = -errno;
    close(fd);
    return rc;
}

int
atomic_file_commit(struct atomic_file *af, char err[MR_ERR_LEN])
{
    int rc;

    flush(af);
    rc = af->error;
    if (rc == 0 && af->durable && fsync(af->fd) < 0)
        rc = -errno;
    if (close(af->fd) < 0 && rc == 0)
        rc = -errno;
    af->fd = -1;
    if (rc == 0 && rename(af->tmp_path, af->final_path) < 0)
        rc = -errno;
    if (rc != 0) {
        path_error("write", af->final_path, rc, err);
        atomic_file_abort(af);
        return rc;
    }
    af->tmp_path[0] = '\0';
    free(af->buf);
    af->buf = NULL;
    if (af->durable)
        (void)atomic_file_sync_dir(af->final_path);
    return 0;
}

void
atomic_file_abort(struct atomic_file *af)
{
    if (af->fd >= 0)
        close(af->fd);
    af->fd = -1;
    if (af->tmp_path[0] != '\0')
        unlink(af->tmp_path);
    af->tmp_path[0] = '\0';
    free(af->buf);
    af->buf = NULL;
}
