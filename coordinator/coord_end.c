/* The job's end: the commit of a finished job's outputs, or giving up a
 * failed one's files. */
#define _GNU_SOURCE
#include "coord_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "names.h"
#include "summary.h"

static char *
summarize(const coord *c, size_t *len)
{
    struct job_summary s = {0};
    struct coord_status st;
    struct job_counter *counters;
    char *doc;

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
    if ((counters = coord__counters(c, &s.ncounters)) == NULL)
        return NULL;
    s.counters = counters;
    doc = summary_json(&s, len);
    free(counters);
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

void
coord__end_job(coord *c)
{
    char err[MR_ERR_LEN];

    if (c->ended)
        return;
    c->ended = true;
    if (c->tasks.phase == PHASE_DONE && commit(c, err) < 0) {
        snprintf(c->why_failed, sizeof(c->why_failed), "%s", err);
        tasks_end_failed(&c->tasks);
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
