/* Inside the worker: the state its files share (worker.c: joining and
 * the loop; worker_task.c: running a task and reporting it). Nothing
 * outside worker/ includes this. */
#ifndef WORKER_INT_H
#define WORKER_INT_H

#include <limits.h>
#include <stdbool.h>

#include "mr.pb-c.h"
#include "names.h"
#include "rpc.h"
#include "worker.h"

/* The job this worker serves, as the coordinator named it. */
struct job {
    char id[MR_JOB_ID_LEN + 1];
    char dir[PATH_MAX];         /* where outputs are committed */
    char priv[PATH_MAX];        /* where this worker writes */
};

struct worker {
    const struct app_module *mod;   /* NULL until fetched, when the worker
                                       was started without one */
    struct app_module fetched;  /* the job's module, once fetched and
                                   loaded (app_fetch.h); worker_run
                                   unloads it */
    const struct worker_opts *opts;
    rpc_client *c;
    struct job job;
    bool joined;                /* a Join was accepted (this job known) */
};

/* worker_task.c */
/* Runs task t and reports it. Returns the client's error, if any; sets
 * *reply to the coordinator's answer (free it with
 * mr__report_reply__free_unpacked). */
int worker__run_task(struct worker *w, const Mr__Task *t,
                     Mr__ReportReply **reply);

#endif
