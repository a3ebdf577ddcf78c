/* The job's counters, as the coordinator keeps them: each DONE task's
 * (the attempt that won it, job_counters.h) and the ones it counts itself,
 * of attempts. docs/counters.md says what each means. */
#include "coord_int.h"

#include <stdlib.h>

#include "counter_names.h"
#include "log.h"

/* Where task's counters are kept. */
static uint32_t
slot_of(const coord *c, const struct coord_task *task)
{
    return task->kind == KIND_MAP ? task->id : c->tasks.nmap + task->id;
}

void
coord__counters_take(coord *c, const struct coord_task *task,
                     const Mr__TaskReport *rep)
{
    char why[160];
    uint64_t left_out = c->counters.left_out;

    if (job_counters_set(&c->counters, slot_of(c, task), rep->counters,
                         rep->n_counters, why, sizeof(why)) < 0)
        mr_log_limited(&c->refusal_log, MR_LOG_WARN, "%s task %u: the "
                       "counters of attempt %u are left out of the job's "
                       "(%s)", task_kind_name(task->kind), task->id,
                       rep->attempt, why);
    else if (left_out == 0 && c->counters.left_out > 0)
        mr_warn("the app counts more than %d distinct names in the job: "
                "names beyond them are left out of its counters (\"%s\" "
                "says how many)", JOB_COUNTERS_NAMES_MAX,
                MR_C_COUNTERS_LEFT_OUT);
}

void
coord__counters_restore(coord *c, const struct coord_task *task,
                        Mr__Counter *const *v, size_t n)
{
    char why[160];

    if (job_counters_set(&c->counters, slot_of(c, task), v, n, why,
                         sizeof(why)) < 0)
        mr_warn("%s task %u: the journal's counters are left out of the "
                "job's (%s)", task_kind_name(task->kind), task->id, why);
}

void
coord__counters_drop(coord *c, const struct coord_task *task)
{
    job_counters_clear(&c->counters, slot_of(c, task));
}

struct job_counter *
coord__counters(const coord *c, size_t *n)
{
    const struct coord_tasks *t = &c->tasks;
    const struct job_counter own[] = {
        {MR_C_FAILED_ATTEMPTS, t->failed},
        {MR_C_KILLED_ATTEMPTS, t->killed},
        {MR_C_REASSIGNED_ATTEMPTS, t->reassigned},
        {MR_C_BACKUP_ATTEMPTS, t->backups},
        {MR_C_COUNTERS_LEFT_OUT, c->counters.left_out},
    };
    size_t nown = sizeof(own) / sizeof(own[0]);

    /* The last only once some were: it is news, not a figure. */
    return job_counters_totals(&c->counters, own,
                               c->counters.left_out ? nown : nown - 1, n);
}

size_t
coord__counters_record(const coord *c, const struct coord_task *task,
                       Mr__Counter **out, Mr__Counter ***ptrs)
{
    uint32_t slot = slot_of(c, task);
    uint32_t n = job_counters_count(&c->counters, slot);

    *out = calloc(n + 1, sizeof(**out));
    *ptrs = calloc(n + 1, sizeof(**ptrs));
    if (*out == NULL || *ptrs == NULL)
        return 0;
    return job_counters_of_task(&c->counters, slot, *out, *ptrs);
}
