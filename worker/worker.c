/* The worker loop: GetTask (answered when work exists, never polled), run
 * the map or reduce task in this process, ReportTask, repeat. */
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "maptask.h"
#include "mr.pb-c.h"
#include "names.h"
#include "reducetask.h"
#include "rpc.h"

static void
run_map(const struct mr_app *app, const Mr__Task *t, Mr__TaskReport *rep,
        char err[MR_ERR_LEN])
{
    struct map_stats st;
    char out[64];

    mr_im_name(out, sizeof(out), t->id, t->attempt);
    rep->ok = map_run(app, t->file, t->offset, t->length, t->n_reduce, out,
                      &st, err) == 0;
    rep->bytes_in = st.bytes_in;
    rep->bytes_out = st.bytes_out;
    rep->records_in = st.records_in;
    rep->records_out = st.records_out;
}

static void
run_reduce(const struct mr_app *app, const Mr__Task *t, Mr__TaskReport *rep,
           char err[MR_ERR_LEN])
{
    struct reduce_stats st = {0};
    char (*names)[64] = NULL;
    const char **inputs = NULL;
    char out[64];

    if (t->n_map_attempts != t->n_map) {
        snprintf(err, MR_ERR_LEN, "reduce task names %zu map outputs for %u "
                 "map tasks", t->n_map_attempts, t->n_map);
        return;
    }
    names = calloc(t->n_map ? t->n_map : 1, sizeof(*names));
    inputs = calloc(t->n_map ? t->n_map : 1, sizeof(*inputs));
    if (names == NULL || inputs == NULL) {
        snprintf(err, MR_ERR_LEN, "out of memory");
        goto out;
    }
    for (uint32_t i = 0; i < t->n_map; i++) {
        mr_im_name(names[i], sizeof(names[i]), i, t->map_attempts[i]);
        inputs[i] = names[i];
    }
    mr_out_name(out, sizeof(out), t->id);
    rep->ok = reduce_run(app, inputs, t->n_map, t->id, t->n_reduce, out,
                         true, &st, err) == 0;
    rep->bytes_in = st.bytes_in;
    rep->bytes_out = st.bytes_out;
    rep->records_in = st.records_in;
    rep->records_out = st.keys;
    if (!rep->ok && st.bad_input >= 0) {
        /* Input i is map task i's output: the coordinator reruns it. */
        rep->bad_input = true;
        rep->bad_map = (uint32_t)st.bad_input;
    }
out:
    free(names);
    free(inputs);
}

/* Runs one task and reports it. Returns the client's error, if any, and
 * sets *job_over when the coordinator says the job is over. */
static int
run_task(rpc_client *c, const struct mr_app *app, const Mr__Task *t,
         bool *job_over)
{
    Mr__TaskReport rep = MR__TASK_REPORT__INIT;
    Mr__ReportReply *reply = NULL;
    char err[MR_ERR_LEN] = "";
    int rc;

    rep.kind = t->kind;
    rep.id = t->id;
    rep.attempt = t->attempt;
    if (t->n_reduce == 0 ||
        (t->kind == MR__TASK_KIND__TASK_REDUCE && t->id >= t->n_reduce) ||
        (t->kind != MR__TASK_KIND__TASK_MAP &&
         t->kind != MR__TASK_KIND__TASK_REDUCE))
        snprintf(err, sizeof(err), "the coordinator sent an impossible "
                 "task (kind %d, id %u of %u)", t->kind, t->id, t->n_reduce);
    else if (t->kind == MR__TASK_KIND__TASK_MAP)
        run_map(app, t, &rep, err);
    else
        run_reduce(app, t, &rep, err);
    if (!rep.ok) {
        mr_warn("%s task %u failed: %s",
                t->kind == MR__TASK_KIND__TASK_MAP ? "map" : "reduce", t->id,
                err);
        rep.error = err;
    }
    rc = rpc_client_call(c, &mr__coordinator__descriptor, "ReportTask",
                         &rep.base, (ProtobufCMessage **)&reply);
    if (reply != NULL) {
        *job_over = reply->job_over;
        mr__report_reply__free_unpacked(reply, NULL);
    }
    return rc;
}

int
worker_run(const struct mr_app *app, const struct worker_opts *opts)
{
    struct rpc_client_opts copts = {.connect_timeout_ms =
                                        opts->connect_timeout_ms,
                                    .call_timeout_ms = -1,
                                    .token = opts->token,
                                    .token_len = opts->token_len};
    Mr__TaskRequest req = MR__TASK_REQUEST__INIT;
    char err[MR_ERR_LEN];
    bool served = false, job_over = false;
    rpc_client *c = rpc_client_create(opts->addr, &copts, err);

    if (c == NULL) {
        mr_error("%s", err);
        return 1;
    }
    req.worker_pid = (uint32_t)getpid();
    for (;;) {
        Mr__Task *t = NULL;
        int rc = rpc_client_call_timeout(c, &mr__coordinator__descriptor,
                                         "GetTask", &req.base,
                                         (ProtobufCMessage **)&t, -1);
        if (rc == MR_ECONNLOST)
            continue;           /* the next call reconnects, or gives up */
        if (rc != 0) {
            if (served && rc == MR_ECONNECT) {
                mr_info("coordinator gone; exiting");
                rc = 0;
            } else {
                mr_error("%s", rpc_client_errmsg(c));
                rc = 1;
            }
            rpc_client_free(c);
            return rc;
        }
        served = true;
        if (t->kind == MR__TASK_KIND__TASK_EXIT) {
            mr__task__free_unpacked(t, NULL);
            rpc_client_free(c);
            return 0;
        }
        rc = run_task(c, app, t, &job_over);
        if (rc != 0 && rc != MR_ECONNLOST && rc != MR_ECONNECT)
            mr_warn("report: %s", rpc_client_errmsg(c));
        mr__task__free_unpacked(t, NULL);
        if (job_over) {
            rpc_client_free(c);
            return 0;
        }
    }
}
