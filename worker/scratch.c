/* A worker's local directory for one job. See scratch.h. */
#define _GNU_SOURCE
#include "scratch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "names.h"
#include "remove_tree.h"

#define LOCK_NAME ".lock"
/* Map outputs, spills and such lie flat in the directory. */
#define SCRATCH_DEPTH 2

void
scratch_default_root(char *buf, size_t len)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(buf, len, "%s", tmp && tmp[0] ? tmp : "/tmp");
}

/* Makes dir if need be. Returns 0 with *shared set when it is a directory
 * anyone may write in but only the owners of its files may remove them
 * (sticky, like /tmp), 1 when it is this user's and only it can write
 * there, or -errno with err filled. */
static int
check_dir(const char *dir, bool *shared, char err[MR_ERR_LEN])
{
    struct stat st;

    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        snprintf(err, MR_ERR_LEN, "cannot make the scratch directory %s: "
                 "%s; give another with --scratch", dir, strerror(errno));
        return -errno;
    }
    if (lstat(dir, &st) < 0) {
        snprintf(err, MR_ERR_LEN, "cannot use the scratch directory %s: %s",
                 dir, strerror(errno));
        return -errno;
    }
    *shared = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) != 0;
    if (*shared)
        return 0;
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 022) != 0) {
        snprintf(err, MR_ERR_LEN, "the scratch directory %s is neither this "
                 "user's alone nor a sticky one like /tmp: others could "
                 "plant files there; give another with --scratch", dir);
        return -EACCES;
    }
    return 1;
}

/* The root under dir: its mr-scratch-UID, this user's alone (dir may be
 * this user's or a sticky one like /tmp). */
static int
check_root(const char *dir, char *root, size_t len, char err[MR_ERR_LEN])
{
    bool shared;
    int rc = check_dir(dir, &shared, err);

    if (rc < 0)
        return rc;
    snprintf(root, len, "%s/mr-scratch-%u", dir, (unsigned)geteuid());
    rc = check_dir(root, &shared, err);
    if (rc == 0) {              /* a sticky one inside */
        snprintf(err, MR_ERR_LEN, "the scratch directory %s is not this "
                 "user's alone; give another with --scratch", root);
        return -EACCES;
    }
    return rc < 0 ? rc : 0;
}

/* Whether name is a worker's directory: mr-<12 hex digits>.<pid>. */
static bool
is_worker_dir_name(const char *name)
{
    size_t n = strspn(name + 3, "0123456789abcdef");

    return strncmp(name, "mr-", 3) == 0 && n == MR_JOB_ID_LEN &&
           name[3 + n] == '.' && name[4 + n] != '\0' &&
           strspn(name + 4 + n, "0123456789") == strlen(name + 4 + n);
}

/* Whether name (in rootfd) is a worker directory whose worker is gone:
 * its lock can be taken. */
static bool
is_abandoned(int rootfd, const char *name)
{
    char lock[NAME_MAX + 16];
    bool gone;
    int fd;

    if (!is_worker_dir_name(name))
        return false;
    snprintf(lock, sizeof(lock), "%s/" LOCK_NAME, name);
    fd = openat(rootfd, lock, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)     /* died before it locked (workers make and lock theirs
                       under the root's lock, which the sweep holds too) */
        return errno == ENOENT;
    gone = flock(fd, LOCK_EX | LOCK_NB) == 0;
    close(fd);
    return gone;
}

/* Removes the directories of dead workers under root. */
static void
sweep_dead(const char *root, const char *mine)
{
    int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct dirent *e;
    DIR *d;

    if (rootfd < 0)
        return;
    if ((d = fdopendir(rootfd)) == NULL) {
        close(rootfd);
        return;
    }
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, mine) != 0 && is_abandoned(rootfd, e->d_name))
            if (remove_tree_at(rootfd, e->d_name, SCRATCH_DEPTH) == 0)
                mr_info("removed %s/%s, left by a worker that died", root,
                        e->d_name);
    closedir(d);
}

/* Takes the root's lock (ROOT/.lock, exclusive). Returns its descriptor,
 * or -errno with err filled. */
static int
lock_root(const char *root, char err[MR_ERR_LEN])
{
    char path[PATH_MAX + 16];
    int fd, rc;

    snprintf(path, sizeof(path), "%s/" LOCK_NAME, root);
    fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || flock(fd, LOCK_EX) < 0) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot lock %s: %s", path,
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        return rc;
    }
    return fd;
}

int
scratch_open(struct scratch *s, const char *dir, const char *job_id,
             char err[MR_ERR_LEN])
{
    char root[PATH_MAX], name[NAME_MAX], lock[PATH_MAX + 16];
    int rc, rootlock;

    s->lock_fd = -1;
    s->dir[0] = '\0';
    if ((rc = check_root(dir, root, sizeof(root), err)) < 0)
        return rc;
    snprintf(name, sizeof(name), "mr-%s.%d", job_id, (int)getpid());
    /* Under the root's lock: a directory made but not yet locked is not
     * taken for a dead worker's by another worker sweeping. */
    if ((rootlock = lock_root(root, err)) < 0)
        return rootlock;
    sweep_dead(root, name);
    if ((size_t)snprintf(s->dir, sizeof(s->dir), "%s/%s", root, name) >=
        sizeof(s->dir) - 64) {
        snprintf(err, MR_ERR_LEN, "the scratch directory %s has too long a "
                 "name", root);
        s->dir[0] = '\0';
        close(rootlock);
        return -ENAMETOOLONG;
    }
    if (mkdir(s->dir, 0700) < 0 && errno != EEXIST) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot make %s: %s", s->dir,
                 strerror(errno));
        s->dir[0] = '\0';
        close(rootlock);
        return rc;
    }
    snprintf(lock, sizeof(lock), "%s/" LOCK_NAME, s->dir);
    s->lock_fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (s->lock_fd < 0 || flock(s->lock_fd, LOCK_EX) < 0) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot lock %s: %s", lock,
                 strerror(errno));
        close(rootlock);
        scratch_close(s);
        return rc;
    }
    close(rootlock);
    return 0;
}

void
scratch_close(struct scratch *s)
{
    /* An absolute name: the parent descriptor is not used. */
    if (s->dir[0] != '\0')
        remove_tree_at(AT_FDCWD, s->dir, SCRATCH_DEPTH);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    s->lock_fd = -1;
    s->dir[0] = '\0';
}
