/* The job directory: opening it (with the takeover of what a dead job
 * left) and closing it. See jobdir.h; the lock is in jobdir_lock.c, the
 * commit in jobdir_commit.c. */
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
#include "remove_tree.h"

/* ---------------------------------------------------------------- files */

/* Renames the private directory name out of the way, then removes it. */
int
jobdir__sweep(int dirfd, const char *name)
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

/* A stream of the directory's entries (closedir() it), or NULL with
 * errno set. */
DIR *
jobdir__open_entries(int dirfd)
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
    DIR *d = jobdir__open_entries(dirfd);

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

/* A dead job's private directory name: offered to claim, and adopted,
 * or its files removed. */
static int
offer(jobdir *jd, const struct jobdir_owner *owner, const char *name,
      bool *adopted, char err[MR_ERR_LEN])
{
    char record[64], priv[PATH_MAX];
    const char *id = name + strlen(MR_PRIVATE_PREFIX);
    int rc;

    snprintf(record, sizeof(record), "%s/" RECORD_NAME, name);
    if (owner->claim == NULL || *adopted || strlen(name) !=
            strlen(MR_PRIVATE_PREFIX) + MR_JOB_ID_LEN ||
        faccessat(jd->dirfd, record, F_OK, 0) == 0)
        return JOBDIR_SWEEP;
    snprintf(priv, sizeof(priv), "%s/%s", jd->path, name);
    rc = owner->claim(priv, id, owner->claim_arg, err);
    if (rc == JOBDIR_ADOPT) {
        *adopted = jd->adopted = true;
        snprintf(jd->privname, sizeof(jd->privname), "%s", name);
        snprintf(jd->priv, sizeof(jd->priv), "%s", priv);
        snprintf(jd->job_id, sizeof(jd->job_id), "%s", id);
    }
    return rc;
}

/* Finishes the commit a dead job was in, then removes its files. */
static int
clear_dead(jobdir *jd, const char *name, char err[MR_ERR_LEN])
{
    const char *id = name + strlen(MR_PRIVATE_PREFIX);
    char record[64];
    int rc, swept;

    snprintf(record, sizeof(record), "%s/" RECORD_NAME, name);
    if (faccessat(jd->dirfd, record, F_OK, 0) == 0) {
        if ((rc = jobdir__finish_commit(jd->dirfd, name, err)) < 0)
            return rc;
        mr_warn("%s: finished the commit of job %.*s, which died while "
                "committing", jd->path, MR_JOB_ID_LEN, id);
    }
    if ((swept = jobdir__sweep(jd->dirfd, name)) < 0)
        mr_warn("%s: cannot remove all of %s, left by job %.*s, which is no "
                "longer running: %s", jd->path, name, MR_JOB_ID_LEN, id,
                strerror(-swept));
    else
        mr_warn("%s: removed the files of job %.*s, which is no longer "
                "running", jd->path, MR_JOB_ID_LEN, id);
    return 0;
}

/* With the lock held, no live job owns a private directory here. First
 * every dead job's directory is offered to the owner (who may adopt one,
 * or refuse the directory: then nothing is touched); then the commit a
 * dead job was in is finished, and every other dead job's files go. A
 * commit that cannot be finished stops this job (it would be undone by
 * the dead one later); files that cannot be removed (an NFS client's
 * .nfs* file of a stale worker) are left for the next takeover. */
static int
take_over(jobdir *jd, const struct jobdir_owner *owner, char err[MR_ERR_LEN])
{
    size_t n;
    struct private_name *names = dead_jobs(jd->dirfd, &n);
    bool *keep, adopted = false;
    int rc = 0;

    if (names == NULL || (keep = calloc(n ? n : 1, sizeof(*keep))) == NULL) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot read %s: %s", jd->path,
                 strerror(-rc));
        free(names);
        return rc;
    }
    for (size_t i = 0; i < n && rc >= 0; i++)
        if ((rc = offer(jd, owner, names[i].s, &adopted, err)) == JOBDIR_ADOPT)
            keep[i] = true;
    for (size_t i = 0; i < n && rc >= 0; i++)
        if (!keep[i])
            rc = clear_dead(jd, names[i].s, err);
    free(keep);
    free(names);
    return rc < 0 ? rc : 0;
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
    if ((rc = jobdir__take_lock(jd, err)) < 0)
        goto out_close;
    if ((rc = take_over(jd, owner, err)) < 0)
        goto out_unlock;
    if (!jd->adopted) {
        snprintf(jd->job_id, sizeof(jd->job_id), "%s", owner->job_id);
        snprintf(jd->privname, sizeof(jd->privname), MR_PRIVATE_PREFIX "%s",
                 owner->job_id);
        mr_private_path(jd->priv, sizeof(jd->priv), jd->path,
                        owner->job_id);
    }
    jobdir__write_lock_text(jd, owner);
    if (!jd->adopted && mkdirat(jd->dirfd, jd->privname, 0777) < 0) {
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

const char *
jobdir_job_id(const jobdir *jd)
{
    return jd->job_id;
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
    if ((rc = jobdir__sweep(jd->dirfd, jd->privname)) < 0)
        mr_warn("cannot remove %s: %s", jd->priv, strerror(-rc));
    unlinkat(jd->dirfd, MR_LOCK_NAME, 0);
    jobdir_abandon(jd);
}

