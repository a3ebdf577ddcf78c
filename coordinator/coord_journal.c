/* Writing the coordinator's journal (journal.h): the job's definition and
 * its finished tasks, so that a coordinator started again on the same job
 * in the same directory can resume it (coord_resume.c says what the
 * records mean then).
 *
 * A completion is durable before anyone acts on it: its report's reply is
 * held, no task is handed out and the job does not end while the journal
 * has records not yet synced; a timer of 0 ms syncs them all at once (one
 * fdatasync for every report read in one loop iteration), then answers
 * the held reports and dispatches. */
#define _GNU_SOURCE
#include "coord_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"
#include "names.h"

/* A report whose completion waits for the journal's sync. */
struct held_report {
    rpc_call *call;
    Mr__ReportReply_Closure closure;
    struct coord_task *task;
    bool accepted;
    bool asks;                  /* the report asks for its next task */
    Mr__TaskRequest ask;        /* then: its request */
    struct held_report *next;
};

/* ---------------------------------------------------------------- write */

/* The journal cannot be written: the job goes on without it (a journal
 * that stops early is still a valid one: a later coordinator would run
 * again what it lacks). */
static void
give_up_journal(coord *c, const char *why)
{
    mr_warn("%s: from now on, this job cannot be resumed after a crash",
            why);
    journal_close(c->journal);
    c->journal = NULL;
}

static void on_sync(rpc_loop *loop, void *arg);

/* Keeps rec for the next sync, which a 0 ms timer runs. */
static void
append(coord *c, const Mrj__Record *rec)
{
    int rc;

    if (c->journal == NULL)
        return;
    if ((rc = journal_append(c->journal, rec)) < 0) {
        give_up_journal(c, mr_strerror(rc));
        return;
    }
    if (c->sync_timer == NULL)
        c->sync_timer = rpc_loop_timer_add(c->loop, 0, on_sync, c);
}

static void
start_record(coord *c)
{
    Mrj__Record rec = MRJ__RECORD__INIT;
    Mrj__Start start = MRJ__START__INIT;

    start.generation = c->generation;
    start.pid = (uint32_t)getpid();
    start.at = (int64_t)time(NULL);
    rec.what_case = MRJ__RECORD__WHAT_START;
    rec.start = &start;
    append(c, &rec);
}

/* Makes what was appended durable now. Returns 0 or an error, err
 * filled. */
static int
sync_now(coord *c, char err[MR_ERR_LEN])
{
    if (c->journal == NULL) {
        snprintf(err, MR_ERR_LEN, "cannot write the journal");
        return -EIO;
    }
    return journal_sync(c->journal, err);
}

/* Resumes from jc: restores, cuts the journal to its valid prefix and
 * records this start. */
static int
begin_resumed(coord *c, struct journal_contents *jc, const char *path,
              char err[MR_ERR_LEN])
{
    int rc = coord__resume_restore(c, jc);

    if (rc < 0) {
        snprintf(err, MR_ERR_LEN, "out of memory");
        return rc;
    }
    if (jc->end != JOURNAL_WHOLE)
        mr_warn("the journal ends with %s: resumed from the %llu bytes "
                "before it", jc->damage, (unsigned long long)jc->valid_bytes);
    if ((rc = journal_open(path, jc->valid_bytes, &c->journal, err)) < 0)
        return rc;
    start_record(c);
    return sync_now(c, err);
}

/* Starts a new journal: the job's definition and this start. */
static int
begin_fresh(coord *c, const char *path, char err[MR_ERR_LEN])
{
    Mrj__Record rec = MRJ__RECORD__INIT;
    struct definition d;
    int rc;

    c->generation = 1;
    if ((rc = journal_open(path, 0, &c->journal, err)) < 0)
        return rc;
    if (coord__definition_build(c, &d) < 0) {
        snprintf(err, MR_ERR_LEN, "out of memory");
        return -ENOMEM;
    }
    rec.what_case = MRJ__RECORD__WHAT_DEFINE;
    rec.define = &d.def;
    append(c, &rec);
    coord__definition_free(&d);
    c->journal_app_done = c->app.known;
    start_record(c);
    return sync_now(c, err);
}

int
coord__journal_begin(coord *c, char err[MR_ERR_LEN])
{
    char path[PATH_MAX + 32];
    struct journal_contents *jc = c->resume;
    int rc;

    snprintf(path, sizeof(path), "%s/" JOURNAL_NAME, jobdir_private(c->jd));
    c->resume = NULL;
    if (jc != NULL) {
        rc = begin_resumed(c, jc, path, err);
        journal_contents_free(jc);
        free(jc);
    } else if ((rc = begin_fresh(c, path, err)) < 0) {
        /* A journal without its definition or start would stop the next
         * coordinator here: none at all. */
        unlink(path);
    }
    if (rc < 0) {
        journal_close(c->journal);
        c->journal = NULL;
    }
    return rc;
}

void
coord__journal_kick(coord *c)
{
    if (c->sync_timer == NULL)
        c->sync_timer = rpc_loop_timer_add(c->loop, 0, on_sync, c);
}

void
coord__journal_remove(coord *c)
{
    char path[PATH_MAX + 32];

    if (c->jd == NULL)
        return;
    journal_close(c->journal);
    c->journal = NULL;
    snprintf(path, sizeof(path), "%s/" JOURNAL_NAME, jobdir_private(c->jd));
    if (unlink(path) < 0 && errno != ENOENT)
        mr_warn("cannot remove the journal %s: %s", path, strerror(errno));
}

void
coord__journal_app(coord *c)
{
    Mrj__Record rec = MRJ__RECORD__INIT;
    Mrj__App app = MRJ__APP__INIT;

    if (c->journal == NULL || c->journal_app_done || !c->app.known)
        return;
    app.digest.data = c->app.digest;
    app.digest.len = MR_APP_DIGEST_LEN;
    app.name = c->app.named ? c->app.name : (char *)"";
    app.abi = c->app.named ? c->app.abi : 0;
    app.path = c->app.path;
    rec.what_case = MRJ__RECORD__WHAT_APP;
    rec.app = &app;
    append(c, &rec);
    c->journal_app_done = true;
}

/* The counters of a DONE task's winning attempt, before its Done record
 * (none when it holds none). */
static void
journal_counted(coord *c, const struct coord_task *task)
{
    Mrj__Record rec = MRJ__RECORD__INIT;
    Mrj__Counted counted = MRJ__COUNTED__INIT;
    Mr__Counter *counters;

    counted.reduce = task->kind == KIND_REDUCE;
    counted.task = task->id;
    counted.attempt = task->done_attempt;
    counted.n_counters = coord__counters_record(c, task, &counters,
                                                &counted.counters);
    rec.what_case = MRJ__RECORD__WHAT_COUNTED;
    rec.counted = &counted;
    if (counted.n_counters > 0)
        append(c, &rec);
    free(counters);
    free(counted.counters);
}

void
coord__journal_map_done(coord *c, uint32_t map)
{
    const struct map_location *l = &c->locations[map];
    Mrj__Record rec = MRJ__RECORD__INIT;
    Mrj__MapDone m = MRJ__MAP_DONE__INIT;

    /* Stopping, the maps kept by workers were recorded undone: a later
     * one's worker exits too, its output with it (coord_stop.c). */
    if (c->stop_recorded && l->addr != NULL && !l->shared)
        return;
    m.map = map;
    m.attempt = c->tasks.maps[map].done_attempt;
    m.addr = l->addr ? l->addr : (char *)"";
    m.path = l->path ? l->path : (char *)"";
    m.size = l->addr ? l->size : l->bytes_out;
    m.shared = l->addr == NULL || l->shared;
    m.bytes_in = l->bytes_in;
    m.records = l->records;
    journal_counted(c, &c->tasks.maps[map]);
    rec.what_case = MRJ__RECORD__WHAT_MAP_DONE;
    rec.map_done = &m;
    append(c, &rec);
}

void
coord__journal_map_undone(coord *c, uint32_t map)
{
    Mrj__Record rec = MRJ__RECORD__INIT;
    Mrj__MapUndone m = MRJ__MAP_UNDONE__INIT;

    m.map = map;
    rec.what_case = MRJ__RECORD__WHAT_MAP_UNDONE;
    rec.map_undone = &m;
    append(c, &rec);
}

void
coord__journal_reduce_done(coord *c, uint32_t reduce,
                           const Mr__TaskReport *rep)
{
    Mrj__Record rec = MRJ__RECORD__INIT;
    Mrj__ReduceDone r = MRJ__REDUCE_DONE__INIT;

    r.reduce = reduce;
    r.attempt = rep->attempt;
    r.bytes_out = rep->bytes_out;
    r.records_out = rep->records_out;
    journal_counted(c, &c->tasks.reduces[reduce]);
    rec.what_case = MRJ__RECORD__WHAT_REDUCE_DONE;
    rec.reduce_done = &r;
    append(c, &rec);
}

void
coord__journal_skipped(coord *c, const struct bad_record *r)
{
    Mrj__Record rec = MRJ__RECORD__INIT;
    Mrj__Skipped m = MRJ__SKIPPED__INIT;
    Mr__BadRecord b = MR__BAD_RECORD__INIT;

    b.file = r->file;
    b.offset = r->offset;
    b.head.data = (uint8_t *)r->head;
    b.head.len = r->head_len;
    m.map = r->map;
    m.record = &b;
    rec.what_case = MRJ__RECORD__WHAT_SKIPPED;
    rec.skipped = &m;
    append(c, &rec);
}

bool
coord__journal_pending(const coord *c)
{
    return c->sync_timer != NULL;
}

bool
coord__journal_hold(coord *c, rpc_call *call,
                    Mr__ReportReply_Closure closure, struct coord_task *task,
                    bool accepted, const Mr__TaskRequest *ask)
{
    struct held_report *h;

    if (c->sync_timer == NULL || (h = malloc(sizeof(*h))) == NULL)
        return false;
    h->call = call;
    h->closure = closure;
    h->task = task;
    h->accepted = accepted;
    h->asks = ask != NULL;
    h->ask = (Mr__TaskRequest)MR__TASK_REQUEST__INIT;
    if (ask != NULL) {          /* its own copy: the request is freed */
        h->ask.worker_pid = ask->worker_pid;
        h->ask.local = ask->local;
    }
    h->next = c->held;
    c->held = h;
    return true;
}

/* Makes the records of this loop iteration durable, then answers the
 * reports that waited for them and hands out work. */
static void
on_sync(rpc_loop *loop, void *arg)
{
    coord *c = arg;
    char err[MR_ERR_LEN];
    struct held_report *h = c->held;

    (void)loop;
    c->sync_timer = NULL;
    c->held = NULL;
    if (c->journal != NULL && journal_sync(c->journal, err) < 0)
        give_up_journal(c, err);
    while (h != NULL) {
        struct held_report *next = h->next;
        coord__answer_report(c, h->call, h->closure, h->task, h->accepted,
                             h->asks ? &h->ask : NULL);
        free(h);
        h = next;
    }
    coord__dispatch(c);
}

void
coord__journal_end(coord *c)
{
    struct held_report *h;

    rpc_loop_timer_cancel(c->loop, c->sync_timer);
    c->sync_timer = NULL;
    while ((h = c->held) != NULL) {
        c->held = h->next;
        rpc_call_fail(h->call, MR_ESHUTDOWN, "the coordinator is stopping");
        free(h);
    }
    journal_close(c->journal);
    c->journal = NULL;
    if (c->resume != NULL) {
        journal_contents_free(c->resume);
        free(c->resume);
        c->resume = NULL;
    }
}
