/* mrrun --slurm: what a Slurm step says about this task (SLURM_*), and the
 * rendezvous of the step's ranks through the job's directory, which every
 * node sees (the submit directory, or --output DIR):
 *
 *   DIR/.mr-slurm-<SLURM_JOB_ID>.token   the job's secret, mode 0600
 *   DIR/.mr-slurm-<SLURM_JOB_ID>.addr    "addr tcp:HOST:PORT\nhost HOST\n
 *                                         pid PID\n", mode 0600
 *
 * Rank 0 (SLURM_PROCID 0) writes both, each whole or not at all (a
 * temporary name, fsync, rename), the token first. When it exits it
 * removes the token and leaves "over STATUS\n" as the .addr file, so that
 * a rank that starts late learns the job is over rather than waiting; the
 * next allocation's rank 0 removes those of earlier allocations. It owns
 * them all: the other ranks only read them. The allocation's id in the
 * names means a rank never takes the coordinator of an earlier allocation
 * for its own. */
#ifndef LAUNCHER_SLURM_H
#define LAUNCHER_SLURM_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "mr_err.h"
#include "token.h"

/* This task of the step, from its environment. */
struct slurm_task {
    char job_id[32];            /* SLURM_JOB_ID */
    unsigned long rank;         /* SLURM_PROCID */
    unsigned long ntasks;       /* SLURM_NTASKS (1 when unset) */
    unsigned long cpus;         /* SLURM_CPUS_PER_TASK, else the CPUs this
                                   process may run on */
    char host[256];             /* gethostname() */
};

/* Reads the step's variables. Returns 0, or -EINVAL with err saying that
 * mrrun --slurm runs inside srun (no SLURM_JOB_ID or SLURM_PROCID). */
int slurm_task_read(struct slurm_task *t, char err[MR_ERR_LEN]);

/* The rendezvous files of allocation job_id in dir. */
struct slurm_files {
    char token[PATH_MAX];
    char addr[PATH_MAX];
};
void slurm_files_name(struct slurm_files *f, const char *dir,
                      const char *job_id);

/* Rank 0: draws a fresh secret into *tok and writes it to f->token.
 * Returns 0 or -errno, err filled. */
int slurm_token_make(const struct slurm_files *f, struct token *tok,
                     char err[MR_ERR_LEN]);

/* Rank 0: says where the coordinator listens and who runs it. Returns 0
 * or -errno, err filled. */
int slurm_publish(const struct slurm_files *f, const char *addr,
                  const char *host, pid_t pid, char err[MR_ERR_LEN]);

/* Rank 0, as it exits with status: removes the token, says the job is
 * over. */
void slurm_unpublish(const struct slurm_files *f, int status);

/* Rank 0, as it starts: removes the files of earlier allocations' ended
 * steps in dir (those that say "over"; never job_id's). */
void slurm_sweep(const char *dir, const char *job_id);

/* The coordinator as rank 0 published it. */
struct slurm_coordinator {
    char addr[512];             /* tcp:HOST:PORT */
    char host[256];
    pid_t pid;
    int over;                   /* -1: running; else rank 0's exit status */
};

/* Reads f->addr into *co (co->over >= 0: the step's rank 0 has exited).
 * Returns 0, -ENOENT when it is not there (yet), or -EINVAL with err
 * filled when it is malformed. */
int slurm_lookup(const struct slurm_files *f, struct slurm_coordinator *co,
                 char err[MR_ERR_LEN]);

/* Waits up to timeout_ms for rank 0 to publish (reading the file every
 * 100 ms: the directory may be on NFS, where no change is notified).
 * Returns 0, or -ETIMEDOUT / -EINVAL with err saying which file. */
int slurm_wait_coordinator(const struct slurm_files *f, uint64_t timeout_ms,
                           struct slurm_coordinator *co,
                           char err[MR_ERR_LEN]);

/* mrrun --slurm-stop: SIGUSR1 to the coordinator that f names, which must
 * run on this host (rank 0 runs on the allocation's first node, as the
 * batch script does), saying so in one line. Returns the exit status. */
int slurm_stop(const struct slurm_task *t, const struct slurm_files *f);

#endif
