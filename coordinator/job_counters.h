/* The job's counters (docs/counters.md): for each task, the counters of
 * the attempt that won it, as its report (or the journal) gave them, and
 * their sums over the tasks that hold some. A task's counters count once
 * whatever retries and backups ran, since only its winning attempt's are
 * kept; a map whose output is lost leaves the sums (job_counters_clear)
 * until the attempt that wins it next brings its own.
 *
 * Counters come from workers: hostile bytes. A task's list is taken whole
 * or not at all (job_counters_set says why not): at most
 * JOB_COUNTERS_PER_TASK counters, names of 1 to JOB_COUNTER_NAME_MAX
 * bytes without control characters, none twice. The job keeps the
 * framework's counters (counter_names.h) and at most
 * JOB_COUNTERS_NAMES_MAX distinct names in all, the first it sees: an
 * app's counter of a name beyond them is left out, and counted in
 * left_out, while the rest of its task's are kept. Sums stop at UINT64_MAX. Names are interned:
 * each is kept once, by index. */
#ifndef COORD_JOB_COUNTERS_H
#define COORD_JOB_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#include "mr.pb-c.h"

/* Include/mrapp.h's limits (MR_COUNTERS_MAX app counters, names of
 * MR_COUNTER_NAME_MAX bytes), with room for the built-in ones. */
#define JOB_COUNTERS_PER_TASK   (256 + 32)
#define JOB_COUNTER_NAME_MAX    120
#define JOB_COUNTERS_NAMES_MAX  4096

struct job_counters {
    char **names;               /* owned, by index */
    uint64_t *totals;           /* by index: the sum over tasks */
    uint32_t *holders;          /* by index: tasks whose counters have it */
    uint32_t nnames, cap;
    uint32_t *index;            /* 1 + a name's index, by its hash, linear
                                   probing; 0: empty */
    uint32_t index_cap;         /* a power of two, at least 2 * nnames */
    struct task_counters {      /* by task: its winning attempt's */
        uint32_t n;
        uint32_t *names;        /* owned: indices in names */
        uint64_t *values;       /* owned */
        uint32_t left_out;      /* its counters beyond the limit */
    } *tasks;
    uint32_t ntasks;
    uint64_t left_out;          /* counters of names beyond the limit, in
                                   the tasks' kept lists: a task's leave
                                   with them */
};

/* A counter of the job's totals; name borrowed from the job_counters. */
struct job_counter {
    const char *name;
    uint64_t value;
};

/* Room for ntasks tasks, none holding counters. Returns 0 or -ENOMEM. */
int job_counters_init(struct job_counters *jc, uint32_t ntasks);
/* Frees everything; safe on a zeroed or freed struct. */
void job_counters_free(struct job_counters *jc);

/* Task `task`'s counters become v[0..n) (its winning attempt's): those it
 * held leave the sums, these join them. Returns 0; -EINVAL when v breaks a
 * rule above, with why (len bytes) saying which; or -ENOMEM. On an error
 * the task holds none. */
int job_counters_set(struct job_counters *jc, uint32_t task,
                     Mr__Counter *const *v, size_t n, char *why, size_t len);

/* Task `task`'s counters leave the sums: it runs again. */
void job_counters_clear(struct job_counters *jc, uint32_t task);

/* How many counters task `task` holds. */
uint32_t job_counters_count(const struct job_counters *jc, uint32_t task);

/* Task `task`'s counters as messages, for a journal record: fills out[]
 * and ptrs[] (room for job_counters_count() of each; the names are
 * borrowed from jc). Returns how many. */
size_t job_counters_of_task(const struct job_counters *jc, uint32_t task,
                            Mr__Counter *out, Mr__Counter **ptrs);

/* The sums of the names some task holds, and extra[0..nextra) (the
 * coordinator's own, which win over a task's of the same name), sorted by
 * name: a malloc()ed array (free it) of *n, or NULL when out of memory. */
struct job_counter *job_counters_totals(const struct job_counters *jc,
                                        const struct job_counter *extra,
                                        size_t nextra, size_t *n);

#endif
