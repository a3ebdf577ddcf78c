/* The worker loop: Join, then GetTask (answered when work exists, never
 * polled), run the task (worker_task.c), ReportTask, whose reply carries
 * the next task (answered, as GetTask, when work exists), repeat. See
 * worker.h. */
#define _GNU_SOURCE
#include "worker_int.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app_fetch.h"
#include "exit_codes.h"
#include "lastwords.h"
#include "log.h"
#include "protocol.h"
#include "stderr_capture.h"

/* The one line a worker ends with, on stderr. */
static int
verdict(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
verdict(int status, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "mrworker: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return status;
}

/* ---------------------------------------------------------------- ending */

/* A worker mrrun started (on an inherited socket) leaves the job's
 * verdict to mrrun, which prints it once. */
static int
job_ended(const struct worker *w, Mr__JobOutcome outcome, const char *why)
{
    bool stopped = outcome == MR__JOB_OUTCOME__OUTCOME_NONE;

    if (outcome == MR__JOB_OUTCOME__OUTCOME_DONE)
        return MR_EXIT_OK;
    if (strncmp(w->opts->addr, "fd:", 3) == 0)
        return stopped ? MR_EXIT_STOPPED : MR_EXIT_FAILED;
    if (stopped)                /* not over: the coordinator stopped it */
        return verdict(MR_EXIT_STOPPED, "%s", why && why[0] ? why
                       : "the coordinator stopped the job before it was "
                         "over");
    return verdict(MR_EXIT_FAILED, "the job failed: %s",
                   why && why[0] ? why : "(no reason given)");
}

/* True when the job directory's success marker names our job. */
static bool
job_is_committed(const struct job *job)
{
    char path[PATH_MAX + 32], buf[4096], want[64];
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "%s/" MR_MARKER_NAME, job->dir);
    if ((f = fopen(path, "r")) == NULL)
        return false;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    snprintf(want, sizeof(want), MR_MARKER_JOB_FMT, job->id);
    return strstr(buf, want) != NULL;
}

/* True when the job's private directory, which this worker can see, is
 * gone: its coordinator ended the job (committed it, or gave it up) rather
 * than died, which leaves it for a restarted one. */
static bool
job_files_gone(const struct worker *w)
{
    return w->joined && !w->job.local && w->job.priv[0] != '\0' &&
           access(w->job.priv, F_OK) < 0 && errno == ENOENT;
}

/* The coordinator cannot be reached any more: the job may have finished
 * without us (we were busy with a stale attempt), which its marker says. */
static int
coordinator_gone(const struct worker *w)
{
    if (w->joined && job_is_committed(&w->job)) {
        mr_info("the coordinator is gone; job %s finished", w->job.id);
        return MR_EXIT_OK;
    }
    return verdict(MR_EXIT_LOST, "lost the coordinator at %s before the "
                   "job was over (%s)", w->opts->addr,
                   rpc_client_errmsg(w->c));
}

/* The address now serves another job than the one this worker served. */
static int
another_job(const struct worker *w, const char *id)
{
    return verdict(MR_EXIT_LOST, "the coordinator at %s now runs job %s, "
                   "not job %s, which this worker served", w->opts->addr,
                   id, w->job.id);
}

/* ---------------------------------------------------------------- join */

/* What a Join's reply means. Returns GO_ON once joined, else the exit
 * status. */
static int
joined(struct worker *w, const Mr__JoinReply *reply)
{
    char err[MR_ERR_LEN];
    int rc;

    if (!reply->accepted)
        return verdict(MR_EXIT_REFUSED, "the coordinator refused this "
                       "worker: %s", reply->why);
    if (w->joined && strcmp(reply->job_id, w->job.id) != 0)
        return another_job(w, reply->job_id);
    if (reply->outcome != MR__JOB_OUTCOME__OUTCOME_NONE)
        return job_ended(w, reply->outcome, reply->why);
    if (w->joined)              /* joined again on a new connection */
        return GO_ON;
    snprintf(w->job.id, sizeof(w->job.id), "%s", reply->job_id);
    snprintf(w->job.dir, sizeof(w->job.dir), "%s", reply->job_dir);
    snprintf(w->job.priv, sizeof(w->job.priv), "%s", reply->private_dir);
    w->joined = true;
    mr_info("joined job %s in %s", w->job.id, w->job.dir);
    if ((rc = heartbeat_start(&w->hb, w->c, reply->heartbeat_ms)) < 0)
        mr_warn("cannot start the heartbeat (the coordinator will take "
                "this worker's longer tasks for stalled): %s",
                strerror(-rc));
    if ((rc = worker__settle(w, reply, err)) != 0)
        return verdict(rc, "%s", err);
    return GO_ON;
}

/* A worker started without a module takes the job's once it has joined
 * (app_fetch.h). Returns GO_ON, or the exit status. */
static int
take_job_app(struct worker *w, const Mr__JoinReply *reply)
{
    char err[MR_ERR_LEN];
    int rc = app_fetch(w->c, reply, w->opts->addr, &w->fetched, err);

    if (rc < 0)
        return verdict(app_fetch_status(rc), "%s", err);
    w->mod = &w->fetched;
    return GO_ON;
}

/* What join_once() returns when the coordinator could not be reached
 * after this worker had joined: wait for it, try again. */
#define UNREACHED (-2)

/* One Join, or one more on a new connection. Returns GO_ON, UNREACHED, or
 * the exit status. */
static int
join_once(struct worker *w)
{
    Mr__JoinRequest req = MR__JOIN_REQUEST__INIT;
    Mr__JoinReply *reply = NULL;
    char cwd[PATH_MAX], host[256] = "";
    int rc;

    if (getcwd(cwd, sizeof(cwd)) == NULL)
        return verdict(MR_EXIT_FAILED, "cannot tell the current directory: "
                       "%s", strerror(errno));
    gethostname(host, sizeof(host) - 1);
    req.protocol = MR_PROTOCOL_VERSION;
    req.pid = (uint32_t)getpid();
    req.host = host;
    req.cwd = cwd;
    req.serving = w->job.shuffle.pid > 0 ? w->job.shuffle.addr : (char *)"";
    app_fetch_identify(w->mod, &req);
    rc = rpc_client_call(w->c, &mr__coordinator__descriptor, "Join",
                         &req.base, (ProtobufCMessage **)&reply);
    if ((rc == MR_ECONNECT || rc == MR_ECONNLOST) && w->joined)
        return UNREACHED;
    if (rc == MR_ECONNECT)
        return verdict(MR_EXIT_LOST, "no coordinator is listening at %s "
                       "(%s); start one (mrcoordinator FILE...) or give its "
                       "address with --addr", w->opts->addr,
                       rpc_client_errmsg(w->c));
    if (rc == MR_EAUTH)
        return verdict(MR_EXIT_REFUSED, "%s", rpc_client_errmsg(w->c));
    if (rc != 0)
        return verdict(w->joined ? MR_EXIT_LOST : MR_EXIT_FAILED, "%s",
                       rpc_client_errmsg(w->c));
    rc = joined(w, reply);
    if (rc == GO_ON && w->mod == NULL)
        rc = take_job_app(w, reply);
    mr__join_reply__free_unpacked(reply, NULL);
    return rc;
}

/* Joins, or joins again on a new connection; a coordinator that went away
 * is waited for (opts->reconnect_ms): restarted on the same job, it
 * resumes it and takes this worker back. Returns GO_ON, or the exit
 * status. */
static int
join(struct worker *w)
{
    uint64_t deadline = 0;
    int rc;

    while ((rc = join_once(w)) == UNREACHED) {
        uint64_t now = rpc_monotonic_ms();
        if (strncmp(w->opts->addr, "fd:", 3) == 0 ||
            w->opts->reconnect_ms == 0 || job_is_committed(&w->job) ||
            job_files_gone(w))
            return coordinator_gone(w);
        if (deadline == 0) {
            deadline = now + w->opts->reconnect_ms;
            mr_warn("lost the coordinator at %s (%s); waiting up to %.0f s "
                    "for it to come back", w->opts->addr,
                    rpc_client_errmsg(w->c),
                    (double)w->opts->reconnect_ms / 1000.0);
        } else if (now >= deadline) {
            return coordinator_gone(w);
        } else {
            /* The client tried for its connect timeout, or the connection
             * broke at once: do not spin. */
            struct timespec pause = {0, 100 * 1000000L};
            nanosleep(&pause, NULL);
        }
    }
    if (rc == GO_ON && deadline != 0)
        mr_info("the coordinator at %s is back; job %s goes on",
                w->opts->addr, w->job.id);
    return rc;
}

int
worker__rejoin(struct worker *w)
{
    return join(w);
}

/* ---------------------------------------------------------------- loop */

/* The task to run next: the one the last report's reply carried
 * (*carried, which is freed), else one GetTask's. Returns 0 with *t set
 * (free *owner with mr__report_reply__free_unpacked when set, else *t
 * with mr__task__free_unpacked), or the client's error. */
static int
next_task(struct worker *w, Mr__ReportReply **carried, Mr__Task **t,
          Mr__ReportReply **owner)
{
    Mr__TaskRequest req = MR__TASK_REQUEST__INIT;

    *owner = NULL;
    if (*carried != NULL && (*carried)->next != NULL) {
        *owner = *carried;
        *carried = NULL;
        *t = (*owner)->next;
        return 0;
    }
    if (*carried != NULL)
        mr__report_reply__free_unpacked(*carried, NULL);
    *carried = NULL;
    req.worker_pid = (uint32_t)getpid();
    req.local = w->job.local;
    return rpc_client_call_timeout(w->c, &mr__coordinator__descriptor,
                                   "GetTask", &req.base,
                                   (ProtobufCMessage **)t, -1);
}

/* One task and what follows: its report, whose reply may carry the next
 * task (*carried, for the next call). Returns GO_ON, or the exit
 * status. */
static int
work_once(struct worker *w, Mr__ReportReply **carried)
{
    char err[MR_ERR_LEN];
    Mr__ReportReply *reply = NULL, *owner;
    Mr__Task *t = NULL;
    int rc;

    rc = next_task(w, carried, &t, &owner);
    /* A lost connection, or a new one the client made by itself (the old
     * one had closed while idle) that the coordinator does not know:
     * join again, which says whether it is still our job. */
    if (rc == MR_ECONNLOST || rc == MR_ECONNECT ||
        (rc == MR_EREMOTE && rpc_client_remote_status(w->c) == -EPERM))
        return join(w);
    if (rc != 0)
        return verdict(MR_EXIT_FAILED, "%s", rpc_client_errmsg(w->c));
    rc = GO_ON;
    if (strcmp(t->job_id, w->job.id) != 0) {
        rc = another_job(w, t->job_id);
    } else if (t->kind == MR__TASK_KIND__TASK_EXIT) {
        rc = job_ended(w, t->outcome, t->why);
    } else if (t->kind == MR__TASK_KIND__TASK_MAP &&
               (t->serve_outputs || w->job.shuffle.pid > 0) &&
               (rc = worker__serve(w, err)) != 0) {
        /* Exiting drops the connection: the coordinator runs the task,
         * and the maps whose outputs this worker kept, elsewhere. */
        rc = verdict(rc, "%s", err);
    } else {
        int status = GO_ON;
        rc = worker__run_task(w, t, &reply, &status);
        if (status != GO_ON) {
            rc = status;
        } else if (reply != NULL && reply->job_over) {
            rc = job_ended(w, reply->outcome, reply->why);
        } else {
            /* A report lost with its connection (the next GetTask finds
             * out) or refused: the coordinator runs the task again. */
            if (rc != 0 && rc != MR_ECONNLOST && rc != MR_ECONNECT)
                mr_warn("report: %s", rpc_client_errmsg(w->c));
            rc = GO_ON;
            *carried = reply;   /* its next task, if it has one */
            reply = NULL;
        }
    }
    if (reply != NULL)
        mr__report_reply__free_unpacked(reply, NULL);
    if (owner != NULL)
        mr__report_reply__free_unpacked(owner, NULL);
    else
        mr__task__free_unpacked(t, NULL);
    return rc;
}

int
worker_run(const struct app_module *mod, const struct worker_opts *opts)
{
    struct rpc_client_opts copts = {.connect_timeout_ms =
                                        opts->connect_timeout_ms,
                                    .call_timeout_ms = -1,
                                    .token = opts->token,
                                    .token_len = opts->token_len};
    struct worker w = {.mod = mod, .opts = opts,
                       .job.scratch.lock_fd = -1};
    Mr__ReportReply *carried = NULL;    /* its next task, to run */
    char err[MR_ERR_LEN];
    int rc;

    if ((w.c = rpc_client_create(opts->addr, &copts, err)) == NULL)
        return verdict(MR_EXIT_USAGE, "%s", err);
    if (lastwords_init() < 0)
        mr_warn("cannot catch fatal signals: %s", strerror(errno));
    /* Failed tasks' reports carry their last lines on stderr. */
    if (stderr_capture_start(err) < 0)
        mr_warn("%s; failed tasks are reported without it", err);
    rc = join(&w);
    while (rc == GO_ON)
        rc = work_once(&w, &carried);
    if (carried != NULL)
        mr__report_reply__free_unpacked(carried, NULL);
    heartbeat_stop(w.hb);
    /* The job is over: its outputs are closed before the scratch directory
     * goes, so that none deleted keeps its disk space (or, on NFS, keeps
     * the directory) while the worker stops. */
    im_cache_free(w.outputs);
    w.outputs = NULL;
    worker__unsettle(&w);
    rpc_client_free(w.c);
    app_unload(&w.fetched);
    stderr_capture_stop();
    return rc;
}
