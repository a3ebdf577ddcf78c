/* Who may join the job: a worker of the same protocol, running the same
 * app module as every other (coord_app.c), in the job's directory. The
 * first worker fixes the app when the coordinator was given none and,
 * without --output, the directory (the lab's way: outputs go where the
 * workers run). */
#define _GNU_SOURCE
#include "coord_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* Room for the private directory and a file name in it. */
#define PATH_ROOM 256

int
coord__take_dir(coord *c, const char *dir, char err[MR_ERR_LEN])
{
    struct jobdir_owner owner = {c->job_id, c->app.known ? c->app.name : "",
                                 c->fresh ? NULL : coord__resume_claim, c};
    char why[MR_ERR_LEN], id[sizeof(c->job_id)];
    int rc;

    memcpy(id, c->job_id, sizeof(id));
    if ((rc = jobdir_open(dir, &owner, &c->jd, err)) < 0) {
        /* A claim may have adopted a directory the open then gave up. */
        memcpy(c->job_id, id, sizeof(id));
        coord__journal_end(c);
        return rc;
    }
    snprintf(c->dir, sizeof(c->dir), "%s", jobdir_path(c->jd));
    snprintf(c->job_id, sizeof(c->job_id), "%s", jobdir_job_id(c->jd));
    mr_info("job %s runs in %s", c->job_id, c->dir);
    rc = coord__journal_begin(c, why);
    /* Whatever happened, the next loop iteration dispatches: a resumed job
     * may be done already, and a failed one must end. */
    coord__journal_kick(c);
    if (rc < 0 && c->generation > 1) {
        /* Its tasks are restored and its files adopted, but this start is
         * not recorded: the next one would number its attempts as ours.
         * The job stops here, its files kept for a later start. */
        snprintf(err, MR_ERR_LEN, "cannot resume job %s in %s: %s",
                 c->job_id, c->dir, why);
        snprintf(c->why_failed, sizeof(c->why_failed), "%s", err);
        jobdir_abandon(c->jd);
        c->jd = NULL;
        tasks_end_failed(&c->tasks);
        return rc;
    }
    if (rc < 0)
        mr_warn("%s: this job cannot be resumed after a crash", why);
    return 0;
}

/* Why the worker may not join, in buf; NULL when it may. */
static const char *
refusal(const coord *c, const Mr__JoinRequest *req, char *buf, size_t len)
{
    char cwd[PATH_MAX];

    if (req->protocol != MR_PROTOCOL_VERSION) {
        snprintf(buf, len, "this worker speaks protocol %u and the "
                 "coordinator %u: run workers of the same build",
                 req->protocol, MR_PROTOCOL_VERSION);
        return buf;
    }
    if (coord__app_refusal(c, req, buf, len) != NULL)
        return buf;
    coord__printable(req->cwd, cwd, sizeof(cwd));
    if (strcmp(cwd, req->cwd) != 0 || cwd[0] != '/' ||
        strlen(cwd) + PATH_ROOM >= PATH_MAX) {
        snprintf(buf, len, "the worker's directory '%.80s' is not an "
                 "absolute path of a usable length without control "
                 "characters", cwd);
        return buf;
    }
    if (c->output_dir == NULL && c->jd != NULL && strcmp(cwd, c->dir)) {
        snprintf(buf, len, "this job's directory is %s, where its first "
                 "worker runs; this worker runs in %s: start it there, or "
                 "give the coordinator --output DIR", c->dir, cwd);
        return buf;
    }
    return NULL;
}

/* The first worker of a job without a directory brings one: its own (or
 * the coordinator's --output, should coord_start not have taken it). Only
 * a trusted peer may (rpc_call_is_trusted): anyone who can reach an open
 * TCP port could otherwise make the coordinator write where they like.
 * The app is taken first, so that the lock names it; a refusal gives it
 * back. */
static const char *
take_dir_of(coord *c, const Mr__JoinRequest *req, bool trusted, char *buf,
            size_t len)
{
    char err[MR_ERR_LEN], host[256] = "";
    struct job_app had_app = c->app;

    if (c->output_dir == NULL && !trusted) {
        snprintf(buf, len, "a worker on a TCP connection without a token "
                 "cannot choose the job's directory: give the coordinator "
                 "--output DIR, or a --token-file");
        return buf;
    }
    coord__app_take(c, req);
    if (coord__take_dir(c, c->output_dir ? c->output_dir : req->cwd,
                        err) == 0)
        return NULL;
    c->app = had_app;
    gethostname(host, sizeof(host) - 1);
    if (c->output_dir == NULL && strcmp(host, req->host) != 0)
        snprintf(buf, len, "%s (the coordinator runs on %s, this worker on "
                 "another host: give the coordinator --output DIR on a file "
                 "system both see)", err, host);
    else
        snprintf(buf, len, "%s", err);
    return buf;
}

static void
reply_over(coord *c, rpc_call *call, Mr__JoinReply_Closure closure)
{
    Mr__JoinReply reply = MR__JOIN_REPLY__INIT;

    reply.accepted = true;
    reply.job_id = c->job_id;
    if (c->tasks.phase == PHASE_DONE) {
        reply.outcome = MR__JOB_OUTCOME__OUTCOME_DONE;
    } else {
        reply.outcome = MR__JOB_OUTCOME__OUTCOME_FAILED;
        reply.why = (char *)coord_error(c);
    }
    closure(&reply, call);
}

void
coord__join(Mr__Coordinator_Service *service, const Mr__JoinRequest *req,
            Mr__JoinReply_Closure closure, void *closure_data)
{
    coord *c = (coord *)service;
    rpc_call *call = closure_data;
    uint64_t conn = rpc_call_conn_id(call);
    Mr__JoinReply reply = MR__JOIN_REPLY__INIT;
    char why[MR_ERR_LEN], who[160], host[64];
    const char *no;

    if (c->ended) {
        reply_over(c, call, closure);
        return;
    }
    coord__printable(req->host, host, sizeof(host));
    snprintf(who, sizeof(who), "a worker (pid %u on %s)", req->pid, host);
    no = refusal(c, req, why, sizeof(why));
    if (no == NULL && c->jd == NULL)
        no = take_dir_of(c, req, rpc_call_is_trusted(call), why,
                         sizeof(why));
    if (no != NULL) {
        coord__log_refusal(c, conn, who, no);
        reply.accepted = false;
        reply.why = (char *)no;
        closure(&reply, call);
        return;
    }
    coord__app_take(c, req);
    coord__journal_app(c);
    if (members_add(&c->members, conn, req->pid, host) == NULL) {
        rpc_call_fail(call, -ENOMEM, "coordinator out of memory");
        return;
    }
    coord__heard(c, conn);
    mr_info("worker pid %u on %s joined job %s (connection %llu)", req->pid,
            host, c->job_id, (unsigned long long)conn);
    coord__outputs_rebind(c, req->serving, conn);
    reply.accepted = true;
    reply.job_id = c->job_id;
    reply.job_dir = c->dir;
    reply.private_dir = (char *)jobdir_private(c->jd);
    reply.networked = c->networked;
    reply.heartbeat_ms = (uint32_t)c->heartbeat_ms;
    coord__app_announce(c, &reply);
    closure(&reply, call);
}
