/* A worker's own directory on its local disk, for a job whose directory
 * it cannot write (no shared file system) or when told to keep its files
 * local (mrworker --scratch): the map outputs it serves to reduces, its
 * spills, the input splits it fetched, the outputs it has yet to ship.
 *
 *   DIR/                   --scratch, or $TMPDIR, or /tmp
 *     mr-scratch-UID/      ROOT: this user's alone, mode 0700
 *       .lock              flock taken to make, lock or sweep below
 *       mr-<job>.<pid>/    one per worker and job, mode 0700
 *         .lock            flock held while the worker lives
 *
 * DIR must be this user's alone, or shared but sticky (like /tmp). Opening
 * removes the directories of workers that died (their lock is free): they
 * would otherwise be left behind by a SIGKILL.
 *
 * Ownership: this module creates ROOT and ROOT/.lock, and creates and
 * removes ROOT/mr-<job>.<pid> directories and everything in them; nothing
 * else in ROOT or DIR. */
#ifndef WORKER_SCRATCH_H
#define WORKER_SCRATCH_H

#include <limits.h>
#include <stddef.h>

#include "mr_err.h"

struct scratch {
    char dir[PATH_MAX];         /* ROOT/mr-<job>.<pid>, absolute */
    int lock_fd;                /* -1 when closed */
};

/* The default DIR, in buf: $TMPDIR, else /tmp. */
void scratch_default_root(char *buf, size_t len);

/* Creates this worker's directory for job job_id under DIR (made if
 * missing), after removing dead workers' ones. Returns 0, or -errno with
 * err saying what to do. */
int scratch_open(struct scratch *s, const char *dir, const char *job_id,
                 char err[MR_ERR_LEN]);

/* Removes the directory and everything in it. Safe on a closed one. */
void scratch_close(struct scratch *s);

#endif
