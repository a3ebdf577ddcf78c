/* The job's counters: each task's winning attempt's, checked and interned,
 * and their sums. See job_counters.h. */
#define _GNU_SOURCE
#include "job_counters.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counter_names.h"
#include "fnv1a.h"

int
job_counters_init(struct job_counters *jc, uint32_t ntasks)
{
    memset(jc, 0, sizeof(*jc));
    jc->tasks = calloc(ntasks ? ntasks : 1, sizeof(*jc->tasks));
    if (jc->tasks == NULL)
        return -ENOMEM;
    jc->ntasks = ntasks;
    return 0;
}

void
job_counters_free(struct job_counters *jc)
{
    for (uint32_t i = 0; jc->tasks != NULL && i < jc->ntasks; i++) {
        free(jc->tasks[i].names);
        free(jc->tasks[i].values);
    }
    for (uint32_t i = 0; i < jc->nnames; i++)
        free(jc->names[i]);
    free(jc->tasks);
    free(jc->names);
    free(jc->totals);
    free(jc->holders);
    free(jc->index);
    memset(jc, 0, sizeof(*jc));
}

/* ---------------------------------------------------------------- names */

/* The index slot where name is, or the empty one where it would go. */
static uint32_t
index_slot(const struct job_counters *jc, const char *name)
{
    uint32_t mask = jc->index_cap - 1, i = fnv1a32_str(name) & mask;

    while (jc->index[i] != 0 && strcmp(jc->names[jc->index[i] - 1], name))
        i = (i + 1) & mask;
    return i;
}

/* Whether name is interned. */
static bool
is_known(const struct job_counters *jc, const char *name)
{
    return jc->index_cap > 0 && jc->index[index_slot(jc, name)] != 0;
}

/* Room for one more name: arrays and an index at most half full. Returns
 * 0 or -ENOMEM. */
static int
make_room(struct job_counters *jc)
{
    if (jc->nnames == jc->cap) {
        uint32_t cap = jc->cap ? 2 * jc->cap : 64;
        char **names = realloc(jc->names, cap * sizeof(*names));
        uint64_t *totals;
        uint32_t *holders;
        if (names == NULL)
            return -ENOMEM;
        jc->names = names;
        if ((totals = realloc(jc->totals, cap * sizeof(*totals))) == NULL)
            return -ENOMEM;
        jc->totals = totals;
        if ((holders = realloc(jc->holders, cap * sizeof(*holders))) == NULL)
            return -ENOMEM;
        jc->holders = holders;
        jc->cap = cap;
    }
    if (2 * (jc->nnames + 1) > jc->index_cap) {
        uint32_t cap = jc->index_cap ? 2 * jc->index_cap : 128;
        uint32_t *old = jc->index, old_cap = jc->index_cap;
        if ((jc->index = calloc(cap, sizeof(*jc->index))) == NULL) {
            jc->index = old;
            return -ENOMEM;
        }
        jc->index_cap = cap;
        for (uint32_t i = 0; i < old_cap; i++)
            if (old[i] != 0)
                jc->index[index_slot(jc, jc->names[old[i] - 1])] = old[i];
        free(old);
    }
    return 0;
}

/* The index of name, interned if new. Returns it, or -ENOMEM. */
static int64_t
intern(struct job_counters *jc, const char *name)
{
    uint32_t slot;
    char *copy;

    if (is_known(jc, name))
        return jc->index[index_slot(jc, name)] - 1;
    if (make_room(jc) < 0 || (copy = strdup(name)) == NULL)
        return -ENOMEM;
    slot = index_slot(jc, name);
    jc->names[jc->nnames] = copy;
    jc->totals[jc->nnames] = 0;
    jc->holders[jc->nnames] = 0;
    jc->index[slot] = ++jc->nnames;
    return jc->nnames - 1;
}

/* ---------------------------------------------------------------- tasks */

/* Why v[0..n) cannot be a task's counters, in why; false when it can
 * (but for names repeated, found once interned). */
static bool
is_refused(Mr__Counter *const *v, size_t n, char *why, size_t len)
{
    if (n > JOB_COUNTERS_PER_TASK) {
        snprintf(why, len, "%zu counters, more than the %d a task may have",
                 n, JOB_COUNTERS_PER_TASK);
        return true;
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = v[i]->name;
        size_t l = strnlen(name, JOB_COUNTER_NAME_MAX + 1);
        if (l == 0 || l > JOB_COUNTER_NAME_MAX) {
            snprintf(why, len, "a counter name of %s bytes",
                     l ? "more than 120" : "0");
            return true;
        }
        for (size_t k = 0; k < l; k++)
            if ((unsigned char)name[k] < 0x20 || name[k] == 0x7f) {
                snprintf(why, len, "a counter name with a control "
                         "character");
                return true;
            }
    }
    return false;
}

static int
index_compare(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

/* Whether an index repeats in names[0..n) (sorted in place). */
static bool
has_repeats(uint32_t *names, uint32_t n)
{
    qsort(names, n, sizeof(*names), index_compare);
    for (uint32_t i = 1; i < n; i++)
        if (names[i] == names[i - 1])
            return true;
    return false;
}

void
job_counters_clear(struct job_counters *jc, uint32_t task)
{
    struct task_counters *t;

    if (task >= jc->ntasks)
        return;
    t = &jc->tasks[task];
    for (uint32_t i = 0; i < t->n; i++) {
        uint64_t *sum = &jc->totals[t->names[i]];
        *sum = t->values[i] > *sum ? 0 : *sum - t->values[i];
        jc->holders[t->names[i]]--;
    }
    jc->left_out -= t->left_out;
    free(t->names);
    free(t->values);
    memset(t, 0, sizeof(*t));
}

int
job_counters_set(struct job_counters *jc, uint32_t task,
                 Mr__Counter *const *v, size_t n, char *why, size_t len)
{
    struct task_counters *t;
    uint32_t *names, *sorted;
    uint64_t *values;
    uint32_t kept = 0, left_out = 0;
    int rc = -ENOMEM;

    if (task >= jc->ntasks) {
        snprintf(why, len, "no task %u", task);
        return -EINVAL;
    }
    job_counters_clear(jc, task);
    if (n == 0)
        return 0;
    if (is_refused(v, n, why, len))
        return -EINVAL;
    names = malloc(n * sizeof(*names));
    sorted = malloc(n * sizeof(*sorted));
    values = malloc(n * sizeof(*values));
    for (size_t i = 0; names && sorted && values && i < n; i++) {
        int64_t k;
        if (jc->nnames >= JOB_COUNTERS_NAMES_MAX &&
            !is_known(jc, v[i]->name) &&
            !mr_counter_is_builtin(v[i]->name)) {
            left_out++;         /* an app's name beyond the job's limit */
            continue;
        }
        if ((k = intern(jc, v[i]->name)) < 0)
            goto out_free;
        names[kept] = sorted[kept] = (uint32_t)k;
        values[kept++] = v[i]->value;
    }
    if (names == NULL || sorted == NULL || values == NULL)
        goto out_free;
    rc = -EINVAL;
    if (has_repeats(sorted, kept)) {
        snprintf(why, len, "a counter named twice");
        goto out_free;
    }
    t = &jc->tasks[task];
    t->names = names;
    t->values = values;
    t->n = kept;
    t->left_out = left_out;
    jc->left_out += left_out;
    for (uint32_t i = 0; i < t->n; i++) {
        uint64_t *sum = &jc->totals[names[i]];
        *sum = values[i] > UINT64_MAX - *sum ? UINT64_MAX : *sum + values[i];
        jc->holders[names[i]]++;
    }
    free(sorted);
    return 0;

out_free:
    free(names);
    free(sorted);
    free(values);
    return rc;
}

uint32_t
job_counters_count(const struct job_counters *jc, uint32_t task)
{
    return task < jc->ntasks ? jc->tasks[task].n : 0;
}

size_t
job_counters_of_task(const struct job_counters *jc, uint32_t task,
                     Mr__Counter *out, Mr__Counter **ptrs)
{
    const struct task_counters *t;

    if (task >= jc->ntasks)
        return 0;
    t = &jc->tasks[task];
    for (uint32_t i = 0; i < t->n; i++) {
        mr__counter__init(&out[i]);
        out[i].name = jc->names[t->names[i]];
        out[i].value = t->values[i];
        ptrs[i] = &out[i];
    }
    return t->n;
}

/* ---------------------------------------------------------------- totals */

static int
counter_compare(const void *a, const void *b)
{
    return strcmp(((const struct job_counter *)a)->name,
                  ((const struct job_counter *)b)->name);
}

/* Whether name is one of extra's. */
static bool
is_extra(const char *name, const struct job_counter *extra, size_t nextra)
{
    for (size_t i = 0; i < nextra; i++)
        if (strcmp(name, extra[i].name) == 0)
            return true;
    return false;
}

struct job_counter *
job_counters_totals(const struct job_counters *jc,
                    const struct job_counter *extra, size_t nextra, size_t *n)
{
    struct job_counter *v = malloc((jc->nnames + nextra + 1) * sizeof(*v));

    *n = 0;
    if (v == NULL)
        return NULL;
    /* A worker's counter named like one of extra is not listed twice:
     * the coordinator's own is the one. */
    for (uint32_t i = 0; i < jc->nnames; i++)
        if (jc->holders[i] > 0 && !is_extra(jc->names[i], extra, nextra))
            v[(*n)++] = (struct job_counter){jc->names[i], jc->totals[i]};
    for (size_t i = 0; i < nextra; i++)
        v[(*n)++] = extra[i];
    qsort(v, *n, sizeof(*v), counter_compare);
    return v;
}
