/* The ReportTask handler: a worker's report of a finished or failed
 * attempt, believed only from the connection the attempt was handed to,
 * then added to the job's figures or counted against the task. */
#include "coord_int.h"

#include <errno.h>
#include <stdio.h>

#include "log.h"
#include "printable.h"

/* The counters are a worker's own figures for the summary: they stop at
 * UINT64_MAX rather than wrap around to a small number. */
static void
add_saturating(uint64_t *sum, uint64_t n)
{
    *sum = n > UINT64_MAX - *sum ? UINT64_MAX : *sum + n;
}

static void
count_report(coord *c, const Mr__TaskReport *rep)
{
    if (rep->kind == MR__TASK_KIND__TASK_MAP) {
        add_saturating(&c->stats.map_bytes_in, rep->bytes_in);
        add_saturating(&c->stats.map_records, rep->records_in);
        add_saturating(&c->stats.im_bytes, rep->bytes_out);
    } else {
        add_saturating(&c->stats.out_bytes, rep->bytes_out);
        add_saturating(&c->stats.out_keys, rep->records_out);
    }
}

/* Whether rep may be believed from the connection conn: the task exists and
 * that attempt was handed to conn. Returns 0, or an error status with why
 * filled. */
static int
check_report(const struct coord_task *task, const Mr__TaskReport *rep,
             uint64_t conn, char *why, size_t len)
{
    if (task == NULL) {
        snprintf(why, len, "no such task (kind %d, id %u)", (int)rep->kind,
                 rep->id);
        return -EINVAL;
    }
    if (rep->attempt == 0 || rep->attempt > task->attempts) {
        snprintf(why, len, "attempt %u of %s task %u was never handed out",
                 rep->attempt, task_kind_name(task->kind), task->id);
        return -EINVAL;
    }
    if (!task_was_handed_to(task, rep->attempt, conn)) {
        snprintf(why, len, "attempt %u of %s task %u was not handed to "
                 "this connection%s", rep->attempt,
                 task_kind_name(task->kind), task->id,
                 task->attempts - rep->attempt >= TASK_HANDOUTS
                     ? " (or is too old to tell)" : "");
        return -EPERM;
    }
    return 0;
}

/* A reduce task found a map output bad: run that map again, and the
 * reduce once it is done, without holding it against the reduce. */
static int
redo_map(coord *c, struct coord_task *reduce, const Mr__TaskReport *rep,
         const char *error)
{
    struct coord_task *map = tasks_find(&c->tasks, KIND_MAP, rep->bad_map);
    uint32_t attempt = map != NULL ? map->done_attempt : 0;
    uint64_t conn = map != NULL ? c->locations[map->id].conn : 0;
    int rc = tasks_redo_map(&c->tasks, rep->bad_map, error);
    char why[MR_ERR_LEN];

    if (rc == 0 || rc == MR_EAPP) {
        snprintf(why, sizeof(why), "reduce task %u found its output bad: %s",
                 reduce->id, error);
        coord__failure_note(c, map, attempt, conn, why, 0, NULL);
    }
    if (rc == 0)
        coord__output_undone(c, rep->bad_map);

    if (rc == 0)
        mr_warn("reduce task %u found the output of map task %u bad (%s); "
                "running that map again", reduce->id, rep->bad_map, error);
    if (rc == MR_EAPP)
        return rc;
    return tasks_retry(&c->tasks, reduce, rep->attempt) < 0 ? MR_ESTALE : 0;
}

/* A reduce could not fetch some maps' outputs from the worker keeping
 * them (not bad data: the worker did not answer): run those maps again,
 * and the reduce once they are done, without holding it against either. */
static int
refetch(coord *c, struct coord_task *reduce, const Mr__TaskReport *rep,
        const char *error)
{
    char addr[128], why[MR_ERR_LEN];
    uint32_t lost;

    coord__printable(rep->lost_addr, addr, sizeof(addr));
    snprintf(why, sizeof(why), "it could not fetch map outputs from %s: %s",
             addr, error);
    coord__failure_note(c, reduce, rep->attempt, reduce->owner, why, 0,
                        rep->stderr_tail);
    lost = coord__outputs_unreachable(
        c, rep->lost_maps,
        rep->n_lost_attempts == rep->n_lost_maps ? rep->lost_attempts : NULL,
        rep->n_lost_maps, rep->lost_addr);
    mr_warn("reduce task %u could not fetch the outputs of %zu map task%s "
            "from %s (%s); %u of them run again", reduce->id,
            rep->n_lost_maps, rep->n_lost_maps == 1 ? "" : "s", addr, error,
            lost);
    if (tasks_are_over(&c->tasks))
        return MR_EAPP;
    return tasks_retry(&c->tasks, reduce, rep->attempt) < 0 ? MR_ESTALE : 0;
}

/* A map attempt died on a record (--skip-bad-records): a guess (an
 * executable mapper fed in bulk) or a first crash there is an ordinary
 * failure, though an exact report refunds the guesses it drops (skips.h);
 * a second crash skips the record from the next attempt on and does not
 * count against the task, and one skipped record too many fails the job.
 * Returns as tasks_fail. */
static int
crashed_on_record(coord *c, struct coord_task *task,
                  const Mr__TaskReport *rep, const char *error)
{
    const Mr__BadRecord *b = rep->bad_record;
    const struct bad_record *r;
    char file[256], head[4 * SKIPS_HEAD_MAX + 1], over[MR_ERR_LEN];
    uint32_t refund;
    int verdict;

    verdict = skips_note(&c->skips, task->id, b->file, b->offset,
                         b->head.data, b->head.len, b->guessed, &r, &refund);
    if (verdict < 0)
        return tasks_fail(&c->tasks, task, rep->attempt, error);
    printable_copy(r->file, file, sizeof(file));
    if (verdict == SKIP_GUESSED)
        mr_warn("map task %u: its next attempts go one line at a time, to "
                "find the line that kills the mapper (it died having read "
                "up to offset %llu of %s)", task->id,
                (unsigned long long)r->offset, file);
    if (verdict == SKIP_GUESSED || verdict == SKIP_NOTED)
        return tasks_fail_refunding(&c->tasks, task, rep->attempt, refund,
                                    error);
    printable_escape(r->head, r->head_len, head, sizeof(head));
    if (verdict == SKIP_OVER) {
        mr_warn("map task %u: the line at offset %llu of %s (\"%s\") "
                "killed %u attempts, but %u record%s skipped already, the "
                "job's limit (--max-skipped-records)", task->id,
                (unsigned long long)r->offset, file, head, SKIPS_CRASHES,
                c->skips.skipped, c->skips.skipped == 1 ? " is" : "s are");
        snprintf(over, sizeof(over), "would skip %u records, over "
                 "--max-skipped-records %u (raise it to skip more): the "
                 "line at offset %llu killed %u attempts",
                 c->skips.skipped + 1, c->skips.max,
                 (unsigned long long)r->offset, SKIPS_CRASHES);
        return tasks_fail_skipping(&c->tasks, task, rep->attempt, 0, over);
    }
    if (verdict == SKIP_ALREADY)
        return tasks_fail_skipping(&c->tasks, task, rep->attempt, refund,
                                   NULL);
    mr_warn("map task %u: skipping the line at offset %llu of %s (\"%s\") "
            "from now on: it killed %u attempts (%u record%s skipped)",
            task->id, (unsigned long long)r->offset, file, head, r->crashes,
            c->skips.skipped, c->skips.skipped == 1 ? "" : "s");
    coord__journal_skipped(c, r);
    return tasks_fail_skipping(&c->tasks, task, rep->attempt, refund, NULL);
}

/* An attempt reported failed, by its worker or by its last words. */
static int
fail_attempt(coord *c, struct coord_task *task, const Mr__TaskReport *rep,
             const char *error)
{
    uint64_t conn = task->owner;
    int rc;

    if (rep->signal != 0)
        mr_warn("%s task %u attempt %u: %s", task_kind_name(task->kind),
                task->id, rep->attempt, error);
    else
        mr_warn("%s task %u attempt %u failed (worker pid %u): %s",
                task_kind_name(task->kind), task->id, rep->attempt,
                coord__pid_of(c, task->owner), error);
    if (c->skips.on && task->kind == KIND_MAP && rep->signal != 0 &&
        rep->bad_record != NULL && task->state == TASK_RUNNING &&
        task->running_attempt == rep->attempt)
        rc = crashed_on_record(c, task, rep, error);
    else
        rc = tasks_fail(&c->tasks, task, rep->attempt, error);
    if (rc == 0 || rc == MR_EAPP)
        coord__failure_note(c, task, rep->attempt, conn, error, rep->signal,
                            rep->stderr_tail);
    return rc;
}

void
coord__report_reply(coord *c, const struct waiter *w, Mr__Task *next)
{
    Mr__ReportReply reply = MR__REPORT_REPLY__INIT;

    reply.accepted = w->accepted;
    reply.job_over = c->ended;
    reply.outcome = coord__outcome(c);
    if (reply.outcome == MR__JOB_OUTCOME__OUTCOME_FAILED)
        reply.why = (char *)coord_error(c);
    reply.next = next;
    w->report_closure(&reply, w->call);
}

void
coord__answer_report(coord *c, rpc_call *call,
                     Mr__ReportReply_Closure closure, struct coord_task *task,
                     bool accepted, const Mr__TaskRequest *ask)
{
    struct waiter w = {.call = call, .report_closure = closure,
                       .accepted = accepted};

    /* The job's end (its commit) comes before anyone hears it is over. */
    if (tasks_are_over(&c->tasks))
        coord__end_job(c);
    if (task != NULL)
        coord__settle_timer(c, task);
    if (ask != NULL)
        coord__ask(c, &w, ask->local);
    else
        coord__report_reply(c, &w, NULL);
}

/* The first completion of task, by rep: its figures, counters and output
 * are the job's, and the journal records it. */
static void
take_completion(coord *c, struct coord_task *task, const Mr__TaskReport *rep,
                uint64_t conn)
{
    struct member *m = members_find(&c->members, conn);

    count_report(c, rep);
    if (m != NULL)
        m->tasks_done++;
    if (task->kind == KIND_MAP) {
        coord__output_done(c, task->id, conn, rep);
        if (task->state == TASK_DONE) {
            coord__counters_take(c, task, rep);
            coord__journal_map_done(c, task->id);
        }
    } else {
        coord__counters_take(c, task, rep);
        coord__journal_reduce_done(c, task->id, rep);
    }
}

/* Whether rep is of an attempt that an earlier coordinator of this job
 * handed out, before it was restarted. */
static bool
is_late(const coord *c, const struct coord_task *task,
        const Mr__TaskReport *rep)
{
    return task != NULL && rep->ok && rep->attempt > 0 &&
           rep->attempt <= c->tasks.attempt_base;
}

void
coord__report_task(Mr__Coordinator_Service *service,
                  const Mr__TaskReport *rep, Mr__ReportReply_Closure closure,
                  void *closure_data)
{
    coord *c = (coord *)service;
    struct coord_task *task = NULL;
    uint64_t conn = rpc_call_conn_id(closure_data);
    char why[160], error[256];
    int rc;

    coord__heard(c, conn);

    if (rep->kind == MR__TASK_KIND__TASK_MAP ||
        rep->kind == MR__TASK_KIND__TASK_REDUCE)
        task = tasks_find(&c->tasks, rep->kind == MR__TASK_KIND__TASK_MAP
                                         ? KIND_MAP : KIND_REDUCE, rep->id);
    rc = check_report(task, rep, conn, why, sizeof(why));
    if (rc == -EPERM && is_late(c, task, rep) &&
        members_find(&c->members, conn) == NULL) {
        /* A worker whose client reconnected by itself, to a coordinator
         * restarted meanwhile: it joins, then reports again. */
        mr_log_limited(&c->refusal_log, MR_LOG_INFO, "a report of %s task "
                       "%u from connection %llu, which has not joined: asked "
                       "to join first", task_kind_name(task->kind), task->id,
                       (unsigned long long)conn);
        rpc_call_fail(closure_data, -EPERM, "join the job first (Join)");
        return;
    }
    if (rc == -EPERM && is_late(c, task, rep)) {
        rc = coord__resume_late(c, task, rep);
    } else if (rc != 0) {
        coord__log_refusal(c, conn, "a task report", why);
        rpc_call_fail(closure_data, rc, "%s", why);
        return;
    } else if (rep->ok) {
        rc = tasks_complete(&c->tasks, task, rep->attempt, conn,
                            rpc_monotonic_ms());
    } else if (task->owner != conn) {
        rc = MR_ESTALE;         /* only the worker running it may fail it */
    } else if (task->kind == KIND_REDUCE && rep->n_lost_maps > 0) {
        coord__printable(rep->error, error, sizeof(error));
        rc = refetch(c, task, rep, error);
    } else if (task->kind == KIND_REDUCE && rep->bad_input) {
        coord__printable(rep->error, error, sizeof(error));
        rc = redo_map(c, task, rep, error);
    } else {
        coord__printable(rep->error, error, sizeof(error));
        rc = fail_attempt(c, task, rep, error);
    }
    if (rc == 0 && rep->ok)
        take_completion(c, task, rep, conn);
    if (rc != MR_ESTALE)
        coord__progress(c);
    /* A completion is answered once the journal holds it, and while one
     * waits, so is every other report: none may hear the job is over
     * before its commit. */
    if (coord__journal_hold(c, closure_data, closure, task,
                            rep->ok && rc == 0, rep->ask))
        return;
    coord__answer_report(c, closure_data, closure, task, rep->ok && rc == 0,
                         rep->ask);
    coord__dispatch(c);
}
