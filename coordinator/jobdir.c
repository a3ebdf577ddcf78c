/* The job directory: its lock, the job's private directory, the commit of
 * outputs and the takeover of what a dead job left. See jobdir.h. */
#define _GNU_SOURCE
#include "jobdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "names.h"
#include "remove_tree.h"

/* In the private directory, during a commit. */
#define RECORD_NAME     "mr-commit"
#define RECORD_TMP      "mr-commit.tmp"
#define RECORD_HEADER   "mr-commit %u\n"
#define STAGE_FMT       "mr-commit-%u"
#define MARKER_TMP      "mr-success.tmp"
/* A private directory being removed is first renamed with this suffix, so
 * that stale writers can no longer create files in it. */
#define GONE_SUFFIX     "-gone"

#define LOCK_TEXT_MAX   1024
#define LOCK_TRIES      8
#define MAX_RECORD      (64u << 20)
#define MAX_NREDUCE     1000000ul
#define TREE_DEPTH      4

struct jobdir {
    int dirfd;                  /* the directory */
    int lockfd;                 /* MR_LOCK_NAME, flock()ed */
    char path[PATH_MAX];        /* absolute */
    char priv[PATH_MAX];        /* the private directory, absolute */
    char privname[32];          /* its name in the directory */
    bool committing;            /* the commit record is written */
    bool committed;             /* the marker is written */
};

/* ---------------------------------------------------------------- files */

/* Renames the private directory name out of the way, then removes it. */
static int
sweep(int dirfd, const char *name)
{
    char gone[64];
    size_t n = strlen(name);

    if (n > strlen(GONE_SUFFIX) &&
        !strcmp(name + n - strlen(GONE_SUFFIX), GONE_SUFFIX))
        return remove_tree_at(dirfd, name, TREE_DEPTH);
    snprintf(gone, sizeof(gone), "%s" GONE_SUFFIX, name);
    if (renameat(dirfd, name, dirfd, gone) < 0)
        return errno == ENOENT ? 0 : -errno;
    return remove_tree_at(dirfd, gone, TREE_DEPTH);
}

/* Writes a whole file durably. Returns 0 or -errno. */
static int
write_file_at(int dfd, const char *name, const char *a, size_t alen,
              const char *b, size_t blen)
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
static char *
read_file_at(int dfd, const char *name, size_t *len)
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

/* A stream of the directory's entries (closedir() it), or NULL with
 * errno set. */
static DIR *
open_entries(int dirfd)
{
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d;

    if (fd < 0)
        return NULL;
    if ((d = fdopendir(fd)) == NULL) {
        int saved = errno;
        close(fd);
        errno = saved;
    }
    return d;
}

/* Removes every mr-out-N with N >= nreduce: an earlier job's. */
static int
remove_outputs_from(int dirfd, uint32_t nreduce)
{
    struct dirent *e;
    DIR *d = open_entries(dirfd);
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
    if ((d = open_entries(dirfd)) == NULL)
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
static int
finish_commit(int dirfd, const char *privname, char err[MR_ERR_LEN])
{
    int pfd = openat(dirfd, privname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char name[64], out[64], *record = NULL, *summary = NULL, *end;
    unsigned long nreduce = 0;
    size_t len = 0;
    int rc = 0;

    if (pfd >= 0 && (record = read_file_at(pfd, RECORD_NAME, &len)) != NULL &&
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
        rc = write_file_at(pfd, MARKER_TMP, summary,
                           len - (size_t)(summary - record), NULL, 0);
    if (rc == 0 && renameat(pfd, MARKER_TMP, dirfd, MR_MARKER_NAME) < 0)
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

/* ---------------------------------------------------------------- lock */

/* The value of key in the lock's text ("key value" lines), or "?". */
static void
lock_field(const char *text, const char *key, char *buf, size_t len)
{
    size_t klen = strlen(key);

    snprintf(buf, len, "?");
    for (const char *p = text; p != NULL && *p != '\0';) {
        const char *end = strchr(p, '\n');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > klen && !strncmp(p, key, klen) && p[klen] == ' ') {
            snprintf(buf, len, "%.*s", (int)(n - klen - 1), p + klen + 1);
            return;
        }
        p = end ? end + 1 : NULL;
    }
}

static void
read_lock_text(int fd, char *text, size_t len)
{
    ssize_t n = pread(fd, text, len - 1, 0);

    text[n > 0 ? n : 0] = '\0';
}

/* The refusal: who holds the directory. */
static void
describe_holder(const jobdir *jd, int fd, char err[MR_ERR_LEN])
{
    char text[LOCK_TEXT_MAX], id[32], app[64], pid[16], host[64], when[40];

    read_lock_text(fd, text, sizeof(text));
    lock_field(text, "job", id, sizeof(id));
    if (!strcmp(id, "?")) {
        snprintf(err, MR_ERR_LEN, "%s is in use by another job (it holds "
                 "%s/" MR_LOCK_NAME "); wait for it to end, or run this job "
                 "in another directory", jd->path, jd->path);
        return;
    }
    lock_field(text, "app", app, sizeof(app));
    lock_field(text, "pid", pid, sizeof(pid));
    lock_field(text, "host", host, sizeof(host));
    lock_field(text, "started", when, sizeof(when));
    snprintf(err, MR_ERR_LEN, "%s is in use by job %s (app %s, coordinator "
             "pid %s on %s, started %s); wait for it to end, or run this "
             "job in another directory", jd->path, id, app, pid, host, when);
}

/* True while fd is still the file the lock's name refers to. */
static bool
lock_is_current(int dirfd, int fd)
{
    struct stat a, b;

    return fstat(fd, &a) == 0 &&
           fstatat(dirfd, MR_LOCK_NAME, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
           a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Takes the lock. A holder that ends between our open and our flock
 * removes the name: then the name's new file is taken instead. */
static int
take_lock(jobdir *jd, char err[MR_ERR_LEN])
{
    for (int i = 0; i < LOCK_TRIES; i++) {
        int fd = openat(jd->dirfd, MR_LOCK_NAME,
                        O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        int rc;

        if (fd < 0) {
            rc = -errno;
            snprintf(err, MR_ERR_LEN, "cannot use %s as the job directory: "
                     "%s", jd->path, strerror(errno));
            return rc;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
            rc = errno == EWOULDBLOCK ? MR_EINUSE : -errno;
            if (rc == MR_EINUSE)
                describe_holder(jd, fd, err);
            else
                snprintf(err, MR_ERR_LEN, "cannot lock %s/" MR_LOCK_NAME
                         ": %s", jd->path, strerror(errno));
            close(fd);
            return rc;
        }
        if (lock_is_current(jd->dirfd, fd)) {
            jd->lockfd = fd;
            return 0;
        }
        close(fd);
    }
    snprintf(err, MR_ERR_LEN, "cannot lock %s/" MR_LOCK_NAME ": it keeps "
             "being replaced", jd->path);
    return -EAGAIN;
}

/* Best effort: a lock without its text still locks (a full disk may not
 * hold it); refusals then name no job. */
static void
write_lock_text(jobdir *jd, const struct jobdir_owner *owner)
{
    char text[LOCK_TEXT_MAX], host[64] = "?", when[40];
    time_t now = time(NULL);
    struct tm tm;
    int n;

    gethostname(host, sizeof(host) - 1);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    n = snprintf(text, sizeof(text), "job %s\napp %s\npid %d\nhost %s\n"
                 "started %s\n", owner->job_id,
                 owner->app[0] ? owner->app : "?", (int)getpid(), host,
                 when);
    if (ftruncate(jd->lockfd, 0) < 0 ||
        pwrite(jd->lockfd, text, (size_t)n, 0) != n)
        mr_debug("%s/" MR_LOCK_NAME ": cannot write who holds it: %s",
                 jd->path, strerror(errno));
}

/* ---------------------------------------------------------------- takeover */

/* True for ".mr-<12 hex digits>", with or without GONE_SUFFIX. */
static bool
is_private_name(const char *name)
{
    size_t pre = strlen(MR_PRIVATE_PREFIX);

    if (strncmp(name, MR_PRIVATE_PREFIX, pre) != 0)
        return false;
    for (size_t i = 0; i < MR_JOB_ID_LEN; i++) {
        char c = name[pre + i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    name += pre + MR_JOB_ID_LEN;
    return *name == '\0' || !strcmp(name, GONE_SUFFIX);
}

/* The name of a private directory found in the job directory. */
struct private_name {
    char s[32];
};

/* The names of the dead jobs' private directories (free() it), *n of
 * them, or NULL with errno set. */
static struct private_name *
dead_jobs(int dirfd, size_t *n)
{
    struct private_name *names = NULL, *more;
    size_t cap = 0;
    struct dirent *e;
    DIR *d = open_entries(dirfd);

    *n = 0;
    if (d == NULL)
        return NULL;
    while ((e = readdir(d)) != NULL) {
        if (!is_private_name(e->d_name))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            if ((more = realloc(names, cap * sizeof(*names))) == NULL) {
                free(names);
                closedir(d);
                errno = ENOMEM;
                return NULL;
            }
            names = more;
        }
        snprintf(names[(*n)++].s, sizeof(names[0].s), "%s", e->d_name);
    }
    closedir(d);
    if (names == NULL)
        names = malloc(sizeof(*names));     /* none: not an error */
    return names;
}

/* With the lock held, no live job owns a private directory here: finish
 * the commit a dead job was in, and remove every dead job's files. A
 * commit that cannot be finished stops this job (it would be undone by
 * the dead one later); files that cannot be removed (an NFS client's
 * .nfs* file of a stale worker) are left for the next takeover. */
static int
take_over(jobdir *jd, char err[MR_ERR_LEN])
{
    size_t n;
    struct private_name *names = dead_jobs(jd->dirfd, &n);
    int rc = 0;

    if (names == NULL) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot read %s: %s", jd->path,
                 strerror(-rc));
        return rc;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *name = names[i].s;
        const char *id = name + strlen(MR_PRIVATE_PREFIX);
        char record[64];
        int swept;

        snprintf(record, sizeof(record), "%s/" RECORD_NAME, name);
        if (faccessat(jd->dirfd, record, F_OK, 0) == 0) {
            if ((rc = finish_commit(jd->dirfd, name, err)) < 0)
                break;
            mr_warn("%s: finished the commit of job %.*s, which died while "
                    "committing", jd->path, MR_JOB_ID_LEN, id);
        }
        if ((swept = sweep(jd->dirfd, name)) < 0)
            mr_warn("%s: cannot remove all of %s, left by job %.*s, which "
                    "is no longer running: %s", jd->path, name,
                    MR_JOB_ID_LEN, id, strerror(-swept));
        else
            mr_warn("%s: removed the files of job %.*s, which is no longer "
                    "running", jd->path, MR_JOB_ID_LEN, id);
    }
    free(names);
    return rc;
}

/* ---------------------------------------------------------------- api */

static int
absolute(const char *dir, char *buf, size_t len, char err[MR_ERR_LEN])
{
    char cwd[PATH_MAX];
    int n;

    if (dir[0] == '/') {
        n = snprintf(buf, len, "%s", dir);
    } else if (getcwd(cwd, sizeof(cwd)) == NULL) {
        snprintf(err, MR_ERR_LEN, "cannot tell the current directory: %s",
                 strerror(errno));
        return -errno;
    } else if (!strcmp(dir, ".") || !strcmp(dir, "./")) {
        n = snprintf(buf, len, "%s", cwd);
    } else {
        n = snprintf(buf, len, "%s/%s", cwd, dir);
    }
    /* Room for a private directory and a file name in it. */
    if ((size_t)n + 128 >= len) {
        snprintf(err, MR_ERR_LEN, "the path of the job directory is too "
                 "long: %.80s...", dir);
        return -ENAMETOOLONG;
    }
    while (n > 1 && buf[n - 1] == '/')
        buf[--n] = '\0';
    return 0;
}

int
jobdir_open(const char *dir, const struct jobdir_owner *owner, jobdir **out,
            char err[MR_ERR_LEN])
{
    jobdir *jd = calloc(1, sizeof(*jd));
    int rc;

    *out = NULL;
    if (jd == NULL) {
        snprintf(err, MR_ERR_LEN, "out of memory");
        return -ENOMEM;
    }
    jd->lockfd = -1;
    if ((rc = absolute(dir, jd->path, sizeof(jd->path), err)) < 0)
        goto out_free;
    jd->dirfd = open(jd->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (jd->dirfd < 0) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot use %s as the job directory: %s",
                 jd->path, strerror(errno));
        goto out_free;
    }
    if ((rc = take_lock(jd, err)) < 0)
        goto out_close;
    write_lock_text(jd, owner);
    if ((rc = take_over(jd, err)) < 0)
        goto out_unlock;
    snprintf(jd->privname, sizeof(jd->privname), MR_PRIVATE_PREFIX "%s",
             owner->job_id);
    mr_private_path(jd->priv, sizeof(jd->priv), jd->path, owner->job_id);
    if (mkdirat(jd->dirfd, jd->privname, 0777) < 0) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot create %s: %s", jd->priv,
                 strerror(errno));
        goto out_unlock;
    }
    *out = jd;
    return 0;
out_unlock:
    unlinkat(jd->dirfd, MR_LOCK_NAME, 0);
    close(jd->lockfd);
out_close:
    close(jd->dirfd);
out_free:
    free(jd);
    return rc;
}

const char *
jobdir_path(const jobdir *jd)
{
    return jd->path;
}

const char *
jobdir_private(const jobdir *jd)
{
    return jd->priv;
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
    if ((rc = write_file_at(pfd, RECORD_TMP, header, (size_t)n, summary,
                            len)) < 0 ||
        (renameat(pfd, RECORD_TMP, pfd, RECORD_NAME) < 0 && (rc = -errno)) ||
        (fsync(pfd) < 0 && (rc = -errno))) {
        snprintf(err, MR_ERR_LEN, "cannot write the commit record in %s: %s",
                 jd->priv, strerror(-rc));
        unlinkat(pfd, RECORD_TMP, 0);
        goto out;
    }
    jd->committing = true;
    if ((rc = finish_commit(jd->dirfd, jd->privname, err)) == 0)
        jd->committed = true;
out:
    close(pfd);
    return rc;
}

void
jobdir_abandon(jobdir *jd)
{
    if (jd == NULL)
        return;
    close(jd->lockfd);
    close(jd->dirfd);
    free(jd);
}

void
jobdir_close(jobdir *jd)
{
    int rc;

    if (jd == NULL)
        return;
    if (jd->committing && !jd->committed) {
        mr_warn("the commit in %s did not finish; its record stays in %s "
                "for the next job there to finish", jd->path, jd->priv);
        jobdir_abandon(jd);
        return;
    }
    if ((rc = sweep(jd->dirfd, jd->privname)) < 0)
        mr_warn("cannot remove %s: %s", jd->priv, strerror(-rc));
    unlinkat(jd->dirfd, MR_LOCK_NAME, 0);
    jobdir_abandon(jd);
}
