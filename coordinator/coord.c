/* The coordinator's service: its life cycle, the GetTask handler, deadline
 * timers, the queue of workers waiting for a task (a GetTask's ask, or a
 * report's that wants the next task: coord__ask) and the timer that wakes
 * it when a straggler is due a backup, around the state machine in
 * tasks.c. Joining is in coord_join.c, task reports in
 * coord_report.c, the job's end in coord_end.c. */
#define _GNU_SOURCE
#include "coord_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"
#include "names.h"
#include "printable.h"

/* Requests (a task report is under 1 KiB, a join under 10 KiB) are refused
 * past this, so that connections at the cap hold at most max_conns times
 * this in partial requests. Replies (a reduce task names every map) may
 * reach the RPC default. */
#define COORD_MAX_REQUEST (64u << 10)

static coord *
coord_of(Mr__Coordinator_Service *service)
{
    return (coord *)service;
}

/* The task table checks itself after every change (tasks.c: checked()). */
void
coord__progress(coord *c)
{
    coord__phase_clock(c);
    if (c->on_progress != NULL)
        c->on_progress(c, c->arg);
}

const char *
coord__printable(const char *text, char *buf, size_t len)
{
    return printable_copy(text, buf, len);
}

void
coord__log_refusal(coord *c, uint64_t conn, const char *what,
                   const char *why)
{
    mr_log_limited(&c->refusal_log, MR_LOG_WARN,
                   "refused %s from connection %llu: %s", what,
                   (unsigned long long)conn, why);
}

/* ---------------------------------------------------------------- timers */

static struct deadline *
deadline_of(coord *c, const struct coord_task *task)
{
    return task->kind == KIND_MAP ? &c->map_deadlines[task->id]
                                  : &c->reduce_deadlines[task->id];
}

/* A task's deadline is its worker's last sign of life (the hand-out, or
 * its last heartbeat) plus the silence allowed, c->tasks.timeout_ms (the
 * silence rule in coord.h). A heartbeat moves the deadline without
 * touching the timer: when the timer fires before the deadline (moved on
 * since, or the clock's rounding), it waits for the rest. */
static void
on_deadline(rpc_loop *loop, void *arg)
{
    struct deadline *d = arg;
    struct coord_task *task = d->task;
    uint64_t owner = task->owner, deadline = task->deadline;
    uint64_t now = rpc_monotonic_ms();
    char why[96];

    d->timer = NULL;
    if (tasks_expire(&d->c->tasks, task, now)) {
        snprintf(why, sizeof(why), "its worker fell silent for %llu ms; "
                 "reassigned", (unsigned long long)(now - deadline +
                                                    d->c->tasks.timeout_ms));
        mr_warn("%s task %u (attempt %u) missed its deadline: its worker "
                "(pid %u) was silent %llu ms; reassigning",
                task_kind_name(task->kind), task->id, task->running_attempt,
                coord__pid_of(d->c, owner),
                (unsigned long long)(now - deadline +
                                     d->c->tasks.timeout_ms));
        coord__failure_note(d->c, task, task->running_attempt, owner, why, 0,
                            NULL);
        coord__progress(d->c);
        coord__dispatch(d->c);
    } else if (task->state == TASK_RUNNING && !tasks_are_over(&d->c->tasks)
               && now < task->deadline) {
        d->timer = rpc_loop_timer_add(loop, task->deadline - now,
                                      on_deadline, d);
    }
}

void
coord__settle_timer(coord *c, struct coord_task *task)
{
    struct deadline *d = deadline_of(c, task);

    if (task->state != TASK_RUNNING && d->timer != NULL) {
        rpc_loop_timer_cancel(c->loop, d->timer);
        d->timer = NULL;
    }
}

/* A task whose worker went away (tasks_release_owner): its timer goes,
 * and its lost attempt is recorded, the worker still known by its
 * connection, which owned it. */
struct lost_with {
    coord *c;
    uint64_t conn;
};

static void
lost_each(struct coord_task *task, void *arg)
{
    struct lost_with *l = arg;

    coord__settle_timer(l->c, task);
    coord__failure_note(l->c, task, task->running_attempt, l->conn,
                        "its worker went away while running it (killed, "
                        "exited or cut off)", 0, NULL);
}

/* ---------------------------------------------------------------- replies */

Mr__JobOutcome
coord__outcome(const coord *c)
{
    /* Known once the job has ended: committed, or its files given up. */
    if (!c->ended)
        return MR__JOB_OUTCOME__OUTCOME_NONE;
    return c->tasks.phase == PHASE_DONE ? MR__JOB_OUTCOME__OUTCOME_DONE
                                        : MR__JOB_OUTCOME__OUTCOME_FAILED;
}

/* Answers the ask w with t: GetTask's reply, or the report's, t its next
 * task. */
static void
answer(coord *c, const struct waiter *w, Mr__Task *t)
{
    if (w->closure != NULL)
        w->closure(t, w->call);
    else
        coord__report_reply(c, w, t);
}

static void
reply_exit(coord *c, const struct waiter *w)
{
    Mr__Task t = MR__TASK__INIT;

    t.kind = MR__TASK_KIND__TASK_EXIT;
    t.job_id = c->job_id;
    t.outcome = coord__outcome(c);
    if (t.outcome == MR__JOB_OUTCOME__OUTCOME_FAILED)
        t.why = (char *)coord_error(c);
    else if (c->stopping)       /* NONE: not over, to be resumed */
        t.why = (char *)COORD_STOPPED_WHY;
    answer(c, w, &t);
}

void
coord__heard(coord *c, uint64_t conn)
{
    struct member *m = members_find(&c->members, conn);

    if (m != NULL)
        m->heard_ms = rpc_monotonic_ms();
}

uint32_t
coord__pid_of(const coord *c, uint64_t conn)
{
    const struct member *m = members_find(&c->members, conn);

    return m != NULL ? m->pid : 0;
}

/* Answers w with task, which was just assigned, and arms its deadline. */
static void
reply_task(coord *c, struct coord_task *task, const struct waiter *w)
{
    struct deadline *d = deadline_of(c, task);
    Mr__Task t = MR__TASK__INIT;
    bool packed = false;

    t.id = task->id;
    t.attempt = task->attempts;
    t.n_reduce = c->tasks.nreduce;
    t.n_map = c->tasks.nmap;
    t.job_id = c->job_id;
    if (task->kind == KIND_MAP) {
        uint32_t n;
        const struct split *s = coord__map_splits(c, task->id, &n);
        t.kind = MR__TASK_KIND__TASK_MAP;
        t.serve_outputs = c->networked || c->has_local;
        if (n > 1) {            /* packed: Task.parts, the rest empty */
            packed = true;
            if (coord__task_parts(c, task->id, &t) < 0)
                mr_warn("out of memory for map task %u's inputs: its "
                        "worker gets an empty task", task->id);
        } else {
            t.file = (char *)s->file;
            t.path = s->path ? s->path : (char *)"";
            t.whole = s->whole;
            t.offset = s->offset;
            t.length = s->length;
            t.input_size = s->file_size;
            if (c->skips.on)
                t.n_skip = skips_of(&c->skips, task->id,
                                    &t.skip);
        }
        if (c->skips.on)
            t.one_line_at_a_time = skips_has_suspect(&c->skips, task->id);
    } else {
        t.kind = MR__TASK_KIND__TASK_REDUCE;
        coord__map_attempts_fill(c, &t);
        coord__outputs_fill(c, &t);
    }
    mr_debug("%s task %u attempt %u -> connection %llu (worker pid %u)%s",
             task_kind_name(task->kind), task->id, task->attempts,
             (unsigned long long)task->owner, coord__pid_of(c, task->owner),
             t.one_line_at_a_time ? ", one line at a time" : "");
    /* A backup attempt finds its task's timer armed: one timer per task. */
    rpc_loop_timer_cancel(c->loop, d->timer);
    d->timer = rpc_loop_timer_add(c->loop, c->tasks.timeout_ms, on_deadline,
                                  d);
    answer(c, w, &t);
    if (packed)
        coord__task_parts_free(&t);
}

/* ---------------------------------------------------------------- backups */

/* A duration for a log line: "850 ms", "2.1 s". */
static const char *
format_ms(uint64_t ms, char *buf, size_t len)
{
    if (ms < 1000)
        snprintf(buf, len, "%llu ms", (unsigned long long)ms);
    else
        snprintf(buf, len, "%.1f s", (double)ms / 1000.0);
    return buf;
}

/* "map task 3 has run 2.1 s, 3.0x the median 700 ms: backup attempt 2 ->
 * worker pid N", for a backup just handed out at now (a median under 1 ms
 * counts as 1 ms in the ratio). */
static void
log_backup(coord *c, const struct coord_task *task, uint64_t now)
{
    uint64_t median = 0, ran = now - task->backed_up.started;
    char ran_text[32], median_text[32];

    tasks_median_ms(&c->tasks, task->kind, &median);
    mr_info("%s task %u has run %s, %.1fx the median %s: backup attempt %u "
            "-> worker pid %u", task_kind_name(task->kind), task->id,
            format_ms(ran, ran_text, sizeof(ran_text)),
            (double)ran / (double)(median ? median : 1),
            format_ms(median, median_text, sizeof(median_text)),
            task->running_attempt, coord__pid_of(c, task->owner));
}

/* The task for the worker on conn: the oldest IDLE one, else a backup
 * attempt of a straggler; NULL when there is neither. */
static struct coord_task *
next_task(coord *c, uint64_t conn)
{
    uint64_t now = rpc_monotonic_ms();
    struct coord_task *task = tasks_assign(&c->tasks, now, conn);

    if (task == NULL &&
        (task = tasks_assign_backup(&c->tasks, now, conn)) != NULL)
        log_backup(c, task, now);
    return task;
}

static void
on_backup_due(rpc_loop *loop, void *arg)
{
    coord *c = arg;

    (void)loop;
    c->backup_timer = NULL;
    coord__dispatch(c);
}

/* A task becomes a straggler as time passes, with no event to say so:
 * while workers wait and the job runs, a timer wakes dispatch when the
 * next one is due a backup (tasks_backup_due); none otherwise. A wake with
 * nobody left waiting does nothing. */
static void
arm_backup_timer(coord *c)
{
    uint64_t now = rpc_monotonic_ms(), due;

    rpc_loop_timer_cancel(c->loop, c->backup_timer);
    c->backup_timer = NULL;
    if (c->waiters == NULL || tasks_are_over(&c->tasks) || c->stopping ||
        (due = tasks_backup_due(&c->tasks, now)) == 0)
        return;
    c->backup_timer = rpc_loop_timer_add(c->loop, due - now, on_backup_due,
                                         c);
}

/* ---------------------------------------------------------------- drain */

/* Says once that the job is over and drained. */
static void
drained(coord *c)
{
    if (c->drained)
        return;
    c->drained = true;
    rpc_loop_timer_cancel(c->loop, c->drain_timer);
    c->drain_timer = NULL;
    if (c->on_over != NULL)
        c->on_over(c, c->arg);
}

static void
on_drain_timeout(rpc_loop *loop, void *arg)
{
    coord *c = arg;

    (void)loop;
    c->drain_timer = NULL;
    drained(c);
}

/* Once the job is over (or stopped), workers still connected are told to
 * exit as they ask; it is drained when the last one hangs up, or after
 * COORD_DRAIN_MS (a worker busy with a stale attempt is not waited for). */
void
coord__drain(coord *c)
{
    if (!c->draining) {
        c->draining = true;
        c->drain_timer = rpc_loop_timer_add(c->loop, COORD_DRAIN_MS,
                                            on_drain_timeout, c);
    }
    if (rpc_server_connections(c->srv) == 0)
        drained(c);
}

/* Serves waiting workers while tasks are free (backup attempts included);
 * once the job is over, ends it (commit or clean-up) before telling them
 * all to exit, then drains. */
void
coord__dispatch(coord *c)
{
    if (coord__journal_pending(c))
        return;                 /* the sync dispatches */
    if (tasks_are_over(&c->tasks))
        coord__end_job(c);
    while (c->waiters != NULL) {
        struct waiter *w = c->waiters;
        struct coord_task *task = NULL;

        /* Stopping, idle workers wait for the stop's end: their shuffle
         * servers may still feed the reduces that run. */
        if (c->stopping && !c->stopped)
            break;
        if (!tasks_are_over(&c->tasks) && !c->stopping &&
            rpc_call_is_live(w->call)) {
            task = next_task(c, rpc_call_conn_id(w->call));
            if (task == NULL)
                break;
        }
        c->waiters = w->next;
        if (c->waiters == NULL)
            c->waiters_tail = &c->waiters;
        if (task != NULL) {
            reply_task(c, task, w);
            coord__progress(c);
        } else {
            reply_exit(c, w);   /* over, or caller gone */
        }
        free(w);
    }
    arm_backup_timer(c);
    if (tasks_are_over(&c->tasks) || c->stopped)
        coord__drain(c);
    else
        coord__stop_check(c);
}

/* ---------------------------------------------------------------- tasks */

void
coord__ask(coord *c, const struct waiter *ask, bool local)
{
    struct coord_task *task;
    struct waiter *w;

    if (local && !c->has_local) {
        /* From now on, workers that write the private directory serve
         * what they map: this one cannot read it there. */
        mr_info("a worker keeps its files on its own disk: map outputs "
                "are served from now on");
        c->has_local = true;
    }
    /* A report held for the journal's sync is answered after its worker
     * may have hung up (on_disconnect released its tasks and dropped its
     * queued asks, not this one): a task handed to it would sit RUNNING,
     * owned by no one, until its deadline. */
    if (c->ended || c->stopped || !rpc_call_is_live(ask->call) ||
        members_find(&c->members, rpc_call_conn_id(ask->call)) == NULL) {
        reply_exit(c, ask);
        return;
    }
    task = c->waiters == NULL && !coord__journal_pending(c) && !c->stopping
               ? next_task(c, rpc_call_conn_id(ask->call))
               : NULL;
    if (task != NULL) {
        reply_task(c, task, ask);
        coord__progress(c);
        return;
    }
    w = malloc(sizeof(*w));
    if (w == NULL) {
        rpc_call_fail(ask->call, -ENOMEM, "coordinator out of memory");
        return;
    }
    *w = *ask;
    w->next = NULL;
    *c->waiters_tail = w;
    c->waiters_tail = &w->next;
    arm_backup_timer(c);
}

static void
coord_get_task(Mr__Coordinator_Service *service, const Mr__TaskRequest *req,
               Mr__Task_Closure closure, void *closure_data)
{
    coord *c = coord_of(service);
    rpc_call *call = closure_data;
    uint64_t conn = rpc_call_conn_id(call);
    struct waiter ask = {.call = call, .closure = closure};

    if (members_find(&c->members, conn) == NULL) {
        coord__log_refusal(c, conn, "a task request", "it did not join");
        rpc_call_fail(call, -EPERM, "join the job first (Join): is this "
                      "worker of an older build?");
        return;
    }
    coord__heard(c, conn);
    coord__ask(c, &ask, req->local);
}

static void
on_disconnect(uint64_t conn_id, void *arg)
{
    coord *c = arg;
    struct lost_with lw = {c, conn_id};
    size_t n = tasks_release_owner(&c->tasks, conn_id, lost_each, &lw);
    /* Stopped, the journal is closed and workers leave as told: the next
     * start runs their maps again (coord_stop). */
    uint32_t lost = c->stopped ? 0 : coord__outputs_lost_with(c, conn_id);
    struct waiter **link = &c->waiters;

    members_remove(&c->members, conn_id);
    coord__drop_uploads(c, conn_id);
    /* Held asks (GetTask calls, reports) of this connection go nowhere
     * now: drop them. */
    while (*link != NULL) {
        struct waiter *w = *link;
        if (rpc_call_conn_id(w->call) != conn_id) {
            link = &w->next;
            continue;
        }
        *link = w->next;
        reply_exit(c, w);
        free(w);
    }
    c->waiters_tail = link;
    while (*c->waiters_tail != NULL)
        c->waiters_tail = &(*c->waiters_tail)->next;
    if (c->draining) {
        coord__drain(c);
        return;
    }
    if (n > 0)
        mr_warn("a worker disconnected while running a task; %s",
                tasks_are_over(&c->tasks) ? "that was one time too many"
                                          : "reassigning");
    if (n > 0 || lost > 0) {
        coord__progress(c);
        coord__dispatch(c);
    }
}

/* ---------------------------------------------------------------- setup */

static struct deadline *
deadlines_create(coord *c, struct coord_task *tasks, uint32_t n)
{
    struct deadline *d = calloc(n ? n : 1, sizeof(*d));

    for (uint32_t i = 0; d != NULL && i < n; i++) {
        d[i].c = c;
        d[i].task = &tasks[i];
    }
    return d;
}

/* A fresh job id: MR_JOB_ID_LEN random hex digits. */
static int
new_job_id(char id[MR_JOB_ID_LEN + 1])
{
    unsigned char bytes[MR_JOB_ID_LEN / 2];

    if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t)sizeof(bytes))
        return -errno;
    for (size_t i = 0; i < sizeof(bytes); i++)
        snprintf(id + 2 * i, 3, "%02x", bytes[i]);
    return 0;
}

static void
set_app(coord *c, const struct coord_app *app)
{
    c->app.known = true;
    c->app.named = true;
    snprintf(c->app.name, sizeof(c->app.name), "%s", app->name);
    c->app.abi = app->abi;
    memcpy(c->app.digest, app->digest, MR_APP_DIGEST_LEN);
    snprintf(c->app.path, sizeof(c->app.path), "%s", app->path);
}

coord *
coord_create(rpc_loop *loop, const char *const *files, uint32_t nfiles,
             const struct coord_opts *opts, char err[MR_ERR_LEN])
{
    coord *c = calloc(1, sizeof(*c));
    struct rpc_server_opts sopts = {.on_disconnect = on_disconnect,
                                    .arg = c,
                                    .max_conns = opts->max_conns,
                                    .max_request = COORD_MAX_REQUEST,
                                    .token = opts->token,
                                    .token_len = opts->token_len};
    uint64_t timeout;
    uint32_t nmap;

    if (c == NULL) {
        snprintf(err, MR_ERR_LEN, "out of memory");
        return NULL;
    }
    c->service = (Mr__Coordinator_Service){MR__COORDINATOR__BASE_INIT,
                                           coord_get_task, coord__report_task,
                                           coord__join, coord__read_input,
                                           coord__put_output, coord__get_app,
                                           coord__heartbeat, coord__status};
    c->loop = loop;
    c->waiters_tail = &c->waiters;
    c->on_progress = opts->on_progress;
    c->on_over = opts->on_over;
    c->arg = opts->arg;
    c->inputs = files;
    c->ninputs = nfiles;
    c->output_dir = opts->output_dir;
    c->fresh = opts->fresh;
    c->stop_grace_ms = opts->stop_grace_ms ? opts->stop_grace_ms
                                           : COORD_DEFAULT_STOP_GRACE_MS;
    c->split_size = opts->split_size ? opts->split_size : SPLIT_DEFAULT_SIZE;
    skips_init(&c->skips, opts->skip_bad_records,
               opts->max_skipped_given ? opts->max_skipped
                                       : SKIPS_DEFAULT_MAX);
    c->started = time(NULL);
    c->start_ms = rpc_monotonic_ms();
    if (opts->app != NULL)
        set_app(c, opts->app);
    if (opts->app_file != NULL && coord__app_serve(c, opts->app_file,
                                                   err) < 0)
        goto out_free;
    if (new_job_id(c->job_id) < 0) {
        snprintf(err, MR_ERR_LEN, "cannot draw a job id: %s",
                 strerror(errno));
        goto out_free;
    }
    if (splits_plan(files, nfiles, c->split_size, &c->splits, &nmap,
                    &c->stats.input_bytes, err) < 0)
        goto out_free;
    c->nsplits = nmap;
    c->min_split_size = opts->min_split_size;
    if (packs_plan(c->splits, c->nsplits, c->min_split_size, &c->packs,
                   &nmap) < 0)
        goto out_nomem;
    c->npacks = c->packs != NULL ? nmap : 0;
    c->unseen = splits_count_whole(c->splits, c->nsplits, &c->unseen_first);
    timeout = opts->task_timeout_ms ? opts->task_timeout_ms
                                    : COORD_DEFAULT_TIMEOUT_MS;
    c->heartbeat_ms = coord_heartbeat_ms(timeout);
    /* tasks_assign's deadline: the hand-out plus the silence allowed. */
    if (tasks_init(&c->tasks, nmap,
                   opts->nreduce ? opts->nreduce : COORD_DEFAULT_NREDUCE,
                   coord_silence_ms(timeout),
                   opts->max_failures ? opts->max_failures
                                      : COORD_DEFAULT_MAX_FAILURES,
                   opts->max_lost ? opts->max_lost
                                  : COORD_DEFAULT_MAX_LOST) < 0)
        goto out_nomem;
    c->tasks.describe = coord__describe;
    c->tasks.describe_arg = c;
    c->map_deadlines = deadlines_create(c, c->tasks.maps, c->tasks.nmap);
    c->reduce_deadlines = deadlines_create(c, c->tasks.reduces,
                                           c->tasks.nreduce);
    if (c->map_deadlines == NULL || c->reduce_deadlines == NULL ||
        coord__map_attempts_init(c, nmap) < 0 ||
        coord__outputs_init(c, nmap) < 0 ||
        job_counters_init(&c->counters, nmap + c->tasks.nreduce) < 0)
        goto out_nomem;
    c->srv = rpc_server_create(loop, &c->service.base, &sopts, err);
    if (c->srv == NULL)
        goto out_free;
    return c;
out_nomem:
    snprintf(err, MR_ERR_LEN, "out of memory");
out_free:
    coord_free(c);
    return NULL;
}

int
coord_listen(coord *c, const char *addr, char *bound, size_t boundlen,
             char err[MR_ERR_LEN])
{
    int rc = rpc_server_listen(c->srv, addr, bound, boundlen, err);

    if (rc == 0 && strncmp(addr, "tcp:", 4) == 0)
        c->networked = true;
    return rc;
}

int
coord_adopt(coord *c, int fd)
{
    return rpc_server_adopt(c->srv, fd);
}

int
coord_start(coord *c, char err[MR_ERR_LEN])
{
    if (c->output_dir == NULL)
        return 0;
    return coord__take_dir(c, c->output_dir, err);
}

void
coord_abort(coord *c, const char *why)
{
    if (c->ended || c->stopped)
        return;                 /* stopped: the journal stays, resumable */
    if (c->stopping) {
        coord__stop_now(c);     /* the stop ends now, still resumable */
        return;
    }
    /* A job already DONE (its commit waits for the journal's sync) is
     * committed, not failed. */
    if (!tasks_are_over(&c->tasks)) {
        snprintf(c->why_failed, sizeof(c->why_failed), "%s", why);
        tasks_end_failed(&c->tasks);
    }
    coord__dispatch(c);
}

void
coord_interrupt(coord *c, const char *why)
{
    if (!tasks_are_over(&c->tasks) && !c->stopping)
        c->interrupted = true;
    coord_abort(c, why);
}

void
coord_status(const coord *c, struct coord_status *st)
{
    const struct coord_tasks *t = &c->tasks;
    static const enum coord_phase phases[] = {
        [PHASE_MAP] = COORD_MAPPING, [PHASE_REDUCE] = COORD_REDUCING,
        [PHASE_DONE] = COORD_DONE, [PHASE_FAILED] = COORD_FAILED};

    memset(st, 0, sizeof(*st));
    memcpy(st->job_id, c->job_id, sizeof(st->job_id));
    st->phase = phases[t->phase];
    st->over = c->ended;
    st->nmap = t->nmap;
    st->nreduce = t->nreduce;
    st->maps_done = t->maps_done;
    st->maps_running = t->running[KIND_MAP];
    st->reduces_done = t->reduces_done;
    st->reduces_running = t->running[KIND_REDUCE];
    st->unseen_inputs = c->unseen;
    st->unseen_first = c->unseen_first;
    st->reassigned = t->reassigned;
    st->failed = t->failed;
    st->backups = t->backups;
    st->backups_won = t->backups_won;
    st->input_bytes = c->stats.input_bytes;
    st->map_bytes_in = c->stats.map_bytes_in;
    st->map_records = c->stats.map_records;
    st->im_bytes = c->stats.im_bytes;
    st->out_bytes = c->stats.out_bytes;
    st->out_keys = c->stats.out_keys;
    st->workers = c->members.joined;
}

const char *
coord_dir(const coord *c)
{
    return c->dir[0] ? c->dir : NULL;
}

int
coord_result(const coord *c)
{
    return c->tasks.phase == PHASE_DONE ? 0 : MR_EAPP;
}

const char *
coord_error(const coord *c)
{
    if (c->final_error[0] != '\0')
        return c->final_error;
    if (c->why_failed[0] != '\0')
        return c->why_failed;
    if (c->tasks.why_failed[0] != '\0')
        return c->tasks.why_failed;
    return c->tasks.phase == PHASE_DONE ? "no error" : "the job is not over";
}

void
coord_free(coord *c)
{
    if (c == NULL)
        return;
    while (c->waiters != NULL) {
        struct waiter *w = c->waiters;
        c->waiters = w->next;
        reply_exit(c, w);
        free(w);
    }
    coord__journal_end(c);
    rpc_server_free(c->srv);
    rpc_loop_timer_cancel(c->loop, c->drain_timer);
    rpc_loop_timer_cancel(c->loop, c->backup_timer);
    rpc_loop_timer_cancel(c->loop, c->stop_timer);
    for (uint32_t i = 0; c->map_deadlines && i < c->tasks.nmap; i++)
        rpc_loop_timer_cancel(c->loop, c->map_deadlines[i].timer);
    for (uint32_t i = 0; c->reduce_deadlines && i < c->tasks.nreduce; i++)
        rpc_loop_timer_cancel(c->loop, c->reduce_deadlines[i].timer);
    coord__drop_uploads(c, 0);
    jobdir_abandon(c->jd);      /* a job that never ended, as if crashed */
    packs_free(c->packs, c->npacks);
    splits_free(c->splits, c->nsplits);
    tasks_free(&c->tasks);
    members_free(&c->members);
    failures_free(&c->failures);
    skips_free(&c->skips);
    free(c->map_deadlines);
    free(c->reduce_deadlines);
    coord__map_attempts_free(c);
    coord__outputs_free(c);
    job_counters_free(&c->counters);
    free(c);
}
