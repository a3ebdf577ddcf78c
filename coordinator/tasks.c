/* The task state machine. See the diagram in tasks.h; every transition
 * goes through set_state(), which asserts that it is allowed and keeps the
 * lists of RUNNING tasks that backup attempts are picked from. */
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

/* After every change to task (NULL: to the job alone): the checks that
 * cost O(1), tasks_check_task(), wherever assert() is on (in every build
 * of the Makefile: none defines NDEBUG); the walk over every task,
 * tasks_check(), also in builds with MR_FULL_CHECKS (the sanitizer build
 * that make check runs every test with, and the fuzz targets), since one
 * after every change made the coordinator's cost grow with the square of
 * the job (issue 14). The unit tests call tasks_check() themselves. */
static void checked(const struct coord_tasks *t,
                    const struct coord_task *task);

/* Adds task to the RUNNING list of its kind, which has room for all. */
static void
running_add(struct coord_tasks *t, struct coord_task *task)
{
    task->running_slot = t->running[task->kind]++;
    t->running_tasks[task->kind][task->running_slot] = task;
}

/* Takes task out of the RUNNING list of its kind: the last one fills its
 * slot. */
static void
running_remove(struct coord_tasks *t, struct coord_task *task)
{
    struct coord_task **list = t->running_tasks[task->kind];
    struct coord_task *last = list[--t->running[task->kind]];

    list[task->running_slot] = last;
    last->running_slot = task->running_slot;
}

/* Adds task to the backup candidates of its kind, after those handed out
 * no later (at the end, but for a backup's original that died, or a fake
 * clock going back). */
static void
candidate_add(struct coord_tasks *t, struct coord_task *task)
{
    struct task_list *l = &t->candidates[task->kind];
    struct coord_task *after = l->newest;

    while (after != NULL && after->started > task->started)
        after = after->older;
    task->older = after;
    task->newer = after != NULL ? after->newer : l->oldest;
    if (task->newer != NULL)
        task->newer->older = task;
    else
        l->newest = task;
    if (after != NULL)
        after->newer = task;
    else
        l->oldest = task;
    task->candidate = true;
}

static void
candidate_remove(struct coord_tasks *t, struct coord_task *task)
{
    struct task_list *l = &t->candidates[task->kind];

    if (!task->candidate)
        return;
    if (task->older != NULL)
        task->older->newer = task->newer;
    else
        l->oldest = task->newer;
    if (task->newer != NULL)
        task->newer->older = task->older;
    else
        l->newest = task->older;
    task->older = task->newer = NULL;
    task->candidate = false;
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
    if (task->state == TASK_RUNNING) {
        running_remove(t, task);
        candidate_remove(t, task);
    }
    if (to == TASK_RUNNING)
        running_add(t, task);
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
    (void)allowed;              /* compiled out by NDEBUG, which no build
                                   of the Makefile defines */
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

/* Back to IDLE and to the end of the queue; an attempt a backup ran
 * beside is no longer followed. */
static void
requeue(struct coord_tasks *t, struct coord_task *task)
{
    set_state(t, task, TASK_IDLE);
    task->owner = 0;
    memset(&task->backed_up, 0, sizeof(task->backed_up));
    if (queue_push(t, task) < 0)
        mr_error("out of memory requeueing a task");
}

/* ---------------------------------------------------------------- handouts */

/* A backup's handout never takes the slot of the attempt it backs up,
 * which is newer than some other remembered attempt. */
_Static_assert(TASK_HANDOUTS >= 2, "a backup and its original");

/* Remembers that attempt went to owner (as a backup or not), in the slot
 * the header describes: owner's own, else an empty one, else the oldest
 * attempt's. */
static void
record_handout(struct coord_task *task, uint32_t attempt, uint64_t owner,
               bool backup)
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
    slot->backup = backup;
    slot->owner = owner;
}

/* Forgets every attempt handed to owner. Returns whether there was
 * one. */
static bool
forget_owner(struct coord_task *task, uint64_t owner)
{
    bool forgot = false;

    for (int i = 0; i < TASK_HANDOUTS; i++)
        if (task->handouts[i].owner == owner) {
            memset(&task->handouts[i], 0, sizeof(task->handouts[i]));
            forgot = true;
        }
    return forgot;
}

/* The slot remembering that attempt went to owner, or NULL. */
static const struct task_handout *
handout_of(const struct coord_task *task, uint32_t attempt, uint64_t owner)
{
    if (owner == 0 || attempt == 0)
        return NULL;
    for (int i = 0; i < TASK_HANDOUTS; i++)
        if (task->handouts[i].owner == owner &&
            task->handouts[i].attempt == attempt)
            return &task->handouts[i];
    return NULL;
}

bool
task_was_handed_to(const struct coord_task *task, uint32_t attempt,
                   uint64_t owner)
{
    return handout_of(task, attempt, owner) != NULL;
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
    t->running_tasks[KIND_MAP] = calloc(nmap ? nmap : 1, sizeof(void *));
    t->running_tasks[KIND_REDUCE] = calloc(nreduce ? nreduce : 1,
                                           sizeof(void *));
    if (t->maps == NULL || t->reduces == NULL ||
        t->running_tasks[KIND_MAP] == NULL ||
        t->running_tasks[KIND_REDUCE] == NULL ||
        median_init(&t->timing[KIND_MAP].durations, nmap) < 0 ||
        median_init(&t->timing[KIND_REDUCE].durations, nreduce) < 0) {
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
    free(t->running_tasks[KIND_MAP]);
    free(t->running_tasks[KIND_REDUCE]);
    median_free(&t->timing[KIND_MAP].durations);
    median_free(&t->timing[KIND_REDUCE].durations);
    t->maps = t->reduces = NULL;
    memset(t->queues, 0, sizeof(t->queues));
    memset(t->running_tasks, 0, sizeof(t->running_tasks));
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
    checked(t, NULL);
}

bool
tasks_are_over(const struct coord_tasks *t)
{
    return t->phase == PHASE_DONE || t->phase == PHASE_FAILED;
}

/* ---------------------------------------------------------------- moves */

/* The kind of task the current phase hands out. */
static enum task_kind
phase_kind(const struct coord_tasks *t)
{
    return t->phase == PHASE_MAP ? KIND_MAP : KIND_REDUCE;
}

/* A new attempt of task, its newest, handed to owner at now. */
static void
start_attempt(struct coord_tasks *t, struct coord_task *task, uint64_t now,
              uint64_t owner, bool backup)
{
    task->attempts++;
    task->running_attempt = task->attempts;
    task->started = now;
    task->deadline = now + t->timeout_ms;
    task->owner = owner;
    if (owner != 0)
        record_handout(task, task->attempts, owner, backup);
}

struct coord_task *
tasks_assign(struct coord_tasks *t, uint64_t now, uint64_t owner)
{
    struct coord_task *task;

    if (tasks_are_over(t) || (task = queue_pop_idle(t, phase_kind(t))) == NULL)
        return NULL;
    set_state(t, task, TASK_RUNNING);
    start_attempt(t, task, now, owner, false);
    candidate_add(t, task);
    checked(t, task);
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

/* Notes how long the winning attempt ran, when the task still follows it:
 * the running attempt, or the one a backup ran beside. */
static void
note_duration(struct coord_tasks *t, struct coord_task *task,
              uint32_t attempt, uint64_t now)
{
    uint64_t started;

    if (attempt == task->running_attempt)
        started = task->started;
    else if (attempt == task->backed_up.attempt)
        started = task->backed_up.started;
    else
        return;
    task->timed = true;
    task->duration = now > started ? now - started : 0;
    t->timing[task->kind].timed++;
    if (!t->timing[task->kind].median_stale)
        median_add(&t->timing[task->kind].durations, task->duration);
}

/* A DONE task leaves the durations the median is taken of. */
static void
forget_duration(struct coord_tasks *t, struct coord_task *task)
{
    if (!task->timed)
        return;
    task->timed = false;
    t->timing[task->kind].timed--;
    t->timing[task->kind].median_stale = true;
}

/* Attempt `attempt` completed task: DONE, and the phase moves on. The
 * task's other live attempts lose: the running one (when a late attempt
 * won) and the one a backup backed up. */
static void
mark_done(struct coord_tasks *t, struct coord_task *task, uint32_t attempt)
{
    if (task->state == TASK_RUNNING)
        t->killed += (task->running_attempt != attempt) +
                     (task->backed_up.attempt != 0 &&
                      task->backed_up.attempt != attempt);
    set_state(t, task, TASK_DONE);
    task->done_attempt = attempt;
    task->owner = 0;
    memset(&task->backed_up, 0, sizeof(task->backed_up));
    if (task->kind == KIND_MAP) {
        t->maps_done++;
        t->maps_changed++;
    } else
        t->reduces_done++;
    advance_phase(t);
}

int
tasks_complete(struct coord_tasks *t, struct coord_task *task,
               uint32_t attempt, uint64_t owner, uint64_t now)
{
    const struct task_handout *h;

    if (attempt == 0 || attempt > task->attempts)
        return -EINVAL;
    if ((h = handout_of(task, attempt, owner)) == NULL)
        return -EPERM;
    if (task->state == TASK_DONE || t->phase == PHASE_FAILED) {
        t->stale++;
        return MR_ESTALE;
    }
    if (h->backup)
        t->backups_won++;
    note_duration(t, task, attempt, now);
    mark_done(t, task, attempt);
    checked(t, task);
    return 0;
}

/* The checks and counts every failed attempt's report shares: 0 when it
 * is the running attempt's (counted as failed), -EINVAL or MR_ESTALE. */
static int
count_failure(struct coord_tasks *t, struct coord_task *task,
              uint32_t attempt)
{
    if (attempt == 0 || attempt > task->attempts)
        return -EINVAL;
    if (task->state != TASK_RUNNING || task->running_attempt != attempt ||
        t->phase == PHASE_FAILED) {
        t->stale++;
        return MR_ESTALE;
    }
    t->failed++;
    t->failed_by_kind[task->kind]++;
    return 0;
}

int
tasks_fail(struct coord_tasks *t, struct coord_task *task, uint32_t attempt,
           const char *why)
{
    return tasks_fail_refunding(t, task, attempt, 0, why);
}

int
tasks_fail_refunding(struct coord_tasks *t, struct coord_task *task,
                     uint32_t attempt, uint32_t refund, const char *why)
{
    int rc = count_failure(t, task, attempt);

    if (rc != 0)
        return rc;
    task->failures -= refund < task->failures ? refund : task->failures;
    if (++task->failures >= t->max_failures) {
        fail_job(t, task, "failed %u times; last error: %s", task->failures,
                 why);
        checked(t, task);
        return MR_EAPP;
    }
    requeue(t, task);
    checked(t, task);
    return 0;
}

int
tasks_fail_skipping(struct coord_tasks *t, struct coord_task *task,
                    uint32_t attempt, uint32_t refund, const char *over)
{
    int rc = count_failure(t, task, attempt);

    if (rc != 0)
        return rc;
    if (over != NULL) {
        task->failures++;
        fail_job(t, task, "%s", over);
        checked(t, task);
        return MR_EAPP;
    }
    task->failures -= refund < task->failures ? refund : task->failures;
    requeue(t, task);
    checked(t, task);
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
    checked(t, task);
    return 0;
}

/* A DONE map's output is gone: the map becomes IDLE to run again, and the
 * job returns to the MAP phase. */
static void
undo_map(struct coord_tasks *t, struct coord_task *task)
{
    forget_duration(t, task);
    task->done_attempt = 0;
    t->maps_done--;
    t->maps_changed++;
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
        checked(t, task);
        return MR_EAPP;
    }
    t->failed++;
    t->failed_by_kind[KIND_MAP]++;
    undo_map(t, task);
    checked(t, task);
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
        checked(t, task);
        return MR_EAPP;
    }
    undo_map(t, task);
    checked(t, task);
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
    checked(t, task);
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
        if (!forget_owner(task, owner))
            continue;           /* owner never ran it: nothing changes */
        if (task->state == TASK_RUNNING && task->backed_up.attempt != 0 &&
            task->backed_up.owner == owner) {
            /* The original is gone; its backup runs on alone. */
            memset(&task->backed_up, 0, sizeof(task->backed_up));
            candidate_add(t, task);
            checked(t, task);
            continue;
        }
        if (task->state != TASK_RUNNING || task->owner != owner ||
            tasks_are_over(t)) {
            checked(t, task);
            continue;
        }
        lose(t, task, "its worker disconnected while running it (killed, "
             "exited or cut off)");
        checked(t, task);
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
    mark_done(t, task, attempt);
    checked(t, task);
    return 0;
}

/* ---------------------------------------------------------------- backups */

bool
tasks_median_ms(struct coord_tasks *t, enum task_kind kind, uint64_t *ms)
{
    struct task_timing *tm = &t->timing[kind];
    const struct coord_task *tasks = kind == KIND_MAP ? t->maps : t->reduces;
    uint32_t n = kind == KIND_MAP ? t->nmap : t->nreduce;

    if (tm->timed == 0)
        return false;
    if (tm->median_stale) {     /* O(n log n), once a duration has left */
        median_clear(&tm->durations);
        for (uint32_t i = 0; i < n; i++)
            if (tasks[i].state == TASK_DONE && tasks[i].timed)
                median_add(&tm->durations, tasks[i].duration);
        tm->median_stale = false;
    }
    assert(median_count(&tm->durations) == tm->timed);
    *ms = median_get(&tm->durations);
    return true;
}

/* Backups a kind may launch in a job. */
static uint32_t
backup_budget(const struct coord_tasks *t, enum task_kind kind)
{
    uint32_t n = kind == KIND_MAP ? t->nmap : t->nreduce;
    uint32_t share = (uint32_t)((uint64_t)n * TASK_BACKUP_SHARE_PCT / 100);

    return share > 1 ? share : 1;
}

/* The rule of tasks.h, with pick_backup(): whether a backup may be handed
 * out now, and if so of which kind (*kind) and after how long a run (*ms).
 * Not while the job is over, tasks of the phase are still IDLE, or the
 * kind's budget is spent, and only once one of its tasks has finished. */
static bool
backup_threshold(struct coord_tasks *t, enum task_kind *kind, uint64_t *ms)
{
    uint32_t n, done;
    uint64_t median;

    if (tasks_are_over(t))
        return false;
    *kind = phase_kind(t);
    n = *kind == KIND_MAP ? t->nmap : t->nreduce;
    done = *kind == KIND_MAP ? t->maps_done : t->reduces_done;
    if (done + t->running[*kind] < n ||
        t->timing[*kind].backups >= backup_budget(t, *kind) ||
        !tasks_median_ms(t, *kind, &median))
        return false;
    *ms = median * TASK_BACKUP_SLOWER_PCT / 100;
    if (*ms < TASK_BACKUP_MIN_MS)
        *ms = TASK_BACKUP_MIN_MS;
    return true;
}

/* The RUNNING task that has run longest of those that have run long enough
 * and that owner does not run, or NULL: the first such candidate, oldest
 * first (all those after the first that has not run long enough have not
 * either; owner runs few, if any). */
static struct coord_task *
pick_backup(struct coord_tasks *t, uint64_t now, uint64_t owner)
{
    enum task_kind kind;
    uint64_t ms;

    if (!backup_threshold(t, &kind, &ms))
        return NULL;
    for (struct coord_task *task = t->candidates[kind].oldest;
         task != NULL && now >= task->started + ms; task = task->newer)
        if (task->owner != owner)
            return task;
    return NULL;
}

struct coord_task *
tasks_assign_backup(struct coord_tasks *t, uint64_t now, uint64_t owner)
{
    struct coord_task *task = pick_backup(t, now, owner);

    if (task == NULL)
        return NULL;
    candidate_remove(t, task);
    task->backed_up.attempt = task->running_attempt;
    task->backed_up.owner = task->owner;
    task->backed_up.started = task->started;
    start_attempt(t, task, now, owner, true);
    t->timing[task->kind].backups++;
    t->backups++;
    checked(t, task);
    return task;
}

uint64_t
tasks_backup_due(struct coord_tasks *t, uint64_t now)
{
    uint64_t due = 0, ms;
    enum task_kind kind;

    if (!backup_threshold(t, &kind, &ms))
        return 0;
    /* The first candidate not yet due: those due already wait for an
     * asker other than their own worker, which dispatch serves first. */
    for (const struct coord_task *task = t->candidates[kind].oldest;
         task != NULL; task = task->newer)
        if ((due = task->started + ms) > now)
            return due;
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

/* An attempt a backup runs beside belongs to a RUNNING task, is older than
 * the backup, and is still remembered as its owner's, another worker. */
static bool
check_backed_up(const struct coord_task *task)
{
    const struct task_backed_up *b = &task->backed_up;

    if (b->attempt == 0)
        return b->owner == 0;
    return task->state == TASK_RUNNING && b->attempt < task->running_attempt &&
           (b->owner == 0 ||
            (b->owner != task->owner &&
             task_was_handed_to(task, b->attempt, b->owner)));
}

/* The ends of the backup candidates of task's kind: a candidate with no
 * older one is the list's oldest, with no newer one its newest; a task
 * that is no candidate is linked to none and is neither end. */
static bool
check_candidate_ends(const struct coord_tasks *t,
                     const struct coord_task *task)
{
    const struct task_list *l = &t->candidates[task->kind];

    if (!task->candidate)
        return task->older == NULL && task->newer == NULL &&
               l->oldest != task && l->newest != task;
    return (task->older == NULL) == (l->oldest == task) &&
           (task->newer == NULL) == (l->newest == task);
}

/* The slot a task no longer RUNNING last held (running_slot is left as
 * it was): while within the RUNNING count, the task in it, the last one
 * running_remove() moved there or any since, is RUNNING and says so. */
static bool
check_freed_slot(const struct coord_tasks *t, const struct coord_task *task)
{
    uint32_t slot = task->running_slot;
    const struct coord_task *there;

    if (task->state == TASK_RUNNING || slot >= t->running[task->kind])
        return true;
    there = t->running_tasks[task->kind][slot];
    return there != task && there->kind == task->kind &&
           there->state == TASK_RUNNING && there->running_slot == slot;
}

/* One task's own invariants, and its place in the RUNNING list of its
 * kind: there exactly while RUNNING. */
static bool
check_task(const struct coord_tasks *t, const struct coord_task *task)
{
    uint32_t slot = task->running_slot;

    if (task->state == TASK_DONE &&
        (task->done_attempt == 0 || task->done_attempt > task->attempts))
        return false;
    if (task->state == TASK_RUNNING &&
        (task->running_attempt == 0 ||
         task->running_attempt != task->attempts ||
         slot >= t->running[task->kind] ||
         t->running_tasks[task->kind][slot] != task))
        return false;
    if (task->timed && task->state != TASK_DONE)
        return false;
    if (task->candidate != (task->state == TASK_RUNNING &&
                            task->backed_up.attempt == 0) ||
        (task->older != NULL && (task->older->newer != task ||
                                 task->older->started > task->started)) ||
        (task->newer != NULL && (task->newer->older != task ||
                                 task->newer->started < task->started)))
        return false;
    return check_candidate_ends(t, task) && check_freed_slot(t, task) &&
           check_handouts(task) && check_backed_up(task);
}

/* The counts of kind within bounds: done and RUNNING tasks together at
 * most all of them, durations known only of DONE ones (and held for the
 * median, unless it is to be rebuilt), backups within their budget. */
static bool
check_counts(const struct coord_tasks *t, enum task_kind kind)
{
    uint32_t n = kind == KIND_MAP ? t->nmap : t->nreduce;
    uint32_t done = kind == KIND_MAP ? t->maps_done : t->reduces_done;

    return done <= n && t->running[kind] <= n - done &&
           t->timing[kind].timed <= done &&
           (t->timing[kind].median_stale ||
            median_count(&t->timing[kind].durations) ==
                t->timing[kind].timed) &&
           t->timing[kind].backups <= backup_budget(t, kind);
}

/* What holds of the job as a whole, in O(1): the counts of both kinds,
 * the backup counters, and a phase that matches the counts. */
static bool
check_job(const struct coord_tasks *t)
{
    if (!check_counts(t, KIND_MAP) || !check_counts(t, KIND_REDUCE) ||
        t->backups != (uint64_t)t->timing[KIND_MAP].backups +
                          t->timing[KIND_REDUCE].backups ||
        t->backups_won > t->backups)
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

/* The tasks of kind, every one of them: counts match states, and the
 * RUNNING list holds exactly the RUNNING tasks. */
static bool
check_kind(const struct coord_tasks *t, enum task_kind kind)
{
    const struct coord_task *tasks = kind == KIND_MAP ? t->maps : t->reduces;
    uint32_t n = kind == KIND_MAP ? t->nmap : t->nreduce;
    uint32_t done = kind == KIND_MAP ? t->maps_done : t->reduces_done;
    uint32_t count = 0, busy = 0, timed = 0, listed = 0, candidates = 0;

    for (uint32_t i = 0; i < n; i++) {
        const struct coord_task *task = &tasks[i];
        listed += task->candidate;
        count += task->state == TASK_DONE;
        busy += task->state == TASK_RUNNING;
        timed += task->timed;
        if (!check_task(t, task))
            return false;
    }
    /* The candidates: as many as the tasks that say they are one. */
    for (const struct coord_task *task = t->candidates[kind].oldest;
         task != NULL; task = task->newer)
        if (++candidates > n)
            return false;
    if (candidates != listed)
        return false;
    /* Each listed task RUNNING in its own slot: no task listed twice. */
    for (uint32_t i = 0; i < t->running[kind]; i++) {
        const struct coord_task *task = t->running_tasks[kind][i];
        if (task->kind != kind || task->state != TASK_RUNNING ||
            task->running_slot != i)
            return false;
    }
    return count == done && busy == t->running[kind] &&
           timed == t->timing[kind].timed;
}

bool
tasks_check(const struct coord_tasks *t)
{
    return check_job(t) && check_kind(t, KIND_MAP) &&
           check_kind(t, KIND_REDUCE);
}

bool
tasks_check_task(const struct coord_tasks *t, const struct coord_task *task)
{
    return check_job(t) && (task == NULL || check_task(t, task));
}

static void
checked(const struct coord_tasks *t, const struct coord_task *task)
{
    assert(tasks_check_task(t, task));
#ifdef MR_FULL_CHECKS
    assert(tasks_check(t));
#endif
    (void)t;
    (void)task;
}
