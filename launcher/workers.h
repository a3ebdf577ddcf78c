/* The worker processes mrrun starts: fork and exec of mrworker, each
 * talking to the coordinator over its own socketpair (no socket file to
 * leave behind), reaped on SIGCHLD (delivered through the event loop), and
 * restarted when one dies while the job still needs it. A worker dies with
 * mrrun (PR_SET_PDEATHSIG), even if mrrun is SIGKILLed. */
#ifndef LAUNCHER_WORKERS_H
#define LAUNCHER_WORKERS_H

#include <stdbool.h>
#include <sys/types.h>

#include "mr_err.h"

/* Takes the coordinator's end of a new worker's socketpair. Returns 0 or
 * -errno (the fd is closed then). */
typedef int workers_adopt_fn(int fd, void *arg);

struct workers {
    pid_t *pids;                /* 0 for a slot whose worker has exited */
    int n;
    int alive;
    int restarts;               /* workers replaced after dying */
    int restarts_unproductive;  /* since the job last moved forward */
    int max_unproductive;       /* more than this in a row: give up */
    bool keep_alive;            /* restart workers that die */
    const char *exe;
    const char *const *app_args;    /* borrowed: the words that name the
                                   app, NULL-terminated (APP.so, or
                                   --mapper CMD --reducer CMD ...) */
    workers_adopt_fn *adopt;
    void *adopt_arg;
    char why_failed[MR_ERR_LEN];    /* set when restarts ran out */
    int exit_status;            /* the last non-zero status a worker
                                   exited with by itself; 0: none */
};

/* Starts n workers running exe with app_args (at most
 * WORKERS_APP_ARGS_MAX words, NULL-terminated), each connected to the
 * coordinator through adopt; or, when adopt is NULL, with app_args alone,
 * which say where the coordinator is (--addr tcp:...). A worker that dies
 * is restarted until max_unproductive restarts in a row see no task
 * finish (see workers_progress()); without adopt, only one killed by a
 * signal is: one that exits by itself was told the job's end, or cannot
 * reach its coordinator. Returns 0 or -errno (err filled). */
#define WORKERS_APP_ARGS_MAX 20
int workers_start(struct workers *w, int n, const char *exe,
                  const char *const *app_args,
                  int max_unproductive, workers_adopt_fn *adopt, void *arg,
                  char err[MR_ERR_LEN]);

/* The job moved forward (a task finished): restarts count afresh. */
void workers_progress(struct workers *w);

/* Reaps every exited worker (call on SIGCHLD) and restarts those that died
 * abnormally while keep_alive is set. Returns false once restarts ran out
 * (why_failed says so). */
bool workers_reap(struct workers *w);

/* Sends sig to every live worker. */
void workers_signal(struct workers *w, int sig);

void workers_free(struct workers *w);

#endif
