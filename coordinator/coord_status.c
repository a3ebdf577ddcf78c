/* The job as it is now, as an Mr__StatusReply: the Status RPC's answer
 * (mrstatus) and the status page's facts. See coord.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coord_int.h"

/* One reply and everything it points to, freed at once. */
struct status_doc {
    Mr__StatusReply reply;      /* first: coord_status_free() casts back */
    Mr__PhaseStatus maps, reduces;
    Mr__WorkerStatus *workers, **worker_ptrs;
    size_t *row_of_slot;        /* members' slot -> row of workers */
    Mr__TaskStatus *tasks, **task_ptrs;
    char (*task_workers)[96];   /* TaskStatus.worker, by row */
    Mr__Failure *failures, **failure_ptrs;  /* coord__failures_fill() */
    struct job_counter *totals; /* the job's counters (coord__counters) */
    Mr__Counter *counters, **counter_ptrs;
    Mr__BadRecord *skipped, **skipped_ptrs;
};

static const char *
phase_name(enum job_phase p)
{
    static const char *const names[] = {[PHASE_MAP] = "map",
                                        [PHASE_REDUCE] = "reduce",
                                        [PHASE_DONE] = "done",
                                        [PHASE_FAILED] = "failed"};
    return names[p];
}

static Mr__TaskKind
kind_of(enum task_kind k)
{
    return k == KIND_MAP ? MR__TASK_KIND__TASK_MAP
                         : MR__TASK_KIND__TASK_REDUCE;
}

/* The row of the worker on conn, or NULL. */
static Mr__WorkerStatus *
worker_row(const coord *c, struct status_doc *d, uint64_t conn)
{
    const struct member *e = members_find(&c->members, conn);

    return e != NULL ? &d->workers[d->row_of_slot[e - c->members.slots]]
                     : NULL;
}

static void
fill_workers(const coord *c, struct status_doc *d, uint64_t now)
{
    const struct members *m = &c->members;
    size_t n = 0;

    for (size_t i = 0; i < m->cap; i++) {
        const struct member *e = &m->slots[i];
        Mr__WorkerStatus *w;

        if (!members_is_entry(e))
            continue;
        w = &d->workers[n];
        mr__worker_status__init(w);
        w->pid = e->pid;
        w->host = (char *)e->host;
        w->addr = (char *)e->addr;
        w->heard_ms_ago = now > e->heard_ms ? now - e->heard_ms : 0;
        w->tasks_done = e->tasks_done;
        d->row_of_slot[i] = n;
        d->worker_ptrs[n++] = w;
    }
    d->reply.workers = d->worker_ptrs;
    d->reply.n_workers = n;
    /* What each runs: the newest attempt of every RUNNING task. */
    for (int k = KIND_MAP; k <= KIND_REDUCE; k++) {
        for (uint32_t i = 0; i < c->tasks.running[k]; i++) {
            const struct coord_task *t = c->tasks.running_tasks[k][i];
            Mr__WorkerStatus *w = worker_row(c, d, t->owner);

            if (w == NULL)
                continue;
            w->kind = kind_of(t->kind);
            w->task = t->id;
            w->attempt = t->running_attempt;
        }
    }
}

static void
fill_task(const coord *c, struct status_doc *d, size_t row,
          const struct coord_task *t, uint64_t now)
{
    static const char *const states[] = {[TASK_IDLE] = "idle",
                                         [TASK_RUNNING] = "running",
                                         [TASK_DONE] = "done"};
    Mr__TaskStatus *s = &d->tasks[row];
    const struct member *e;

    mr__task_status__init(s);
    s->kind = kind_of(t->kind);
    s->id = t->id;
    s->state = (char *)states[t->state];
    s->attempts = t->attempts;
    s->failures = t->failures;
    if (t->state == TASK_RUNNING) {
        s->ms = now > t->started ? now - t->started : 0;
        e = members_find(&c->members, t->owner);
        if (e != NULL) {
            snprintf(d->task_workers[row], sizeof(d->task_workers[row]),
                     "%s %u", e->host, e->pid);
            s->worker = d->task_workers[row];
        }
    } else if (t->state == TASK_DONE && t->timed) {
        s->ms = t->duration;
    }
    if (t->kind == KIND_MAP && t->id < c->tasks.nmap) {
        uint32_t n;
        const struct split *sp = coord__map_splits(c, t->id, &n);
        /* A packed task: "N files from A to B", all of each. */
        s->input = (char *)coord__map_input(c, t->id);
        s->offset = n > 1 ? 0 : sp->offset;
        s->length = sp->whole || n > 1 ? 0 : sp->length;
    }
    d->task_ptrs[row] = s;
}

/* Up to max rows: the RUNNING tasks first, then the others, maps before
 * reduces, in order. */
static void
fill_tasks(const coord *c, struct status_doc *d, size_t max, uint64_t now)
{
    const struct coord_tasks *t = &c->tasks;
    size_t n = 0;

    for (int k = KIND_MAP; k <= KIND_REDUCE; k++)
        for (uint32_t i = 0; i < t->running[k] && n < max; i++)
            fill_task(c, d, n++, t->running_tasks[k][i], now);
    for (uint32_t i = 0; i < t->nmap && n < max; i++)
        if (t->maps[i].state != TASK_RUNNING)
            fill_task(c, d, n++, &t->maps[i], now);
    for (uint32_t i = 0; i < t->nreduce && n < max; i++)
        if (t->reduces[i].state != TASK_RUNNING)
            fill_task(c, d, n++, &t->reduces[i], now);
    d->reply.tasks = d->task_ptrs;
    d->reply.n_tasks = n;
}

/* The job's counters, sorted by name. Returns 0 or -ENOMEM. */
static int
fill_counters(const coord *c, struct status_doc *d)
{
    size_t n;

    if ((d->totals = coord__counters(c, &n)) == NULL ||
        (d->counters = calloc(n + 1, sizeof(*d->counters))) == NULL ||
        (d->counter_ptrs = calloc(n + 1, sizeof(void *))) == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        mr__counter__init(&d->counters[i]);
        d->counters[i].name = (char *)d->totals[i].name;
        d->counters[i].value = d->totals[i].value;
        d->counter_ptrs[i] = &d->counters[i];
    }
    d->reply.counters = d->counter_ptrs;
    d->reply.n_counters = n;
    return 0;
}

/* The records skipped (--skip-bad-records), in the order they were.
 * Returns 0 or -ENOMEM. */
static int
fill_skipped(const coord *c, struct status_doc *d)
{
    uint32_t n = c->skips.skipped;

    if ((d->skipped = calloc(n + 1, sizeof(*d->skipped))) == NULL ||
        (d->skipped_ptrs = calloc(n + 1, sizeof(void *))) == NULL)
        return -ENOMEM;
    for (uint32_t k = 1; k <= n; k++) {
        const struct bad_record *r = skips_nth(&c->skips, k);
        Mr__BadRecord *x = &d->skipped[k - 1];
        mr__bad_record__init(x);
        x->file = r->file;
        x->offset = r->offset;
        x->head.data = (uint8_t *)r->head;
        x->head.len = r->head_len;
        d->skipped_ptrs[k - 1] = x;
    }
    d->reply.skipped = d->skipped_ptrs;
    d->reply.n_skipped = n;
    return 0;
}

static void
fill_phase(Mr__PhaseStatus *p, uint32_t total, uint32_t done,
           uint32_t running, uint64_t failed)
{
    mr__phase_status__init(p);
    p->total = total;
    p->done = done;
    p->running = running;
    p->failed = (uint32_t)failed;
}

Mr__StatusReply *
coord_status_build(const coord *c, uint32_t max_tasks)
{
    const struct coord_tasks *t = &c->tasks;
    uint64_t now = rpc_monotonic_ms();
    size_t ntasks = (size_t)t->nmap + t->nreduce;
    size_t nmembers = c->members.n;
    struct status_doc *d = calloc(1, sizeof(*d));

    if (max_tasks > COORD_STATUS_MAX_TASKS)
        max_tasks = COORD_STATUS_MAX_TASKS;
    if (ntasks > max_tasks)
        ntasks = max_tasks;
    if (d == NULL ||
        (d->workers = calloc(nmembers + 1, sizeof(*d->workers))) == NULL ||
        (d->worker_ptrs = calloc(nmembers + 1, sizeof(void *))) == NULL ||
        (d->row_of_slot = calloc(c->members.cap + 1, sizeof(size_t))) ==
            NULL ||
        (d->tasks = calloc(ntasks + 1, sizeof(*d->tasks))) == NULL ||
        (d->task_ptrs = calloc(ntasks + 1, sizeof(void *))) == NULL ||
        (d->task_workers = calloc(ntasks + 1, sizeof(*d->task_workers))) ==
            NULL ||
        (d->failures = calloc(c->failures.kept + 1,
                              sizeof(*d->failures))) == NULL ||
        (d->failure_ptrs = calloc(c->failures.kept + 1, sizeof(void *))) ==
            NULL) {
        coord_status_free(d ? &d->reply : NULL);
        return NULL;
    }
    mr__status_reply__init(&d->reply);
    d->reply.job_id = (char *)c->job_id;
    d->reply.phase = (char *)phase_name(t->phase);
    d->reply.over = c->ended;
    if (t->phase == PHASE_FAILED)
        d->reply.why = (char *)coord_error(c);
    d->reply.app = (char *)(c->app.known ? c->app.name : "");
    d->reply.dir = (char *)c->dir;
    d->reply.elapsed_ms = now - c->start_ms;
    fill_phase(&d->maps, t->nmap, t->maps_done, t->running[KIND_MAP],
               t->failed_by_kind[KIND_MAP]);
    fill_phase(&d->reduces, t->nreduce, t->reduces_done,
               t->running[KIND_REDUCE], t->failed_by_kind[KIND_REDUCE]);
    d->reply.maps = &d->maps;
    d->reply.reduces = &d->reduces;
    d->reply.input_bytes = c->stats.input_bytes;
    d->reply.lost_attempts = t->reassigned;
    d->reply.backup_attempts = t->backups;
    d->reply.backups_won = t->backups_won;
    d->reply.workers_joined = c->members.joined;
    fill_workers(c, d, now);
    fill_tasks(c, d, ntasks, now);
    d->reply.n_failures = coord__failures_fill(c, d->failures,
                                               d->failure_ptrs);
    d->reply.failures = d->failure_ptrs;
    d->reply.failures_total = c->failures.total;
    if (fill_counters(c, d) < 0 || fill_skipped(c, d) < 0) {
        coord_status_free(&d->reply);
        return NULL;
    }
    return &d->reply;
}

void
coord_status_free(Mr__StatusReply *reply)
{
    struct status_doc *d = (struct status_doc *)reply;

    if (d == NULL)
        return;
    free(d->workers);
    free(d->worker_ptrs);
    free(d->row_of_slot);
    free(d->tasks);
    free(d->task_ptrs);
    free(d->task_workers);
    free(d->failures);
    free(d->failure_ptrs);
    free(d->totals);
    free(d->counters);
    free(d->counter_ptrs);
    free(d->skipped);
    free(d->skipped_ptrs);
    free(d);
}

/* What a Status reply may take of a frame (the coordinator's RPC server
 * has the default limit), leaving room for the frame's own bytes. */
#define STATUS_REPLY_MAX (RPC_DEFAULT_MAX_FRAME - 4096)

/* The Status handler: any connection may ask; the answer is a snapshot,
 * with fewer task rows than asked for when that many would not fit in a
 * frame (halved until they do: long input names make rows long). */
void
coord__status(Mr__Coordinator_Service *service, const Mr__StatusRequest *req,
              Mr__StatusReply_Closure closure, void *closure_data)
{
    coord *c = (coord *)service;
    Mr__StatusReply *reply = coord_status_build(c, req->max_tasks);

    if (reply == NULL) {
        rpc_call_fail(closure_data, -ENOMEM, "the coordinator is out of "
                      "memory");
        return;
    }
    while (reply->n_tasks > 0 &&
           mr__status_reply__get_packed_size(reply) > STATUS_REPLY_MAX)
        reply->n_tasks /= 2;
    closure(reply, closure_data);
    coord_status_free(reply);
}
