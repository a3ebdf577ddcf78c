/* Running one task for the coordinator and reporting how it went: a map
 * writes its intermediate file, a reduce its staged output, both in the
 * job's private directory. */
#define _GNU_SOURCE
#include "worker_int.h"

#include <stdio.h>
#include <stdlib.h>

#include "lastwords.h"
#include "log.h"
#include "maptask.h"
#include "reducetask.h"

/* path = the job's private directory / name. */
static void
private_path(const struct worker *w, char *buf, size_t len,
             const char *name)
{
    snprintf(buf, len, "%s/%s", w->job.priv, name);
}

static void
run_map(const struct worker *w, const Mr__Task *t, Mr__TaskReport *rep,
        char err[MR_ERR_LEN])
{
    struct map_input in = {t->file, t->path[0] ? t->path : NULL, t->offset,
                           t->length, t->whole};
    struct map_stats st;
    char name[64], out[PATH_MAX + 64];

    mr_im_name(name, sizeof(name), t->id, t->attempt);
    private_path(w, out, sizeof(out), name);
    rep->ok = map_run(w->mod->app, &in, t->n_reduce, out, w->job.priv,
                      w->opts->map_buffer, &st, err) == 0;
    rep->bytes_in = st.bytes_in;
    rep->bytes_out = st.bytes_out;
    rep->records_in = st.records_in;
    rep->records_out = st.records_out;
}

static void
run_reduce(const struct worker *w, const Mr__Task *t, Mr__TaskReport *rep,
           char err[MR_ERR_LEN])
{
    struct reduce_stats st = {0};
    char (*names)[PATH_MAX] = NULL;
    const char **inputs = NULL;
    char name[64], out[PATH_MAX + 64];

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
        mr_im_name(name, sizeof(name), i, t->map_attempts[i]);
        private_path(w, names[i], sizeof(names[i]), name);
        inputs[i] = names[i];
    }
    mr_staged_name(name, sizeof(name), t->id, t->attempt);
    private_path(w, out, sizeof(out), name);
    rep->ok = reduce_run(w->mod->app, inputs, t->n_map, t->id, t->n_reduce,
                         out, true, &st, err) == 0;
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

static bool
task_is_possible(const Mr__Task *t)
{
    return t->n_reduce > 0 &&
           (t->kind == MR__TASK_KIND__TASK_MAP ||
            (t->kind == MR__TASK_KIND__TASK_REDUCE && t->id < t->n_reduce));
}

int
worker__run_task(struct worker *w, const Mr__Task *t,
                 Mr__ReportReply **reply)
{
    Mr__TaskReport rep = MR__TASK_REPORT__INIT;
    char err[MR_ERR_LEN] = "";

    rep.kind = t->kind;
    rep.id = t->id;
    rep.attempt = t->attempt;
    if (!task_is_possible(t)) {
        snprintf(err, sizeof(err), "the coordinator sent an impossible "
                 "task (kind %d, id %u of %u)", t->kind, t->id, t->n_reduce);
    } else {
        lastwords_arm(w->c, &rep);
        if (t->kind == MR__TASK_KIND__TASK_MAP)
            run_map(w, t, &rep, err);
        else
            run_reduce(w, t, &rep, err);
        lastwords_disarm();
    }
    if (!rep.ok) {
        mr_warn("%s task %u failed: %s",
                t->kind == MR__TASK_KIND__TASK_MAP ? "map" : "reduce", t->id,
                err);
        rep.error = err;
    }
    return rpc_client_call(w->c, &mr__coordinator__descriptor, "ReportTask",
                           &rep.base, (ProtobufCMessage **)reply);
}
