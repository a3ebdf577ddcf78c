/* A worker rank of mrrun --slurm: its workers and their end. See
 * slurm_rank.h. */
#define _GNU_SOURCE
#include "slurm_rank.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exit_codes.h"
#include "loop.h"
#include "workers.h"

/* Words before the app's: --addr A --token-file F --scratch D. */
#define RANK_ARGS 6

/* How often a worker rank reads rank 0's .addr file for "over". */
#define RANK_WATCH_MS 500

/* How long a rank whose workers all failed waits for rank 0's final word
 * before it takes theirs: rank 0 removes the token (a worker started
 * late fails on it) and its coordinator ends before "over" is written. */
#define RANK_FINAL_WORD_MS 10000

/* How long a rank given SIGTERM (Slurm sends it to every process of the
 * step: scancel, the time limit) waits for rank 0's status, which stops
 * the job on it, resumable (75): as long as the default --stop-grace.
 * Slurm's KillWait ends the wait sooner with SIGKILL. */
#define RANK_TERM_WAIT_MS 60000

struct rank {
    const struct slurm_task *t;
    const struct slurm_files *f;
    struct workers w;
    int interrupted;            /* the signal that stopped us, or 0 */
    int over;                   /* rank 0's exit status, once seen; -1 */
    int over_signal;            /* what the next watch tick sends */
    rpc_timer *watch;
    rpc_timer *give_up;         /* ends the wait for rank 0's final word */
};

static void
on_child(rpc_loop *loop, int signo, void *arg)
{
    struct rank *r = arg;

    (void)signo;
    if (!workers_reap(&r->w))
        fprintf(stderr, "mrrun: rank %lu on %s: %s\n", r->t->rank,
                r->t->host, r->w.why_failed);
    /* A worker that exited by itself with a status was told the job's
     * end, or lost the coordinator: the others hear the same, and one
     * killed from now on is not replaced. */
    if (r->w.exit_status != 0)
        r->w.keep_alive = false;
    if (r->w.alive == 0)
        rpc_loop_stop(loop);
}

static void
on_interrupt(rpc_loop *loop, int signo, void *arg)
{
    struct rank *r = arg;

    (void)loop;
    r->interrupted = signo;
    r->w.keep_alive = false;
    workers_signal(&r->w, SIGTERM);
}

/* SIGUSR1 is the coordinator's (a time limit): rank 0 stops the job and
 * tells these workers, which finish what they run first. */
static void
on_usr1(rpc_loop *loop, int signo, void *arg)
{
    (void)loop;
    (void)signo;
    (void)arg;
}

/* Every RANK_WATCH_MS: once rank 0 has exited ("over" in its file, read:
 * the directory may be on NFS, where no change is notified), workers
 * still busy with an attempt it gave up get SIGTERM, then SIGKILL, as
 * mrrun's own after a job; the rank exits with rank 0's status. */
static void
on_watch(rpc_loop *loop, void *arg)
{
    struct rank *r = arg;
    struct slurm_coordinator co;
    char err[MR_ERR_LEN];

    r->watch = rpc_loop_timer_add(loop, RANK_WATCH_MS, on_watch, r);
    if (r->over < 0) {
        if (slurm_lookup(r->f->addr, &co, err) < 0 || co.over < 0)
            return;
        r->over = co.over;
        r->w.keep_alive = false;
        r->over_signal = SIGTERM;
        return;                 /* workers told by rank 0 exit meanwhile */
    }
    workers_signal(&r->w, r->over_signal);
    r->over_signal = SIGKILL;
}

/* Every RANK_WATCH_MS while the rank waits for rank 0's final word:
 * stops the loop once .addr says "over" or is gone. */
static void
on_final_watch(rpc_loop *loop, void *arg)
{
    struct rank *r = arg;
    struct slurm_coordinator co;
    char err[MR_ERR_LEN];
    int rc = slurm_lookup(r->f->addr, &co, err);

    r->watch = NULL;
    if (rc == 0 && co.over >= 0)
        r->over = co.over;
    if (rc == -ENOENT || r->over >= 0) {
        rpc_loop_stop(loop);
        return;
    }
    r->watch = rpc_loop_timer_add(loop, RANK_WATCH_MS, on_final_watch, r);
}

static void
on_give_up(rpc_loop *loop, void *arg)
{
    struct rank *r = arg;

    r->give_up = NULL;
    rpc_loop_stop(loop);
}

/* Once the workers have all exited: reads .addr now, and for ms at most
 * every RANK_WATCH_MS, until it says "over" (then in r->over) or is gone. */
static void
await_final_word(struct rank *r, rpc_loop *loop, uint64_t ms)
{
    on_final_watch(loop, r);
    if (r->over >= 0 || r->watch == NULL)
        return;
    r->give_up = rpc_loop_timer_add(loop, ms, on_give_up, r);
    rpc_loop_run(loop);
    rpc_loop_timer_cancel(loop, r->watch);
    rpc_loop_timer_cancel(loop, r->give_up);
}

/* The words every worker of this rank runs with, in argv (room for
 * RANK_ARGS + WORKERS_APP_ARGS_MAX + 1). Returns 0, or -1 when the app's
 * words do not fit. */
static int
worker_argv(const char **argv, const struct slurm_files *f, const char *addr,
            const char *scratch, const char *const *app_args)
{
    int n = 0;

    argv[n++] = "--addr";
    argv[n++] = addr;
    argv[n++] = "--token-file";
    argv[n++] = f->token;
    argv[n++] = "--scratch";
    argv[n++] = scratch;
    for (int i = 0; app_args[i] != NULL; i++) {
        if (n >= WORKERS_APP_ARGS_MAX)
            return -1;
        argv[n++] = app_args[i];
    }
    argv[n] = NULL;
    return 0;
}

static int
serve(struct rank *r, rpc_loop *loop, const char *worker_exe,
      const char *const *argv, unsigned long nworkers)
{
    char err[MR_ERR_LEN];

    if (rpc_loop_signal(loop, SIGCHLD, on_child, r) < 0 ||
        rpc_loop_signal(loop, SIGINT, on_interrupt, r) < 0 ||
        rpc_loop_signal(loop, SIGTERM, on_interrupt, r) < 0 ||
        rpc_loop_signal(loop, SIGUSR1, on_usr1, r) < 0) {
        fprintf(stderr, "mrrun: cannot watch signals\n");
        return MR_EXIT_FAILED;
    }
    /* Restarts: enough for a few crashes per worker, as mrrun's own. */
    if (workers_start(&r->w, (int)nworkers, worker_exe, argv,
                      4 * (int)nworkers + 4, NULL, NULL, err) < 0) {
        fprintf(stderr, "mrrun: rank %lu on %s: %s\n", r->t->rank,
                r->t->host, err);
        workers_signal(&r->w, SIGTERM);
    }
    r->watch = rpc_loop_timer_add(loop, RANK_WATCH_MS, on_watch, r);
    while (r->w.alive > 0)
        rpc_loop_run(loop);
    rpc_loop_timer_cancel(loop, r->watch);
    r->watch = NULL;
    return 0;
}

int
slurm_rank_run(const struct slurm_task *t, const struct slurm_files *f,
               unsigned long nworkers, const char *worker_exe,
               const char *const *app_args)
{
    const char *argv[RANK_ARGS + WORKERS_APP_ARGS_MAX + 1];
    const char *tmp = getenv("TMPDIR");
    struct slurm_coordinator co;
    struct rank r = {.t = t, .f = f, .over = -1};
    char err[MR_ERR_LEN];
    rpc_loop *loop;
    int rc;

    if ((rc = slurm_wait_coordinator(t, f, &co, err)) < 0) {
        fprintf(stderr, "mrrun: rank %lu on %s: %s\n", t->rank, t->host,
                err);
        return rc == -EINVAL ? MR_EXIT_LOST : -rc;
    }
    if (co.over >= 0) {
        printf("rank %lu on %s: the job's rank 0 had already exited (status "
               "%d): nothing to do\n", t->rank, t->host, co.over);
        return co.over;
    }
    if (worker_argv(argv, f, co.addr, tmp && tmp[0] ? tmp : "/tmp",
                    app_args) < 0) {
        fprintf(stderr, "mrrun: the app's options are too many\n");
        return MR_EXIT_USAGE;
    }
    if ((loop = rpc_loop_create(err)) == NULL) {
        fprintf(stderr, "mrrun: %s\n", err);
        return MR_EXIT_FAILED;
    }
    printf("rank %lu on %s (pid %d): %lu worker%s for the coordinator at %s "
           "(rank 0, on %s)\n", t->rank, t->host, (int)getpid(), nworkers,
           nworkers == 1 ? "" : "s", co.addr, co.host);
    fflush(stdout);
    rc = serve(&r, loop, worker_exe, argv, nworkers);
    /* Workers that failed may have lost a race with rank 0's end (its
     * token removed, its coordinator gone): rank 0's status is the job's. */
    if (rc == 0 && r.over < 0 && !r.interrupted && r.w.exit_status != 0)
        await_final_word(&r, loop, RANK_FINAL_WORD_MS);
    /* SIGTERM came to the whole step: rank 0's status says what it did. */
    if (rc == 0 && r.over < 0 && r.interrupted == SIGTERM)
        await_final_word(&r, loop, RANK_TERM_WAIT_MS);
    workers_free(&r.w);
    rpc_loop_free(loop);
    if (rc != 0)
        return rc;
    if (r.over >= 0) {          /* its workers were ended, if need be */
        printf("rank %lu on %s: rank 0 exited %d: so does this rank\n",
               t->rank, t->host, r.over);
        return r.over;
    }
    if (r.interrupted)
        return MR_EXIT_SIGNAL + r.interrupted;
    if (r.w.exit_status == MR_EXIT_LOST)
        fprintf(stderr, "mrrun: rank %lu on %s: its workers lost the "
                "coordinator at %s (from %s), or never reached it\n",
                t->rank, t->host, co.addr, f->addr);
    return r.w.exit_status;
}
