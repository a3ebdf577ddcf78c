/* Inside the worker: the state its files share (worker.c: joining and
 * the loop; worker_task.c: running a task and reporting it). Nothing
 * outside worker/ includes this. */
#ifndef WORKER_INT_H
#define WORKER_INT_H

#include <limits.h>
#include <stdbool.h>

#include "heartbeat.h"
#include "imcache.h"
#include "mr.pb-c.h"
#include "names.h"
#include "rpc.h"
#include "scratch.h"
#include "shuffle_server.h"
#include "worker.h"

/* The job this worker serves, as the coordinator named it, and where this
 * worker keeps its files for it. */
struct job {
    char id[MR_JOB_ID_LEN + 1];
    char dir[PATH_MAX];         /* where outputs are committed */
    char priv[PATH_MAX];        /* the job's private directory */
    bool local;                 /* this worker cannot write priv, or was
                                   told to keep its files local: they are
                                   in scratch, outputs are shipped */
    struct scratch scratch;     /* when local */
    struct shuffle_server shuffle;      /* serving this worker's map
                                           outputs, when it runs */
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
    struct heartbeat *hb;       /* beating on c while a task runs, from
                                   the first Join on; NULL: no beats */
    struct im_cache *outputs;   /* map outputs kept open between reduce
                                   tasks; NULL until the first */
};

/* The values of the functions below that mean "go on": anything else is
 * the worker's exit status. */
#define GO_ON (-1)

/* worker_place.c */
/* After an accepted Join: decides where this worker keeps its files for
 * the job (the private directory, or its scratch directory) and starts
 * its shuffle server when its map outputs may be fetched. Returns 0, or
 * the exit status with err saying why. */
int worker__settle(struct worker *w, const Mr__JoinReply *reply,
                   char err[MR_ERR_LEN]);
/* Makes sure this worker's map outputs are served: starts the shuffle
 * server if it does not run (the coordinator asked, Task.serve_outputs).
 * Returns 0, or the exit status with err saying why (it cannot start, or
 * it died: the outputs already announced cannot be served any more). */
int worker__serve(struct worker *w, char err[MR_ERR_LEN]);
/* Stops serving and removes the scratch directory. Safe when unsettled. */
void worker__unsettle(struct worker *w);
/* The directory this worker writes its files for the job in. */
const char *worker__files(const struct worker *w);

/* worker.c */
/* Joins again on a new connection, waiting for a coordinator that went
 * away (worker.h). Returns GO_ON, or the exit status. */
int worker__rejoin(struct worker *w);

/* worker_task.c */
/* Runs task t and reports it, asking for the next task (TaskReport.ask:
 * (*reply)->next, when the coordinator gave one); a finished task whose report the
 * coordinator did not take because it went away is reported again once
 * this worker has joined it again (worker__rejoin), once. Returns the
 * client's error, if any; sets *reply to the coordinator's answer (free it
 * with mr__report_reply__free_unpacked), and *status to GO_ON or, when
 * joining again ended the worker, its exit status. */
int worker__run_task(struct worker *w, const Mr__Task *t,
                     Mr__ReportReply **reply, int *status);

#endif
