/* The coordinator's service: RPC handlers, deadline timers and the queue of
 * workers waiting for a task, around the state machine in tasks.c. */
#define _GNU_SOURCE
#include "coord.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "mr.pb-c.h"
#include "names.h"
#include "rpc.h"
#include "splits.h"
#include "tasks.h"

/* A worker's GetTask call, held until a task is free. */
struct waiter {
    rpc_call *call;
    Mr__Task_Closure closure;
    struct waiter *next;
};

/* Figures from accepted reports, for the summary. */
struct coord_stats {
    uint64_t input_bytes;       /* total size of the input files */
    uint64_t map_bytes_in;      /* from accepted map reports */
    uint64_t map_records;       /* pairs emitted by accepted maps */
    uint64_t im_bytes;          /* intermediate bytes of accepted maps */
    uint64_t out_bytes;         /* output bytes of accepted reduces */
    uint64_t out_keys;          /* output lines of accepted reduces */
};

/* The deadline timer of one task's running attempt. */
struct deadline {
    coord *c;
    struct coord_task *task;
    rpc_timer *timer;           /* armed while the task is RUNNING */
};

struct coord {
    Mr__Coordinator_Service service;    /* first: handlers cast back */
    rpc_loop *loop;
    rpc_server *srv;
    struct split *splits;       /* one per map task */
    struct coord_tasks tasks;
    struct deadline *map_deadlines, *reduce_deadlines;
    struct waiter *waiters, **waiters_tail;
    struct coord_stats stats;
    uint32_t *map_attempts;     /* scratch for reduce Task messages */
    void (*on_progress)(coord *c, void *arg);
    void (*on_over)(coord *c, void *arg);
    void *arg;
    uint64_t refused;           /* reports refused since the last line
                                   about them */
    uint64_t last_refusal_log;  /* ms: refusals are logged once a second */
    bool draining;              /* over: telling the last workers to exit */
    bool drained;               /* on_over has been called */
    rpc_timer *drain_timer;     /* caps how long draining lasts */
    char why_aborted[MR_ERR_LEN];
};

/* Requests (a task report is under 1 KiB) are refused past this, so that
 * connections at the cap hold at most max_conns times this in partial
 * requests. Replies (a reduce task names every map) may reach the RPC
 * default. */
#define COORD_MAX_REQUEST (64u << 10)

static coord *
coord_of(Mr__Coordinator_Service *service)
{
    return (coord *)service;
}

static void
progress(coord *c)
{
    assert(tasks_check(&c->tasks));
    if (c->on_progress != NULL)
        c->on_progress(c, c->arg);
}

/* ---------------------------------------------------------------- timers */

static struct deadline *
deadline_of(coord *c, const struct coord_task *task)
{
    return task->kind == KIND_MAP ? &c->map_deadlines[task->id]
                                  : &c->reduce_deadlines[task->id];
}

static void dispatch(coord *c);

static void
on_deadline(rpc_loop *loop, void *arg)
{
    struct deadline *d = arg;
    struct coord_task *task = d->task;

    uint64_t now = rpc_monotonic_ms();

    d->timer = NULL;
    if (tasks_expire(&d->c->tasks, task, now)) {
        mr_warn("%s task %u (attempt %u) missed its deadline; reassigning",
                task_kind_name(task->kind), task->id, task->running_attempt);
        progress(d->c);
        dispatch(d->c);
    } else if (task->state == TASK_RUNNING && !tasks_are_over(&d->c->tasks)
               && now < task->deadline) {
        /* Woken early by the clock's rounding: wait for the rest. */
        d->timer = rpc_loop_timer_add(loop, task->deadline - now,
                                      on_deadline, d);
    }
}

/* Disarms the timer of a task that is no longer RUNNING. */
static void
settle_timer(coord *c, struct coord_task *task)
{
    struct deadline *d = deadline_of(c, task);

    if (task->state != TASK_RUNNING && d->timer != NULL) {
        rpc_loop_timer_cancel(c->loop, d->timer);
        d->timer = NULL;
    }
}

static void
settle_each(struct coord_task *task, void *arg)
{
    settle_timer(arg, task);
}

/* ---------------------------------------------------------------- replies */

static void
reply_exit(rpc_call *call, Mr__Task_Closure closure)
{
    Mr__Task t = MR__TASK__INIT;

    t.kind = MR__TASK_KIND__TASK_EXIT;
    closure(&t, call);
}

/* Answers call with task, which was just assigned, and arms its deadline. */
static void
reply_task(coord *c, struct coord_task *task, rpc_call *call,
           Mr__Task_Closure closure)
{
    struct deadline *d = deadline_of(c, task);
    Mr__Task t = MR__TASK__INIT;

    t.id = task->id;
    t.attempt = task->attempts;
    t.n_reduce = c->tasks.nreduce;
    t.n_map = c->tasks.nmap;
    if (task->kind == KIND_MAP) {
        t.kind = MR__TASK_KIND__TASK_MAP;
        t.file = (char *)c->splits[task->id].file;
        t.offset = c->splits[task->id].offset;
        t.length = c->splits[task->id].length;
    } else {
        t.kind = MR__TASK_KIND__TASK_REDUCE;
        for (uint32_t i = 0; i < c->tasks.nmap; i++)
            c->map_attempts[i] = c->tasks.maps[i].done_attempt;
        t.map_attempts = c->map_attempts;
        t.n_map_attempts = c->tasks.nmap;
    }
    mr_debug("%s task %u attempt %u -> connection %llu",
             task_kind_name(task->kind), task->id, task->attempts,
             (unsigned long long)task->owner);
    d->timer = rpc_loop_timer_add(c->loop, c->tasks.timeout_ms, on_deadline,
                                  d);
    closure(&t, call);
}

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

/* Once the job is over, workers still connected are told to exit as they
 * ask; it is drained when the last one hangs up, or after COORD_DRAIN_MS
 * (a worker busy with a stale attempt is not waited for). */
static void
drain(coord *c)
{
    if (!c->draining) {
        c->draining = true;
        c->drain_timer = rpc_loop_timer_add(c->loop, COORD_DRAIN_MS,
                                            on_drain_timeout, c);
    }
    if (rpc_server_connections(c->srv) == 0)
        drained(c);
}

/* Serves waiting workers while tasks are free; once the job is over, tells
 * them all to exit and drains. */
static void
dispatch(coord *c)
{
    while (c->waiters != NULL) {
        struct waiter *w = c->waiters;
        struct coord_task *task = NULL;

        if (!tasks_are_over(&c->tasks) && rpc_call_is_live(w->call)) {
            task = tasks_assign(&c->tasks, rpc_monotonic_ms(),
                                rpc_call_conn_id(w->call));
            if (task == NULL)
                break;
        }
        c->waiters = w->next;
        if (c->waiters == NULL)
            c->waiters_tail = &c->waiters;
        if (task != NULL) {
            reply_task(c, task, w->call, w->closure);
            progress(c);
        } else {
            reply_exit(w->call, w->closure);  /* over, or caller gone */
        }
        free(w);
    }
    if (tasks_are_over(&c->tasks))
        drain(c);
}

/* ---------------------------------------------------------------- handlers */

static void
coord_get_task(Mr__Coordinator_Service *service, const Mr__TaskRequest *req,
               Mr__Task_Closure closure, void *closure_data)
{
    coord *c = coord_of(service);
    rpc_call *call = closure_data;
    struct coord_task *task;
    struct waiter *w;

    (void)req;
    if (tasks_are_over(&c->tasks)) {
        reply_exit(call, closure);
        return;
    }
    task = c->waiters == NULL
               ? tasks_assign(&c->tasks, rpc_monotonic_ms(),
                              rpc_call_conn_id(call))
               : NULL;
    if (task != NULL) {
        reply_task(c, task, call, closure);
        progress(c);
        return;
    }
    w = malloc(sizeof(*w));
    if (w == NULL) {
        rpc_call_fail(call, -ENOMEM, "coordinator out of memory");
        return;
    }
    w->call = call;
    w->closure = closure;
    w->next = NULL;
    *c->waiters_tail = w;
    c->waiters_tail = &w->next;
}

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

/* Answers a report that is not believed with an error, changing nothing,
 * and logs it: one line a second at most, so that a flood of them cannot
 * flood the log. */
static void
refuse_report(coord *c, rpc_call *call, int status, const char *why)
{
    uint64_t now = rpc_monotonic_ms();

    if (now - c->last_refusal_log >= 1000) {
        if (c->refused > 0)
            mr_warn("refused a task report from connection %llu: %s (and "
                    "%llu more since the last such line)",
                    (unsigned long long)rpc_call_conn_id(call), why,
                    (unsigned long long)c->refused);
        else
            mr_warn("refused a task report from connection %llu: %s",
                    (unsigned long long)rpc_call_conn_id(call), why);
        c->last_refusal_log = now;
        c->refused = 0;
    } else {
        c->refused++;
    }
    rpc_call_fail(call, status, "%s", why);
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

/* A worker's error text made fit for the log: control characters, which
 * could forge log lines, become '?'; cut to len - 1 bytes. Returns buf. */
static const char *
printable(const char *text, char *buf, size_t len)
{
    size_t i;

    for (i = 0; text != NULL && text[i] != '\0' && i + 1 < len; i++)
        buf[i] = (unsigned char)text[i] < 0x20 || text[i] == 0x7f ? '?'
                                                                  : text[i];
    buf[i] = '\0';
    return buf;
}

/* A reduce task found a map output bad: run that map again, and the
 * reduce once it is done, without holding it against the reduce. */
static int
redo_map(coord *c, struct coord_task *reduce, const Mr__TaskReport *rep,
         const char *error)
{
    int rc = tasks_redo_map(&c->tasks, rep->bad_map, error);

    if (rc == 0)
        mr_warn("reduce task %u found the output of map task %u bad (%s); "
                "running that map again", reduce->id, rep->bad_map, error);
    else if (rc == MR_EAPP)
        mr_error("%s", c->tasks.why_failed);
    if (rc == MR_EAPP)
        return rc;
    return tasks_retry(&c->tasks, reduce, rep->attempt) < 0 ? MR_ESTALE : 0;
}

static void
coord_report_task(Mr__Coordinator_Service *service,
                  const Mr__TaskReport *rep, Mr__ReportReply_Closure closure,
                  void *closure_data)
{
    coord *c = coord_of(service);
    Mr__ReportReply reply = MR__REPORT_REPLY__INIT;
    struct coord_task *task = NULL;
    uint64_t conn = rpc_call_conn_id(closure_data);
    char why[160], error[256];
    int rc;

    if (rep->kind == MR__TASK_KIND__TASK_MAP ||
        rep->kind == MR__TASK_KIND__TASK_REDUCE)
        task = tasks_find(&c->tasks, rep->kind == MR__TASK_KIND__TASK_MAP
                                         ? KIND_MAP : KIND_REDUCE, rep->id);
    if ((rc = check_report(task, rep, conn, why, sizeof(why))) != 0) {
        refuse_report(c, closure_data, rc, why);
        return;
    }
    if (rep->ok) {
        rc = tasks_complete(&c->tasks, task, rep->attempt, conn);
        if (rc == 0)
            count_report(c, rep);
    } else if (task->owner != conn) {
        rc = MR_ESTALE;         /* only the worker running it may fail it */
    } else if (task->kind == KIND_REDUCE && rep->bad_input) {
        rc = redo_map(c, task, rep,
                      printable(rep->error, error, sizeof(error)));
    } else {
        printable(rep->error, error, sizeof(error));
        mr_warn("%s task %u attempt %u failed: %s",
                task_kind_name(task->kind), task->id, rep->attempt, error);
        rc = tasks_fail(&c->tasks, task, rep->attempt, error);
        if (rc == MR_EAPP)
            mr_error("%s", c->tasks.why_failed);
    }
    reply.accepted = rep->ok && rc == 0;
    reply.job_over = tasks_are_over(&c->tasks);
    closure(&reply, closure_data);
    settle_timer(c, task);
    if (rc != MR_ESTALE)
        progress(c);
    dispatch(c);
}

static void
on_disconnect(uint64_t conn_id, void *arg)
{
    coord *c = arg;
    size_t n = tasks_release_owner(&c->tasks, conn_id, settle_each, c);
    struct waiter **link = &c->waiters;

    /* Held GetTask calls of this connection go nowhere now: drop them. */
    while (*link != NULL) {
        struct waiter *w = *link;
        if (rpc_call_conn_id(w->call) != conn_id) {
            link = &w->next;
            continue;
        }
        *link = w->next;
        reply_exit(w->call, w->closure);
        free(w);
    }
    c->waiters_tail = link;
    while (*c->waiters_tail != NULL)
        c->waiters_tail = &(*c->waiters_tail)->next;
    if (c->draining) {
        drain(c);
        return;
    }
    if (n > 0) {
        mr_warn("a worker disconnected while running a task; reassigning");
        progress(c);
        dispatch(c);
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
    uint32_t nmap;

    if (c == NULL) {
        snprintf(err, MR_ERR_LEN, "out of memory");
        return NULL;
    }
    c->service = (Mr__Coordinator_Service)MR__COORDINATOR__INIT(coord_);
    c->loop = loop;
    c->waiters_tail = &c->waiters;
    c->on_progress = opts->on_progress;
    c->on_over = opts->on_over;
    c->arg = opts->arg;
    if (splits_plan(files, nfiles, opts->split_size, &c->splits, &nmap,
                    &c->stats.input_bytes, err) < 0)
        goto out_free;
    if (tasks_init(&c->tasks, nmap,
                   opts->nreduce ? opts->nreduce : COORD_DEFAULT_NREDUCE,
                   opts->task_timeout_ms ? opts->task_timeout_ms
                                         : COORD_DEFAULT_TIMEOUT_MS,
                   opts->max_failures ? opts->max_failures
                                      : COORD_DEFAULT_MAX_FAILURES) < 0)
        goto out_nomem;
    c->map_deadlines = deadlines_create(c, c->tasks.maps, c->tasks.nmap);
    c->reduce_deadlines = deadlines_create(c, c->tasks.reduces,
                                           c->tasks.nreduce);
    c->map_attempts = calloc(nmap ? nmap : 1, sizeof(uint32_t));
    if (c->map_deadlines == NULL || c->reduce_deadlines == NULL ||
        c->map_attempts == NULL)
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
    return rpc_server_listen(c->srv, addr, bound, boundlen, err);
}

void
coord_abort(coord *c, const char *why)
{
    snprintf(c->why_aborted, sizeof(c->why_aborted), "%s", why);
    c->tasks.phase = PHASE_FAILED;
    dispatch(c);
}

/* For the fuzz target, which feeds a socket to the coordinator's server. */
rpc_server *coord__server(coord *c);

rpc_server *
coord__server(coord *c)
{
    return c->srv;
}

void
coord_status(const coord *c, struct coord_status *st)
{
    const struct coord_tasks *t = &c->tasks;
    static const enum coord_phase phases[] = {
        [PHASE_MAP] = COORD_MAPPING, [PHASE_REDUCE] = COORD_REDUCING,
        [PHASE_DONE] = COORD_DONE, [PHASE_FAILED] = COORD_FAILED};

    memset(st, 0, sizeof(*st));
    st->phase = phases[t->phase];
    st->over = tasks_are_over(t);
    st->nmap = t->nmap;
    st->nreduce = t->nreduce;
    st->maps_done = t->maps_done;
    st->maps_running = t->running[KIND_MAP];
    st->reduces_done = t->reduces_done;
    st->reduces_running = t->running[KIND_REDUCE];
    st->reassigned = t->reassigned;
    st->failed = t->failed;
    st->input_bytes = c->stats.input_bytes;
    st->map_bytes_in = c->stats.map_bytes_in;
    st->map_records = c->stats.map_records;
    st->im_bytes = c->stats.im_bytes;
    st->out_bytes = c->stats.out_bytes;
    st->out_keys = c->stats.out_keys;
}

int
coord_result(const coord *c)
{
    return c->tasks.phase == PHASE_DONE ? 0 : MR_EAPP;
}

const char *
coord_error(const coord *c)
{
    if (c->why_aborted[0] != '\0')
        return c->why_aborted;
    if (c->tasks.why_failed[0] != '\0')
        return c->tasks.why_failed;
    return c->tasks.phase == PHASE_DONE ? "no error" : "the job is not over";
}

/* Removes every attempt's intermediate file. */
static void
remove_intermediates(coord *c)
{
    char name[64];

    for (uint32_t m = 0; m < c->tasks.nmap; m++)
        for (uint32_t a = 1; a <= c->tasks.maps[m].attempts; a++) {
            mr_im_name(name, sizeof(name), m, a);
            unlink(name);
        }
}

/* A job that did not finish leaves no outputs: the reduces that did
 * finish would make a partial set of mr-out-* that looks like a result.
 * Every reduce's name goes, not only the DONE ones': a worker renames its
 * output before reporting, and the report may have been lost. (A reduce
 * still running when the coordinator exits can still rename after.) */
static void
remove_outputs_of_failed_job(coord *c)
{
    char name[64];
    uint32_t n = 0;

    for (uint32_t r = 0; r < c->tasks.nreduce; r++) {
        mr_out_name(name, sizeof(name), r);
        n += unlink(name) == 0;
    }
    if (n > 0)
        mr_warn("the job did not finish: removed the %u output file%s its "
                "reduce tasks wrote", n, n == 1 ? "" : "s");
}

void
coord_remove_job_files(coord *c)
{
    remove_intermediates(c);
    if (c->tasks.phase != PHASE_DONE)
        remove_outputs_of_failed_job(c);
}

void
coord_free(coord *c)
{
    if (c == NULL)
        return;
    while (c->waiters != NULL) {
        struct waiter *w = c->waiters;
        c->waiters = w->next;
        reply_exit(w->call, w->closure);
        free(w);
    }
    rpc_server_free(c->srv);
    rpc_loop_timer_cancel(c->loop, c->drain_timer);
    for (uint32_t i = 0; c->map_deadlines && i < c->tasks.nmap; i++)
        rpc_loop_timer_cancel(c->loop, c->map_deadlines[i].timer);
    for (uint32_t i = 0; c->reduce_deadlines && i < c->tasks.nreduce; i++)
        rpc_loop_timer_cancel(c->loop, c->reduce_deadlines[i].timer);
    tasks_free(&c->tasks);
    free(c->map_deadlines);
    free(c->reduce_deadlines);
    free(c->map_attempts);
    splits_free(c->splits, c->tasks.nmap);
    free(c);
}
