/* mrrun --slurm: what a Slurm step says about this task (SLURM_*), and the
 * rendezvous of the step's ranks through the job's directory, which every
 * node sees (the submit directory, or --output DIR). Named by the job's
 * id, its restart count (a requeued job keeps its id) and the step's id,
 * so that a rank never takes another run's files for its own:
 *
 *   DIR/.mr-slurm-JOB-RESTART[.STEP].token  the job's secret, mode 0600
 *   DIR/.mr-slurm-JOB-RESTART[.STEP].addr   "addr tcp:HOST:PORT\nhost
 *                                           HOST\npid PID\n", mode 0600
 *   DIR/.mr-slurm-JOB-RESTART.stop          a stop asked for (--slurm-stop)
 *
 * Rank 0 (SLURM_PROCID 0) writes the token and then the .addr file, each
 * whole or not at all (a temporary name, fsync, rename), once it has
 * taken the job's directory: a step refused it touches none of these.
 * When it exits it removes the token and leaves "over STATUS\n" as the
 * .addr file, so that a rank that starts late learns the job is over
 * rather than waiting; a later run's rank 0 removes those of earlier
 * runs. It owns them all: the other ranks only read them. */
#ifndef LAUNCHER_SLURM_H
#define LAUNCHER_SLURM_H

#include <limits.h>
#include <stdbool.h>
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
    unsigned long restart;      /* SLURM_RESTART_COUNT (0 when unset) */
    char step[32];              /* SLURM_STEP_ID, or "" (the batch
                                   script's --slurm-stop knows none) */
    char host[256];             /* gethostname() */
};

/* Reads the step's variables. Returns 0, or -EINVAL with err saying that
 * mrrun --slurm runs inside srun (no SLURM_JOB_ID or SLURM_PROCID). */
int slurm_task_read(struct slurm_task *t, char err[MR_ERR_LEN]);

/* The rendezvous files of task t's run in dir. */
struct slurm_files {
    char dir[PATH_MAX];
    char run[64];               /* ".mr-slurm-JOB-RESTART": the run's */
    char token[PATH_MAX];
    char addr[PATH_MAX];
    char stop[PATH_MAX];
};
void slurm_files_name(struct slurm_files *f, const char *dir,
                      const struct slurm_task *t);

/* Rank 0: draws a fresh secret into *tok (written by slurm_publish).
 * Returns 0 or -errno, err filled. */
int slurm_token_draw(struct token *tok, char err[MR_ERR_LEN]);

/* Rank 0, once it has taken the job's directory: removes what a step of
 * this name left, writes tok to f->token, then says where the coordinator
 * listens and who runs it. Returns 0 or -errno, err filled. */
int slurm_publish(const struct slurm_files *f, const struct token *tok,
                  const char *addr, const char *host, pid_t pid,
                  char err[MR_ERR_LEN]);

/* Rank 0, as it exits with status, when it published: removes the token
 * and a stop request, says the job is over. */
void slurm_unpublish(const struct slurm_files *f, int status);

/* Rank 0, once it watches SIGUSR1: whether a stop was asked for before
 * (--slurm-stop left f->stop); removes the request. */
bool slurm_stop_requested(const struct slurm_files *f);

/* Rank 0, as it starts: removes the files of earlier runs in f->dir: any
 * of this job's earlier restarts; of other jobs, those that say "over"
 * and those whose rank 0, on this host, is gone. Never this run's. */
void slurm_sweep(const struct slurm_files *f, const struct slurm_task *t);

/* The coordinator as rank 0 published it. */
struct slurm_coordinator {
    char addr[512];             /* tcp:HOST:PORT */
    char host[256];
    pid_t pid;
    int over;                   /* -1: running; else rank 0's exit status */
};

/* Reads the .addr file at path into *co (co->over >= 0: the step's rank
 * 0 has exited). Returns 0, -ENOENT when it is not there (yet), or
 * -EINVAL with err filled when it is malformed. */
int slurm_lookup(const char *path, struct slurm_coordinator *co,
                 char err[MR_ERR_LEN]);

/* Waits for rank 0 to publish (reading the file every 100 ms: the
 * directory may be on NFS, where no change is notified), saying every
 * minute on stderr what it waits for; the step's time limit bounds it.
 * SIGINT and SIGTERM, held by the caller, end the wait. Returns 0, -EINVAL
 * with err saying which file is malformed, or -(128+N) with err filled
 * when signal N ended it. */
int slurm_wait_coordinator(const struct slurm_task *t,
                           const struct slurm_files *f,
                           struct slurm_coordinator *co,
                           char err[MR_ERR_LEN]);

/* mrrun --slurm-stop (slurm_stop.c): leaves f->stop, which rank 0 reads
 * as it starts, and sends SIGUSR1 to each running rank 0 of this run
 * whose .addr names this host, once its process is seen to be an mrrun
 * of this job and restart (never a pid that was reused). One line says
 * what it did. Returns the exit status. */
int slurm_stop(const struct slurm_task *t, const struct slurm_files *f);

#endif
