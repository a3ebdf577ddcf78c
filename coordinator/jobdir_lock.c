/* The job directory's lock: .mr-lock, flock()ed by the live job and
 * naming it, so that a job refused the directory is told who holds it. */
#define _GNU_SOURCE
#include "jobdir_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "names.h"

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
int
jobdir__take_lock(jobdir *jd, char err[MR_ERR_LEN])
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
void
jobdir__write_lock_text(jobdir *jd, const struct jobdir_owner *owner)
{
    char text[LOCK_TEXT_MAX], host[64] = "?", when[40];
    time_t now = time(NULL);
    struct tm tm;
    int n;

    gethostname(host, sizeof(host) - 1);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    n = snprintf(text, sizeof(text), "job %s\napp %s\npid %d\nhost %s\n"
                 "started %s\n", jd->job_id,
                 owner->app[0] ? owner->app : "?", (int)getpid(), host,
                 when);
    if (ftruncate(jd->lockfd, 0) < 0 ||
        pwrite(jd->lockfd, text, (size_t)n, 0) != n)
        mr_debug("%s/" MR_LOCK_NAME ": cannot write who holds it: %s",
                 jd->path, strerror(errno));
}
