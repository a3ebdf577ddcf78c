/* The commit of a job's outputs: staged outputs become mr-out-*, the
 * success marker last, through a durable record that a takeover finishes
 * after a crash (jobdir.h draws the steps); and the note a failed job
 * leaves instead, which a later commit removes. */
#define _GNU_SOURCE
#include "jobdir_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "names.h"

/* Writes a whole file durably. Returns 0 or -errno. */
int
jobdir__write_file_at(int dfd, const char *name, const char *a,
                      size_t alen, const char *b, size_t blen)
{
    int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                    0644);
    const char *parts[2] = {a, b};
    size_t lens[2] = {alen, blen};
    int rc = 0;

    if (fd < 0)
        return -errno;
    for (int i = 0; i < 2 && rc == 0; i++)
        while (lens[i] > 0) {
            ssize_t n = write(fd, parts[i], lens[i]);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                rc = -errno;
                break;
            }
            parts[i] += n;
            lens[i] -= (size_t)n;
        }
    if (rc == 0 && fsync(fd) < 0)
        rc = -errno;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc != 0)
        unlinkat(dfd, name, 0);
    return rc;
}

/* Reads a whole (small) file into a malloc()ed, NUL-terminated buffer. */
char *
jobdir__read_file_at(int dfd, const char *name, size_t *len)
{
    int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    char *buf = NULL;
    size_t got = 0;

    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size > MAX_RECORD ||
        (buf = malloc((size_t)st.st_size + 1)) == NULL)
        goto out;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got < (size_t)st.st_size) {     /* a short file is no record */
        free(buf);
        buf = NULL;
        goto out;
    }
    buf[got] = '\0';
    *len = got;
out:
    close(fd);
    return buf;
}

/* N when name is "mr-out-N" with N a decimal number without a leading
 * zero that fits 32 bits, else -1. */
static int64_t
output_number(const char *name)
{
    const char *p = name + strlen("mr-out-");
    int64_t n = 0;

    if (strncmp(name, "mr-out-", strlen("mr-out-")) != 0 || *p == '\0' ||
        (p[0] == '0' && p[1] != '\0'))
        return -1;
    for (; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || (n = n * 10 + (*p - '0')) > UINT32_MAX)
            return -1;
    }
    return n;
}

/* Removes every mr-out-N with N >= nreduce: an earlier job's. */
static int
remove_outputs_from(int dirfd, uint32_t nreduce)
{
    struct dirent *e;
    DIR *d = jobdir__open_entries(dirfd);
    int rc = 0;

    if (d == NULL)
        return -errno;
    /* A directory so named is nobody's output: it stays. */
    while ((e = readdir(d)) != NULL)
        if (output_number(e->d_name) >= (int64_t)nreduce &&
            unlinkat(dirfd, e->d_name, 0) < 0 && errno != ENOENT &&
            errno != EISDIR)
            rc = -errno;
    closedir(d);
    return rc;
}

/* Whether the commit may replace or remove name in the directory: a
 * directory it may not, nor, in a sticky directory (/tmp), a file of
 * another user. Fills err when not. */
static bool
can_replace(int dirfd, const struct stat *dir, const char *path,
            const char *name, char err[MR_ERR_LEN])
{
    uid_t me = geteuid();
    struct stat st;

    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return true;            /* nothing to replace */
    if (S_ISDIR(st.st_mode)) {
        snprintf(err, MR_ERR_LEN, "cannot commit the outputs: %s/%s is a "
                 "directory; move it away", path, name);
        return false;
    }
    if ((dir->st_mode & S_ISVTX) && me != 0 && st.st_uid != me &&
        dir->st_uid != me) {
        snprintf(err, MR_ERR_LEN, "cannot commit the outputs: %s/%s belongs "
                 "to another user in a sticky directory", path, name);
        return false;
    }
    return true;
}

/* Before the commit's point of no return: every name it will replace can
 * be replaced (mr-out-N above nreduce are then removed, or left when they
 * are directories). Returns 0 or -EPERM with err filled. */
static int
check_replaceable(int dirfd, const char *path, uint32_t nreduce,
                  char err[MR_ERR_LEN])
{
    struct stat dir;
    struct dirent *e;
    char name[64];
    DIR *d;
    int rc = 0;

    if (fstat(dirfd, &dir) < 0)
        return -errno;
    if (!can_replace(dirfd, &dir, path, MR_MARKER_NAME, err))
        return -EPERM;
    for (uint32_t r = 0; r < nreduce; r++) {
        mr_out_name(name, sizeof(name), r);
        if (!can_replace(dirfd, &dir, path, name, err))
            return -EPERM;
    }
    if ((d = jobdir__open_entries(dirfd)) == NULL)
        return -errno;
    while (rc == 0 && (e = readdir(d)) != NULL)
        if (output_number(e->d_name) >= (int64_t)nreduce &&
            e->d_type != DT_DIR &&
            !can_replace(dirfd, &dir, path, e->d_name, err))
            rc = -EPERM;
    closedir(d);
    return rc;
}

/* Steps 3 and 4 of a commit (jobdir.h), from the record in the private
 * directory privname. Safe to run again after a crash at any point. */
int
jobdir__finish_commit(int dirfd, const char *privname,
                      char err[MR_ERR_LEN])
{
    int pfd = openat(dirfd, privname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char name[64], out[64], *record = NULL, *summary = NULL, *end;
    unsigned long nreduce = 0;
    size_t len = 0;
    int rc = 0;

    if (pfd >= 0 &&
        (record = jobdir__read_file_at(pfd, RECORD_NAME, &len)) != NULL &&
        !strncmp(record, "mr-commit ", 10) && record[10] >= '1' &&
        record[10] <= '9') {
        nreduce = strtoul(record + 10, &end, 10);
        summary = *end == '\n' ? end : NULL;
    }
    if (summary == NULL || nreduce > MAX_NREDUCE) {
        snprintf(err, MR_ERR_LEN, "cannot read the commit record %s/%s of a "
                 "job that died while committing; remove %s to give that "
                 "commit up", privname, RECORD_NAME, privname);
        rc = -EIO;
        goto out;
    }
    summary++;
    if (unlinkat(dirfd, MR_MARKER_NAME, 0) < 0 && errno != ENOENT)
        rc = -errno;
    for (uint32_t r = 0; rc == 0 && r < nreduce; r++) {
        snprintf(name, sizeof(name), STAGE_FMT, r);
        mr_out_name(out, sizeof(out), r);
        if (renameat(pfd, name, dirfd, out) < 0 && errno != ENOENT)
            rc = -errno;        /* ENOENT: moved before a crash */
    }
    if (rc == 0)
        rc = remove_outputs_from(dirfd, (uint32_t)nreduce);
    if (rc == 0 && fsync(dirfd) < 0)
        rc = -errno;
    if (rc == 0)
        rc = jobdir__write_file_at(pfd, MARKER_TMP, summary,
                           len - (size_t)(summary - record), NULL, 0);
    if (rc == 0 && renameat(pfd, MARKER_TMP, dirfd, MR_MARKER_NAME) < 0)
        rc = -errno;
    /* The outputs are a job's now: an earlier job's failure note goes (a
     * directory so named is nobody's note: it stays). */
    if (rc == 0 && unlinkat(dirfd, MR_FAILED_NAME, 0) < 0 &&
        errno != ENOENT && errno != EISDIR)
        rc = -errno;
    if (rc == 0 && fsync(dirfd) < 0)
        rc = -errno;
    if (rc == 0)
        unlinkat(pfd, RECORD_NAME, 0);
    if (rc != 0)
        snprintf(err, MR_ERR_LEN, "the commit of the outputs stopped "
                 "halfway (%s); its record stays in %s for the next job in "
                 "this directory to finish", strerror(-rc), privname);
out:
    free(record);
    if (pfd >= 0)
        close(pfd);
    return rc;
}

int
jobdir_commit(jobdir *jd, uint32_t nreduce, const char *const *staged,
              const char *summary, size_t len, char err[MR_ERR_LEN])
{
    int pfd = openat(jd->dirfd, jd->privname,
                     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char name[64], header[64];
    int rc = 0, n;

    if (pfd < 0) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot open %s: %s", jd->priv,
                 strerror(errno));
        return rc;
    }
    if ((rc = check_replaceable(jd->dirfd, jd->path, nreduce, err)) < 0)
        goto out;
    for (uint32_t r = 0; r < nreduce; r++) {
        snprintf(name, sizeof(name), STAGE_FMT, r);
        if (renameat(pfd, staged[r], pfd, name) < 0) {
            rc = -errno;
            snprintf(err, MR_ERR_LEN, "the output of reduce task %u (%s/%s) "
                     "cannot be committed: %s", r, jd->priv, staged[r],
                     strerror(errno));
            goto out;
        }
    }
    n = snprintf(header, sizeof(header), RECORD_HEADER, nreduce);
    if ((rc = jobdir__write_file_at(pfd, RECORD_TMP, header, (size_t)n,
                                    summary, len)) < 0 ||
        (renameat(pfd, RECORD_TMP, pfd, RECORD_NAME) < 0 && (rc = -errno)) ||
        (fsync(pfd) < 0 && (rc = -errno))) {
        snprintf(err, MR_ERR_LEN, "cannot write the commit record in %s: %s",
                 jd->priv, strerror(-rc));
        unlinkat(pfd, RECORD_TMP, 0);
        goto out;
    }
    jd->committing = true;
    if ((rc = jobdir__finish_commit(jd->dirfd, jd->privname, err)) == 0)
        jd->committed = true;
out:
    close(pfd);
    return rc;
}

int
jobdir_fail(jobdir *jd, const char *doc, size_t len, char err[MR_ERR_LEN])
{
    int pfd = openat(jd->dirfd, jd->privname,
                     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc;

    if (pfd < 0) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot open %s: %s", jd->priv,
                 strerror(errno));
        return rc;
    }
    if ((rc = jobdir__write_file_at(pfd, FAILED_TMP, doc, len, NULL,
                                    0)) == 0 &&
        renameat(pfd, FAILED_TMP, jd->dirfd, MR_FAILED_NAME) < 0)
        rc = -errno;
    if (rc == 0 && fsync(jd->dirfd) < 0)
        rc = -errno;
    if (rc < 0) {
        snprintf(err, MR_ERR_LEN, "cannot write %s/" MR_FAILED_NAME ": %s",
                 jd->path, strerror(-rc));
        unlinkat(pfd, FAILED_TMP, 0);
    }
    close(pfd);
    return rc;
}
