/* The job's end: the commit of a finished job's outputs, or giving up a
 * failed one's files and leaving its failure note; the clock of the
 * job's phases for the summary both write. */
#define _GNU_SOURCE
#include "coord_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "names.h"
#include "summary.h"

/* ---------------------------------------------------------------- phases */

void
coord__phase_clock(coord *c)
{
    struct phase_clock *k = &c->clock;
    const struct coord_tasks *t = &c->tasks;
    uint64_t now = rpc_monotonic_ms();

    if (k->work_ms == 0 && t->running[KIND_MAP] + t->running[KIND_REDUCE])
        k->work_ms = now;
    if (t->phase == k->seen)
        return;
    if (t->phase == PHASE_MAP)
        k->maps_ms = 0;         /* sent back: maps are not all done now */
    else if (k->seen == PHASE_MAP && t->phase != PHASE_FAILED)
        k->maps_ms = now;
    if (t->phase == PHASE_DONE)
        k->reduces_ms = now;
    k->seen = t->phase;
}

/* The seconds of each phase, until now (coord_int.h says how). */
static void
phase_seconds(const coord *c, struct job_summary *s)
{
    const struct phase_clock *k = &c->clock;
    uint64_t now = rpc_monotonic_ms();
    uint64_t start = k->work_ms ? k->work_ms : now;
    uint64_t maps = k->maps_ms ? k->maps_ms : now;
    uint64_t reduces = k->reduces_ms ? k->reduces_ms : now;

    /* A job with no map to run left (none, or all resumed) starts in the
     * reduce phase, before its first hand-out. */
    maps = maps > start ? maps : start;
    reduces = reduces > maps ? reduces : maps;
    s->map_seconds = (double)(maps - start) / 1000.0;
    s->reduce_seconds = (double)(reduces - maps) / 1000.0;
    s->commit_seconds = (double)(now - reduces) / 1000.0;
}

/* ---------------------------------------------------------------- summary */

static char *
summarize(const coord *c, size_t *len)
{
    struct job_summary s = {0};
    struct coord_status st;
    Mr__StatusReply *status = coord_status_build(c, 0);
    char *doc;

    if (status == NULL)
        return NULL;
    coord_status(c, &st);
    s.job_id = c->job_id;
    s.app = c->app.name;
    s.app_path = c->app.path;
    s.app_digest = c->app.digest;
    s.dir = c->dir;
    s.inputs = c->inputs;
    s.ninputs = c->ninputs;
    s.nmap = st.nmap;
    s.nreduce = st.nreduce;
    s.input_bytes = st.map_bytes_in;
    s.map_records = st.map_records;
    s.intermediate_bytes = st.im_bytes;
    s.output_records = st.out_keys;
    s.output_bytes = st.out_bytes;
    s.failed_attempts = st.failed;
    s.lost_attempts = st.reassigned;
    s.backup_attempts = st.backups;
    s.backups_won = st.backups_won;
    s.workers = st.workers;
    s.started = c->started;
    s.finished = time(NULL);
    s.seconds = (double)(rpc_monotonic_ms() - c->start_ms) / 1000.0;
    s.failed = c->tasks.phase == PHASE_FAILED;
    s.why = s.failed ? coord_error(c) : "";
    phase_seconds(c, &s);
    /* The same failures and counters as the status's (status_json.h). */
    s.failures = status->failures;
    s.nfailures = status->n_failures;
    s.failures_total = status->failures_total;
    s.counters = status->counters;
    s.ncounters = status->n_counters;
    s.skipped = status->skipped;
    s.nskipped = status->n_skipped;
    doc = summary_json(&s, len);
    coord_status_free(status);
    return doc;
}

/* The winning attempt of every reduce becomes mr-out-*. */
static int
commit(coord *c, char err[MR_ERR_LEN])
{
    uint32_t n = c->tasks.nreduce;
    char (*names)[64] = calloc(n, sizeof(*names));
    const char **staged = calloc(n, sizeof(*staged));
    char *doc = NULL;
    size_t len = 0;
    int rc = -ENOMEM;

    if (c->jd == NULL) {
        snprintf(err, MR_ERR_LEN, "the job has no directory to commit to");
        rc = -EINVAL;
    } else if (names == NULL || staged == NULL ||
               (doc = summarize(c, &len)) == NULL) {
        snprintf(err, MR_ERR_LEN, "out of memory");
    } else {
        for (uint32_t r = 0; r < n; r++) {
            mr_staged_name(names[r], sizeof(names[r]), r,
                           c->tasks.reduces[r].done_attempt);
            staged[r] = names[r];
        }
        coord__journal_remove(c);
        rc = jobdir_commit(c->jd, n, staged, doc, len, err);
    }
    free(doc);
    free(staged);
    free(names);
    return rc;
}

/* A failed job's summary becomes DIR/mr-failed; the directory keeps
 * everything else as it was. Best effort: the job has failed anyway. */
static void
leave_failure_note(coord *c)
{
    char err[MR_ERR_LEN], *doc;
    size_t len = 0;

    if (c->jd == NULL || c->interrupted)
        return;
    if ((doc = summarize(c, &len)) == NULL)
        snprintf(err, sizeof(err), "out of memory");
    if (doc == NULL || jobdir_fail(c->jd, doc, len, err) < 0)
        mr_warn("job %s leaves no " MR_FAILED_NAME ": %s", c->job_id, err);
    free(doc);
}

void
coord__end_job(coord *c)
{
    char err[MR_ERR_LEN];

    if (c->ended)
        return;
    c->ended = true;
    coord__phase_clock(c);
    if (c->tasks.phase == PHASE_DONE && commit(c, err) < 0) {
        snprintf(c->why_failed, sizeof(c->why_failed), "%s", err);
        tasks_end_failed(&c->tasks);
    }
    if (c->tasks.phase == PHASE_FAILED) {
        coord__failure_explain(c);
        leave_failure_note(c);
    }
    coord__journal_end(c);
    jobdir_close(c->jd);
    c->jd = NULL;
    if (c->tasks.phase == PHASE_DONE)
        mr_info("job %s done: mr-out-0 .. mr-out-%u and " MR_MARKER_NAME
                " committed in %s", c->job_id, c->tasks.nreduce - 1, c->dir);
    else
        mr_info("job %s failed: %s", c->job_id, coord_error(c));
}
