/* A job's directory, owned by the job while it runs: the directory that
 * receives its outputs. The job holds the directory's lock (.mr-lock,
 * which names it) from jobdir_open() to its end, and every file its
 * processes write besides the outputs lives in its private directory,
 * .mr-<id>/. At its end the job either commits (its staged outputs become
 * mr-out-0 .. mr-out-<R-1>, every other mr-out-N goes, the success
 * marker is written last, and a failure note an earlier job left goes) or
 * removes its private directory, having left its failure note, mr-failed,
 * if it failed on its own (jobdir_fail: not when interrupted); nothing
 * else in the directory is ever touched. This module owns mr-failed's
 * life: it writes it whole (through a temporary file in the private
 * directory, renamed into place) and a commit removes it, so that the
 * directory never says both that its outputs are a job's and that the
 * job after failed, unless that job did.
 *
 * A lock whose holder died (a SIGKILLed coordinator) is taken over by the
 * next job: the dead job's private directory is removed, or, if it died
 * while committing, its commit is finished first, so that the directory
 * never keeps a half-replaced set of outputs.
 *
 * Ownership: this module removes files other processes wrote (workers'
 * files in the private directory, an earlier job's outputs at commit, a
 * dead job's files at takeover): it is the job's one explicit clean-up
 * step, and touches no name outside the lock, .mr-<id> directories,
 * mr-out-<N> and mr-success.
 *
 * The commit, as it happens on disk (every step is redone safely by a
 * takeover):
 *   0. every name it will replace is checked to be replaceable (not a
 *      directory, not another user's in a sticky directory);
 *   1. staged outputs are renamed to mr-commit-<r> in the private directory;
 *   2. the commit record, private/mr-commit ("mr-commit R" and the marker's
 *      text), is written and made durable: from here the commit happens;
 *   3. the old success marker goes; each mr-commit-<r> becomes mr-out-<r>;
 *      every mr-out-<N> with N >= R goes;
 *   4. the marker is written (atomically), an earlier job's failure note
 *      removed, then the record. */
#ifndef COORD_JOBDIR_H
#define COORD_JOBDIR_H

#include <stddef.h>
#include <stdint.h>

#include "mr_err.h"

typedef struct jobdir jobdir;

/* What claim() decides about a dead job's private directory. */
enum jobdir_claim { JOBDIR_SWEEP, JOBDIR_ADOPT };

/* Who takes the lock; named to any job refused the directory. */
struct jobdir_owner {
    const char *job_id;         /* MR_JOB_ID_LEN hex digits */
    const char *app;            /* app name, or "" when not yet known */
    /* Each dead job's private directory (priv, absolute; job_id, its id)
     * that holds no commit record is offered to claim before anything is
     * removed: JOBDIR_ADOPT makes it this job's (the job takes its id and
     * keeps its files; at most one is adopted), JOBDIR_SWEEP lets it be
     * removed, and a negative error, err filled, refuses the directory
     * with nothing touched. NULL: every dead job's files go. */
    int (*claim)(const char *priv, const char *job_id, void *arg,
                 char err[MR_ERR_LEN]);
    void *claim_arg;
};

/* Opens dir, which must exist, for the job: takes the lock, deals with
 * what a dead job left (see above, and claim), writes the lock's text and
 * creates the private directory (or adopts a dead job's). Returns 0 with
 * *out set (free with jobdir_close() or jobdir_abandon()); MR_EINUSE when
 * a live job holds the lock, with err naming it (id, app, pid, host,
 * start); claim's refusal; or -errno with err saying what could not be
 * done where. */
int jobdir_open(const char *dir, const struct jobdir_owner *owner,
                jobdir **out, char err[MR_ERR_LEN]);

/* The directory and the private directory, as absolute paths (borrowed). */
const char *jobdir_path(const jobdir *jd);
const char *jobdir_private(const jobdir *jd);
/* The job's id: the owner's, or the adopted dead job's (borrowed). */
const char *jobdir_job_id(const jobdir *jd);

/* Commits: staged[r] (file names in the private directory) becomes
 * mr-out-r for r < nreduce, every other mr-out-N in the directory goes, and
 * the success marker is written last holding summary[0..len). Returns 0,
 * or an error with err filled: before step 2 nothing outside the private
 * directory has changed; after it, jobdir_close() leaves the record for the
 * next job to finish. */
int jobdir_commit(jobdir *jd, uint32_t nreduce, const char *const *staged,
                  const char *summary, size_t len, char err[MR_ERR_LEN]);

/* A failed job's note: doc[0..len) (its summary, with why) becomes
 * DIR/mr-failed, whole, replacing an earlier one; nothing else changes, an
 * earlier job's outputs and success marker stay. Call before
 * jobdir_close(). Returns 0, or -errno with err filled: no new mr-failed
 * then (or, when only the directory's sync failed, one not yet durable),
 * and no temporary file. */
int jobdir_fail(jobdir *jd, const char *doc, size_t len,
                char err[MR_ERR_LEN]);

/* The job's end: removes the private directory with everything in it
 * (unless a commit failed past its point of no return), then removes and
 * releases the lock. Files that stale workers still write under the private
 * directory's name fail to appear. NULL is a no-op. */
void jobdir_close(jobdir *jd);

/* Releases the lock and frees, removing nothing: what a crash leaves, for
 * the next job in the directory to take over. NULL is a no-op. */
void jobdir_abandon(jobdir *jd);

#endif
