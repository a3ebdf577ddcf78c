/* The worker processes mrrun starts: fork and exec of mrworker, reaping on
 * SIGCHLD (delivered through the event loop), and restarting a worker that
 * dies while the job still needs it. */
#ifndef LAUNCHER_WORKERS_H
#define LAUNCHER_WORKERS_H

#include <stdbool.h>
#include <sys/types.h>

#include "loop.h"

struct workers {
    pid_t *pids;                /* 0 for a slot whose worker has exited */
    int n;
    int alive;
    int restarts;               /* workers replaced after dying */
    int max_restarts;
    bool keep_alive;            /* restart workers that die */
    const char *argv[8];        /* mrworker --addr ADDR APP */
    char why_failed[256];       /* set when restarts ran out */
};

/* Starts n workers running exe with the coordinator at addr and app. Returns
 * 0 or -errno (err filled). */
int workers_start(struct workers *w, int n, const char *exe,
                  const char *addr, const char *app, char err[256]);

/* Reaps every exited worker (call on SIGCHLD) and restarts those that died
 * abnormally while keep_alive is set. Returns false once restarts ran out. */
bool workers_reap(struct workers *w);

/* Sends sig to every live worker. */
void workers_signal(struct workers *w, int sig);

void workers_free(struct workers *w);

#endif
