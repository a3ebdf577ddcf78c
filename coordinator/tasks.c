/* The task state machine. See the diagram in tasks.h; every transition
 * goes through set_state(), which asserts that it is allowed. */
#include "tasks.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

const char *
task_kind_name(enum task_kind kind)
{
    return kind == KIND_MAP ? "map" : "reduce";
}

static const char *
state_name(enum task_state s)
{
    static const char *names[] = {"IDLE", "RUNNING", "DONE"};
    return names[s];
}

static void
set_state(struct coord_tasks *t, struct coord_task *task, enum task_state to)
{
    /* Only a map leaves DONE, and only back to IDLE (tasks_redo_map). */
    assert(task->state != TASK_DONE ||
           (task->kind == KIND_MAP && to == TASK_IDLE));
    assert(to != task->state);
    mr_debug("%s task %u: %s -> %s", task_kind_name(task->kind), task->id,
             state_name(task->state), state_name(to));
    if (task->state == TASK_RUNNING)
        t->running[task->kind]--;
    if (to == TASK_RUNNING)
        t->running[task->kind]++;
    task->state = to;
}

/* Moves the job along the phase diagram in tasks.h; any other move is a
 * bug. */
static void
set_phase(struct coord_tasks *t, enum job_phase to)
{
    static const char *const names[] = {"MAP", "REDUCE", "DONE", "FAILED"};
    static const unsigned allowed[] = {     /* bit (1 << to), by from */
        [PHASE_MAP]    = 1u << PHASE_REDUCE | 1u << PHASE_FAILED,
        [PHASE_REDUCE] = 1u << PHASE_MAP | 1u << PHASE_DONE |
                         1u << PHASE_FAILED,
        [PHASE_DONE]   = 1u << PHASE_FAILED,
        [PHASE_FAILED] = 0,
    };

    assert(allowed[t->phase] & (1u << to));
    mr_debug("job: %s -> %s", names[t->phase], names[to]);
    t->phase = to;
}

/* "map task 3", with what describe() adds. */
static void
label(const struct coord_tasks *t, const struct coord_task *task, char *buf,
      size_t len)
{
    int n = snprintf(buf, len, "%s task %u", task_kind_name(task->kind),
                     task->id);

    if (t->describe != NULL && n > 0 && (size_t)n < len)
        t->describe(task, buf + n, len - (size_t)n, t->describe_arg);
}

/* Ends the job because of task. */
static void
fail_job(struct coord_tasks *t, const struct coord_task *task,
         const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
fail_job(struct coord_tasks *t, const struct coord_task *task,
         const char *fmt, ...)
{
    char name[160];
    va_list ap;
    int n;

    label(t, task, name, sizeof(name));
    n = snprintf(t->why_failed, sizeof(t->why_failed), "%s ", name);
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof(t->why_failed))
        vsnprintf(t->why_failed + n, sizeof(t->why_failed) - (size_t)n, fmt,
                  ap);
    va_end(ap);
    t->failed_task = task;
    set_phase(t, PHASE_FAILED);
}

/* ---------------------------------------------------------------- queue */

static int
queue_push(struct coord_tasks *t, struct coord_task *task)
{
    struct task_queue *q = &t->queues[task->kind];

    if (q->len == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 64;
        struct coord_task **ring = malloc(cap * sizeof(*ring));
        if (ring == NULL)
            return -ENOMEM;
        for (size_t i = 0; i < q->len; i++)
            ring[i] = q->ring[(q->head + i) % q->cap];
        free(q->ring);
        q->ring = ring;
        q->head = 0;
        q->cap = cap;
    }
    q->ring[(q->head + q->len++) % q->cap] = task;
    return 0;
}

/* Oldest task of this kind that is still IDLE, or NULL. */
static struct coord_task *
queue_pop_idle(struct coord_tasks *t, enum task_kind kind)
{
    struct task_queue *q = &t->queues[kind];

    while (q->len > 0) {
        struct coord_task *task = q->ring[q->head];
        q->head = (q->head + 1) % q->cap;
        q->len--;
        if (task->state == TASK_IDLE)
            return task;
    }
    return NULL;
}

/* Back to IDLE and to the end of the queue. */
static void
requeue(struct coord_tasks *t, struct coord_task *task)
{
    set_state(t, task, TASK_IDLE);
    task->owner = 0;
    if (queue_push(t, task) < 0)
        mr_error("out of memory requeueing a task");
}

/* ---------------------------------------------------------------- handouts */

/* Remembers that attempt went to owner, in the slot the header describes:
 * owner's own, else an empty one, else the oldest attempt's. */
static void
record_handout(struct coord_task *task, uint32_t attempt, uint64_t owner)
{
    struct task_handout *slot = NULL, *empty = NULL, *oldest = NULL;

    for (int i = 0; i < TASK_HANDOUTS; i++) {
        struct task_handout *h = &task->handouts[i];
        if (h->owner == owner) {
            slot = h;
            break;
        }
        if (h->owner == 0 && empty == NULL)
            empty = h;
        if (oldest == NULL || h->attempt < oldest->attempt)
            oldest = h;
    }
    if (slot == NULL)
        slot = empty != NULL ? empty : oldest;
    slot->attempt = attempt;
    slot->owner = owner;
}

/* Forgets every attempt handed to owner. */
static void
forget_owner(struct coord_task *task, uint64_t owner)
{
    for (int i = 0; i < TASK_HANDOUTS; i++)
        if (task->handouts[i].owner == owner)
            memset(&task->handouts[i], 0, sizeof(task->handouts[i]));
}

bool
task_was_handed_to(const struct coord_task *task, uint32_t attempt,
                   uint64_t owner)
{
    if (owner == 0 || attempt == 0)
        return false;
    for (int i = 0; i < TASK_HANDOUTS; i++)
        if (task->handouts[i].owner == owner &&
            task->handouts[i].attempt == attempt)
            return true;
    return false;
}

/* ---------------------------------------------------------------- setup */

static void
init_tasks(struct coord_task *tasks, uint32_t n, enum task_kind kind)
{
    for (uint32_t i = 0; i < n; i++) {
        memset(&tasks[i], 0, sizeof(tasks[i]));
        tasks[i].kind = kind;
        tasks[i].id = i;
        tasks[i].state = TASK_IDLE;
    }
}

int
tasks_init(struct coord_tasks *t, uint32_t nmap, uint32_t nreduce,
           uint64_t timeout_ms, uint32_t max_failures, uint32_t max_lost)
{
    memset(t, 0, sizeof(*t));
    t->maps = calloc(nmap ? nmap : 1, sizeof(*t->maps));
    t->reduces = calloc(nreduce ? nreduce : 1, sizeof(*t->reduces));
    if (t->maps == NULL || t->reduces == NULL) {
        tasks_free(t);
        return -ENOMEM;
    }
    t->nmap = nmap;
    t->nreduce = nreduce;
    t->timeout_ms = timeout_ms;
    t->max_failures = max_failures ? max_failures : 1;
    t->max_lost = max_lost ? max_lost : 1;
    init_tasks(t->maps, nmap, KIND_MAP);
    init_tasks(t->reduces, nreduce, KIND_REDUCE);
    /* Every task starts queued; the phase decides which queue is served. */
    for (uint32_t i = 0; i < nmap; i++)
        if (queue_push(t, &t->maps[i]) < 0)
            return -ENOMEM;
    for (uint32_t i = 0; i < nreduce; i++)
        if (queue_push(t, &t->reduces[i]) < 0)
            return -ENOMEM;
    t->phase = nmap > 0 ? PHASE_MAP : PHASE_REDUCE;
    return 0;
}

void
tasks_free(struct coord_tasks *t)
{
    free(t->maps);
    free(t->reduces);
    free(t->queues[KIND_MAP].ring);
    free(t->queues[KIND_REDUCE].ring);
    t->maps = t->reduces = NULL;
    memset(t->queues, 0, sizeof(t->queues));
}

struct coord_task *
tasks_find(struct coord_tasks *t, enum task_kind kind, uint32_t id)
{
    if (kind == KIND_MAP)
        return id < t->nmap ? &t->maps[id] : NULL;
    return id < t->nreduce ? &t->reduces[id] : NULL;
}

void
tasks_end_failed(struct coord_tasks *t)
{
    if (t->phase != PHASE_FAILED)
        set_phase(t, PHASE_FAILED);
}

bool
tasks_are_over(const struct coord_tasks *t)
{
    return t->phase == PHASE_DONE || t->phase == PHASE_FAILED;
}

/* ---------------------------------------------------------------- moves */

struct coord_task *
tasks_assign(struct coord_tasks *t, uint64_t now, uint64_t owner)
{
    struct coord_task *task;

    if (tasks_are_over(t) ||
        (task = queue_pop_idle(t, t->phase == PHASE_MAP ? KIND_MAP
                                                        : KIND_REDUCE)) == NULL)
        return NULL;
    set_state(t, task, TASK_RUNNING);
    task->attempts++;
    task->running_attempt = task->attempts;
    task->deadline = now + t->timeout_ms;
    task->owner = owner;
    if (owner != 0)
        record_handout(task, task->attempts, owner);
    return task;
}

/* Starts the reduce phase, or ends the job, when a phase is complete. */
static void
advance_phase(struct coord_tasks *t)
{
    if (t->phase == PHASE_MAP && t->maps_done == t->nmap)
        set_phase(t, PHASE_REDUCE);
    if (t->phase == PHASE_REDUCE && t->reduces_done == t->nreduce)
        set_phase(t, PHASE_DONE);
}

int
tasks_complete(struct coord_tasks *t, struct coord_task *task,
               uint32_t attempt, uint64_t owner)
{
    if (attempt == 0 || attempt > task->attempts)
        return -EINVAL;
    if (!task_was_handed_to(task, attempt, owner))
        return -EPERM;
    if (task->state == TASK_DONE || t->phase == PHASE_FAILED) {
        t->stale++;
        return MR_ESTALE;
    }
    set_state(t, task, TASK_DONE);
    task->done_attempt = attempt;
    task->owner = 0;
    if (task->kind == KIND_MAP)
        t->maps_done++;
    else
        t->reduces_done++;
    advance_phase(t);
    return 0;
}

int
tasks_fail(struct coord_tasks *t, struct coord_task *task, uint32_t attempt,
           const char *why)
{
    if (attempt == 0 || attempt > task->attempts)
        return -EINVAL;
    if (task->state != TASK_RUNNING || task->running_attempt != attempt ||
        t->phase == PHASE_FAILED) {
        t->stale++;
        return MR_ESTALE;
    }
    t->failed++;
    if (++task->failures >= t->max_failures) {
        fail_job(t, task, "failed %u times; last error: %s", task->failures,
                 why);
        return MR_EAPP;
    }
    requeue(t, task);
    return 0;
}

int
tasks_retry(struct coord_tasks *t, struct coord_task *task, uint32_t attempt)
{
    if (task->state != TASK_RUNNING || task->running_attempt != attempt ||
        tasks_are_over(t)) {
        t->stale++;
        return MR_ESTALE;
    }
    t->reassigned++;
    requeue(t, task);
    return 0;
}

/* A DONE map's output is gone: the map becomes IDLE to run again, and the
 * job returns to the MAP phase. */
static void
undo_map(struct coord_tasks *t, struct coord_task *task)
{
    task->done_attempt = 0;
    t->maps_done--;
    requeue(t, task);
    if (t->phase == PHASE_REDUCE)
        set_phase(t, PHASE_MAP);
}

int
tasks_redo_map(struct coord_tasks *t, uint32_t map, const char *why)
{
    struct coord_task *task = tasks_find(t, KIND_MAP, map);

    if (task == NULL)
        return -EINVAL;
    if (task->state != TASK_DONE || tasks_are_over(t))
        return MR_ESTALE;
    if (++task->failures >= t->max_failures) {
        fail_job(t, task, "wrote output that was bad %u times; last: %s",
                 task->failures, why);
        return MR_EAPP;
    }
    t->failed++;
    undo_map(t, task);
    return 0;
}

int
tasks_lose_output(struct coord_tasks *t, uint32_t map, const char *why)
{
    struct coord_task *task = tasks_find(t, KIND_MAP, map);

    if (task == NULL)
        return -EINVAL;
    if (task->state != TASK_DONE || tasks_are_over(t))
        return MR_ESTALE;
    t->reassigned++;
    if (++task->lost >= t->max_lost) {
        fail_job(t, task, "lost its output %u times; the last time %s",
                 task->lost, why);
        return MR_EAPP;
    }
    undo_map(t, task);
    return 0;
}

/* One more lost attempt of a RUNNING task (its worker vanished): requeued,
 * or, at the limit, the job fails. */
static void
lose(struct coord_tasks *t, struct coord_task *task, const char *how)
{
    t->reassigned++;
    if (++task->lost >= t->max_lost) {
        /* The job is over: the task stays RUNNING, as after a failure,
         * but nobody runs it any more. */
        task->owner = 0;
        fail_job(t, task, "was lost %u times (its workers vanished); the "
                 "last time %s", task->lost, how);
        return;
    }
    requeue(t, task);
}

bool
tasks_expire(struct coord_tasks *t, struct coord_task *task, uint64_t now)
{
    if (task->state != TASK_RUNNING || now < task->deadline ||
        tasks_are_over(t))
        return false;
    /* Not a loss: the late attempt may still finish first, and a task
     * longer than its timeout must not fail the job for it. */
    t->reassigned++;
    requeue(t, task);
    return true;
}

size_t
tasks_release_owner(struct coord_tasks *t, uint64_t owner,
                    void (*each)(struct coord_task *, void *), void *arg)
{
    size_t released = 0;

    if (owner == 0 || tasks_are_over(t))
        return 0;
    /* Both kinds: reduces can still run after a map was sent back. */
    for (uint32_t i = 0; i < t->nmap + t->nreduce; i++) {
        struct coord_task *task = i < t->nmap ? &t->maps[i]
                                              : &t->reduces[i - t->nmap];
        forget_owner(task, owner);
        if (task->state != TASK_RUNNING || task->owner != owner ||
            tasks_are_over(t))
            continue;
        lose(t, task, "its worker disconnected while running it (killed, "
             "exited or cut off)");
        if (each != NULL)
            each(task, arg);
        released++;
    }
    return released;
}

/* ---------------------------------------------------------------- resume */

void
tasks_number_from(struct coord_tasks *t, uint32_t base)
{
    t->attempt_base = base;
    for (uint32_t i = 0; i < t->nmap + t->nreduce; i++) {
        struct coord_task *task = i < t->nmap ? &t->maps[i]
                                              : &t->reduces[i - t->nmap];
        assert(task->state == TASK_IDLE && task->attempts == 0);
        task->attempts = base;
    }
}

int
tasks_complete_earlier(struct coord_tasks *t, struct coord_task *task,
                       uint32_t attempt)
{
    if (attempt == 0 || attempt > t->attempt_base)
        return -EINVAL;
    if (task->state == TASK_DONE || tasks_are_over(t)) {
        t->stale++;
        return MR_ESTALE;
    }
    set_state(t, task, TASK_DONE);
    task->done_attempt = attempt;
    task->owner = 0;
    if (task->kind == KIND_MAP)
        t->maps_done++;
    else
        t->reduces_done++;
    advance_phase(t);
    return 0;
}

/* ---------------------------------------------------------------- check */

/* Handouts name attempts that exist, each owner at most once, and the
 * running attempt's owner among them. */
static bool
check_handouts(const struct coord_task *task)
{
    for (int i = 0; i < TASK_HANDOUTS; i++) {
        const struct task_handout *h = &task->handouts[i];
        if (h->owner == 0)
            continue;
        if (h->attempt == 0 || h->attempt > task->attempts)
            return false;
        for (int j = i + 1; j < TASK_HANDOUTS; j++)
            if (task->handouts[j].owner == h->owner)
                return false;
    }
    return task->state != TASK_RUNNING || task->owner == 0 ||
           task_was_handed_to(task, task->running_attempt, task->owner);
}

static bool
check_kind(const struct coord_task *tasks, uint32_t n, uint32_t done,
           uint32_t running)
{
    uint32_t count = 0, busy = 0;

    for (uint32_t i = 0; i < n; i++) {
        const struct coord_task *task = &tasks[i];
        if (task->state == TASK_DONE) {
            count++;
            if (task->done_attempt == 0 ||
                task->done_attempt > task->attempts)
                return false;
        }
        busy += task->state == TASK_RUNNING;
        if (task->state == TASK_RUNNING &&
            (task->running_attempt == 0 ||
             task->running_attempt != task->attempts))
            return false;
        if (!check_handouts(task))
            return false;
    }
    return count == done && busy == running;
}

bool
tasks_check(const struct coord_tasks *t)
{
    if (!check_kind(t->maps, t->nmap, t->maps_done, t->running[KIND_MAP]) ||
        !check_kind(t->reduces, t->nreduce, t->reduces_done,
                    t->running[KIND_REDUCE]))
        return false;
    switch (t->phase) {
    case PHASE_MAP:             /* reduces may be done if a map is redone */
        return t->maps_done < t->nmap;
    case PHASE_REDUCE:
        return t->maps_done == t->nmap && t->reduces_done < t->nreduce;
    case PHASE_DONE:
        return t->maps_done == t->nmap && t->reduces_done == t->nreduce;
    case PHASE_FAILED:
        return true;
    }
    return false;
}
