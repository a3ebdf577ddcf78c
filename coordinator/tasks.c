/* The task state machine. See the diagram in tasks.h; every transition
 * goes through set_state(), which asserts that it is allowed. */
#include "tasks.h"

#include <assert.h>
#include <errno.h>
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
set_state(struct coord_task *task, enum task_state to)
{
    assert(task->state != TASK_DONE);
    assert(to != task->state);
    mr_debug("%s task %u: %s -> %s", task_kind_name(task->kind), task->id,
             state_name(task->state), state_name(to));
    task->state = to;
}

/* ---------------------------------------------------------------- queue */

static int
queue_push(struct coord_tasks *t, struct coord_task *task)
{
    if (t->qlen == t->qcap) {
        size_t cap = t->qcap ? t->qcap * 2 : 64;
        struct coord_task **q = malloc(cap * sizeof(*q));
        if (q == NULL)
            return -ENOMEM;
        for (size_t i = 0; i < t->qlen; i++)
            q[i] = t->queue[(t->qhead + i) % t->qcap];
        free(t->queue);
        t->queue = q;
        t->qhead = 0;
        t->qcap = cap;
    }
    t->queue[(t->qhead + t->qlen++) % t->qcap] = task;
    return 0;
}

/* Oldest entry that is still IDLE, or NULL. */
static struct coord_task *
queue_pop_idle(struct coord_tasks *t)
{
    while (t->qlen > 0) {
        struct coord_task *task = t->queue[t->qhead];
        t->qhead = (t->qhead + 1) % t->qcap;
        t->qlen--;
        if (task->state == TASK_IDLE)
            return task;
    }
    return NULL;
}

/* Back to IDLE and to the end of the queue. */
static void
requeue(struct coord_tasks *t, struct coord_task *task)
{
    set_state(task, TASK_IDLE);
    task->owner = 0;
    if (queue_push(t, task) < 0)
        mr_error("out of memory requeueing a task");
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
           uint64_t timeout_ms, uint32_t max_failures)
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
    init_tasks(t->maps, nmap, KIND_MAP);
    init_tasks(t->reduces, nreduce, KIND_REDUCE);
    for (uint32_t i = 0; i < nmap; i++)
        if (queue_push(t, &t->maps[i]) < 0)
            return -ENOMEM;
    t->phase = nmap > 0 ? PHASE_MAP : PHASE_REDUCE;
    if (nmap == 0)
        for (uint32_t i = 0; i < nreduce; i++)
            if (queue_push(t, &t->reduces[i]) < 0)
                return -ENOMEM;
    return 0;
}

void
tasks_free(struct coord_tasks *t)
{
    free(t->maps);
    free(t->reduces);
    free(t->queue);
    t->maps = t->reduces = NULL;
    t->queue = NULL;
}

struct coord_task *
tasks_find(struct coord_tasks *t, enum task_kind kind, uint32_t id)
{
    if (kind == KIND_MAP)
        return id < t->nmap ? &t->maps[id] : NULL;
    return id < t->nreduce ? &t->reduces[id] : NULL;
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

    if (tasks_are_over(t) || (task = queue_pop_idle(t)) == NULL)
        return NULL;
    set_state(task, TASK_RUNNING);
    task->attempts++;
    task->running_attempt = task->attempts;
    task->deadline = now + t->timeout_ms;
    task->owner = owner;
    return task;
}

/* Starts the reduce phase, or ends the job, when a phase is complete. */
static void
advance_phase(struct coord_tasks *t)
{
    if (t->phase == PHASE_MAP && t->maps_done == t->nmap) {
        t->phase = PHASE_REDUCE;
        for (uint32_t i = 0; i < t->nreduce; i++)
            if (queue_push(t, &t->reduces[i]) < 0)
                mr_error("out of memory queueing reduce tasks");
    }
    if (t->phase == PHASE_REDUCE && t->reduces_done == t->nreduce)
        t->phase = PHASE_DONE;
}

int
tasks_complete(struct coord_tasks *t, struct coord_task *task,
               uint32_t attempt)
{
    if (attempt == 0 || attempt > task->attempts)
        return -EINVAL;
    if (task->state == TASK_DONE || t->phase == PHASE_FAILED) {
        t->stale++;
        return MR_ESTALE;
    }
    set_state(task, TASK_DONE);
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
        snprintf(t->why_failed, sizeof(t->why_failed), "%s task %u failed "
                 "%u times; last error: %s", task_kind_name(task->kind),
                 task->id, task->failures, why);
        t->phase = PHASE_FAILED;
        return MR_EAPP;
    }
    requeue(t, task);
    return 0;
}

bool
tasks_expire(struct coord_tasks *t, struct coord_task *task, uint64_t now)
{
    if (task->state != TASK_RUNNING || now < task->deadline ||
        tasks_are_over(t))
        return false;
    t->reassigned++;
    requeue(t, task);
    return true;
}

size_t
tasks_release_owner(struct coord_tasks *t, uint64_t owner,
                    void (*each)(struct coord_task *, void *), void *arg)
{
    struct coord_task *tasks = t->phase == PHASE_MAP ? t->maps : t->reduces;
    uint32_t n = t->phase == PHASE_MAP ? t->nmap : t->nreduce;
    size_t released = 0;

    if (owner == 0 || tasks_are_over(t))
        return 0;
    for (uint32_t i = 0; i < n; i++) {
        if (tasks[i].state != TASK_RUNNING || tasks[i].owner != owner)
            continue;
        t->reassigned++;
        requeue(t, &tasks[i]);
        if (each != NULL)
            each(&tasks[i], arg);
        released++;
    }
    return released;
}

/* ---------------------------------------------------------------- check */

static bool
check_kind(const struct coord_task *tasks, uint32_t n, uint32_t done)
{
    uint32_t count = 0;

    for (uint32_t i = 0; i < n; i++) {
        const struct coord_task *task = &tasks[i];
        if (task->state == TASK_DONE) {
            count++;
            if (task->done_attempt == 0 ||
                task->done_attempt > task->attempts)
                return false;
        }
        if (task->state == TASK_RUNNING &&
            (task->running_attempt == 0 ||
             task->running_attempt != task->attempts))
            return false;
    }
    return count == done;
}

bool
tasks_check(const struct coord_tasks *t)
{
    if (!check_kind(t->maps, t->nmap, t->maps_done) ||
        !check_kind(t->reduces, t->nreduce, t->reduces_done))
        return false;
    switch (t->phase) {
    case PHASE_MAP:
        return t->maps_done < t->nmap && t->reduces_done == 0;
    case PHASE_REDUCE:
        return t->maps_done == t->nmap && t->reduces_done < t->nreduce;
    case PHASE_DONE:
        return t->maps_done == t->nmap && t->reduces_done == t->nreduce;
    case PHASE_FAILED:
        return true;
    }
    return false;
}
