/* Inside the job directory module (jobdir.h): the struct and the helpers
 * its files share (jobdir.c: opening, takeover, closing; jobdir_lock.c: the
 * lock; jobdir_commit.c: the commit). Nothing outside them includes this. */
#ifndef COORD_JOBDIR_INT_H
#define COORD_JOBDIR_INT_H

#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "jobdir.h"

/* In the private directory, during a commit. */
#define RECORD_NAME     "mr-commit"
#define RECORD_TMP      "mr-commit.tmp"
#define RECORD_HEADER   "mr-commit %u\n"
#define STAGE_FMT       "mr-commit-%u"
#define MARKER_TMP      "mr-success.tmp"
#define FAILED_TMP      "mr-failed.tmp"
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
    char job_id[32];            /* the owner's, or the adopted job's */
    bool adopted;               /* the private directory is a dead job's */
    bool committing;            /* the commit record is written */
    bool committed;             /* the marker is written */
};

/* jobdir.c */
/* Renames the private directory name out of the way, then removes it.
 * Returns 0 or -errno. */
int jobdir__sweep(int dirfd, const char *name);
/* A stream of the directory's entries (closedir() it), or NULL with errno
 * set. */
DIR *jobdir__open_entries(int dirfd);

/* jobdir_commit.c */
/* Writes a whole file durably (a then b). Returns 0 or -errno. */
int jobdir__write_file_at(int dfd, const char *name, const char *a,
                          size_t alen, const char *b, size_t blen);
/* Reads a whole (small) file into a malloc()ed, NUL-terminated buffer, or
 * NULL. */
char *jobdir__read_file_at(int dfd, const char *name, size_t *len);
/* Steps 3 and 4 of a commit (jobdir.h), from the record in the private
 * directory privname. Safe to run again after a crash at any point.
 * Returns 0 or an error with err filled. */
int jobdir__finish_commit(int dirfd, const char *privname,
                          char err[MR_ERR_LEN]);

/* jobdir_lock.c */
/* Takes the lock (jd->dirfd open, jd->path set). Returns 0; MR_EINUSE with
 * err naming the live holder; or -errno with err filled. */
int jobdir__take_lock(jobdir *jd, char err[MR_ERR_LEN]);
/* Writes who holds the lock, best effort. */
void jobdir__write_lock_text(jobdir *jd, const struct jobdir_owner *owner);

#endif
