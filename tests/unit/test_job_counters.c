/* The job's counters (coordinator/job_counters.h): a task's counters are
 * its winning attempt's, replacing any it held, and leave the sums when
 * it runs again; the sums list the names some task holds, sorted, with
 * the coordinator's own; a list a worker should never send is refused
 * whole, saying why. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job_counters.h"

/* Room for a report's counters. */
struct list {
    Mr__Counter c[JOB_COUNTERS_PER_TASK + 2];
    Mr__Counter *p[JOB_COUNTERS_PER_TASK + 2];
    char names[JOB_COUNTERS_PER_TASK + 2][32];
    size_t n;
};

static void
add(struct list *l, const char *name, uint64_t value)
{
    Mr__Counter *c = &l->c[l->n];

    mr__counter__init(c);
    snprintf(l->names[l->n], sizeof(l->names[l->n]), "%s", name);
    c->name = l->names[l->n];
    c->value = value;
    l->p[l->n++] = c;
}

/* The total of name, or -1 when it is not listed. */
static int64_t
total(const struct job_counters *jc, const char *name)
{
    struct job_counter own[] = {{"failed attempts", 7}};
    size_t n;
    struct job_counter *v = job_counters_totals(jc, own, 1, &n);
    int64_t found = -1;

    cr_assert_not_null(v);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            cr_assert_lt(strcmp(v[i - 1].name, v[i].name), 0, "not sorted");
        if (strcmp(v[i].name, name) == 0)
            found = (int64_t)v[i].value;
    }
    free(v);
    return found;
}

Test(job_counters, the_sums_cover_the_tasks_that_hold_counters)
{
    struct job_counters jc;
    struct list a = {0}, b = {0};
    char why[160];

    cr_assert_eq(job_counters_init(&jc, 3), 0);
    add(&a, "map input bytes", 100);
    add(&a, "bad lines", 2);
    add(&b, "map input bytes", 50);
    cr_assert_eq(job_counters_set(&jc, 0, a.p, a.n, why, sizeof(why)), 0);
    cr_assert_eq(job_counters_set(&jc, 1, b.p, b.n, why, sizeof(why)), 0);
    cr_assert_eq(total(&jc, "map input bytes"), 150);
    cr_assert_eq(total(&jc, "bad lines"), 2);
    cr_assert_eq(total(&jc, "failed attempts"), 7);
    /* Task 0 again (a later winner, after its output was lost): its
     * counters replace the ones it had. */
    cr_assert_eq(job_counters_set(&jc, 0, b.p, b.n, why, sizeof(why)), 0);
    cr_assert_eq(total(&jc, "map input bytes"), 100);
    cr_assert_eq(total(&jc, "bad lines"), -1, "no task holds it now");
    job_counters_clear(&jc, 1);
    job_counters_clear(&jc, 1);
    cr_assert_eq(total(&jc, "map input bytes"), 50);
    cr_assert_eq(job_counters_count(&jc, 0), 1);
    cr_assert_eq(job_counters_count(&jc, 1), 0);
    job_counters_free(&jc);
    job_counters_free(&jc);
}

Test(job_counters, a_task_counts_as_the_journal_records_it)
{
    struct job_counters jc, again;
    struct list a = {0};
    Mr__Counter out[4], *ptrs[4];
    char why[160];
    size_t n;

    cr_assert_eq(job_counters_init(&jc, 2), 0);
    cr_assert_eq(job_counters_init(&again, 2), 0);
    add(&a, "x", 1);
    add(&a, "y", 2);
    cr_assert_eq(job_counters_set(&jc, 1, a.p, a.n, why, sizeof(why)), 0);
    n = job_counters_of_task(&jc, 1, out, ptrs);
    cr_assert_eq(n, 2);
    cr_assert_eq(job_counters_set(&again, 1, ptrs, n, why, sizeof(why)), 0);
    cr_assert_eq(total(&again, "x"), 1);
    cr_assert_eq(total(&again, "y"), 2);
    job_counters_free(&jc);
    job_counters_free(&again);
}

Test(job_counters, a_list_no_worker_sends_is_refused_whole)
{
    struct job_counters jc;
    struct list good = {0};
    char why[160], longname[130];
    const struct {
        const char *name, *why;
    } names[] = {
        {"", "of 0 bytes"},
        {"bell\a", "control character"},
        {longname, "more than 120"},
    };

    memset(longname, 'n', 121);
    longname[121] = '\0';
    cr_assert_eq(job_counters_init(&jc, 1), 0);
    add(&good, "kept", 5);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct list l = {0};
        cr_assert_eq(job_counters_set(&jc, 0, good.p, good.n, why,
                                      sizeof(why)), 0);
        add(&l, "fine", 1);
        add(&l, "x", 1);
        /* add() keeps 31 bytes: put the long name in place. */
        l.c[1].name = (char *)names[i].name;
        cr_assert_eq(job_counters_set(&jc, 0, l.p, l.n, why, sizeof(why)),
                     -EINVAL);
        cr_assert(strstr(why, names[i].why), "%s", why);
        cr_assert_eq(job_counters_count(&jc, 0), 0, "the task holds none");
        cr_assert_eq(total(&jc, "kept"), -1);
        cr_assert_eq(total(&jc, "fine"), -1);
    }
    {
        struct list l = {0};
        add(&l, "twice", 1);
        add(&l, "twice", 1);
        cr_assert_eq(job_counters_set(&jc, 0, l.p, l.n, why, sizeof(why)),
                     -EINVAL);
        cr_assert(strstr(why, "twice"), "%s", why);
    }
    {
        static struct list l;
        char name[32];
        for (int i = 0; i <= JOB_COUNTERS_PER_TASK; i++) {
            snprintf(name, sizeof(name), "c%d", i);
            add(&l, name, 1);
        }
        cr_assert_eq(job_counters_set(&jc, 0, l.p, l.n, why, sizeof(why)),
                     -EINVAL);
        cr_assert(strstr(why, "more than"), "%s", why);
    }
    cr_assert_eq(job_counters_set(&jc, 3, good.p, good.n, why, sizeof(why)),
                 -EINVAL, "no such task");
    job_counters_free(&jc);
}

/* Names are interned across tasks: thousands of tasks with the same
 * names, and the job's limit on distinct names: beyond it an app's new
 * names are left out (and counted), the task's other counters kept, and
 * the framework's names always kept. */
Test(job_counters, many_tasks_and_the_limit_on_names)
{
    struct job_counters jc;
    static struct list l;
    char why[160], name[32];
    uint32_t ntasks = 43, fit = 0;

    cr_assert_eq(job_counters_init(&jc, ntasks), 0);
    for (uint32_t t = 0; t + 1 < ntasks; t++) {
        l.n = 0;
        add(&l, "shared", 1);
        for (int i = 0; i < 99; i++) {
            snprintf(name, sizeof(name), "t%u-%d", t, i);
            add(&l, name, 1);
        }
        if (t == ntasks - 2)
            add(&l, "reduce output records", 5);  /* a new built-in */
        int rc = job_counters_set(&jc, t, l.p, l.n, why, sizeof(why));
        cr_assert_eq(rc, 0, "task %u: %s", t, why);
        /* "shared", then 99 new names a task. */
        if (1 + (t + 1) * 99 <= JOB_COUNTERS_NAMES_MAX)
            fit++;
    }
    cr_assert_eq(fit, 41);
    cr_assert_eq(total(&jc, "shared"), ntasks - 1);
    cr_assert_eq(total(&jc, "t3-98"), 1);
    cr_assert_eq(total(&jc, "t40-98"), 1);
    cr_assert_eq(total(&jc, "t41-98"), -1);    /* beyond the limit */
    cr_assert_eq(total(&jc, "reduce output records"), 5);
    /* Task 41's names: 4096 - 1 - 41 * 99 = 36 fit, 63 do not. */
    cr_assert_eq(jc.left_out, 63);
    /* Task 41 run again (its map's output lost): counted once. */
    l.n = 0;
    add(&l, "shared", 1);
    for (int i = 0; i < 99; i++) {
        snprintf(name, sizeof(name), "t%u-%d", ntasks - 2, i);
        add(&l, name, 1);
    }
    job_counters_clear(&jc, ntasks - 2);
    cr_assert_eq(jc.left_out, 0);
    cr_assert_eq(job_counters_set(&jc, ntasks - 2, l.p, l.n, why,
                                  sizeof(why)), 0, "%s", why);
    cr_assert_eq(jc.left_out, 63);
    job_counters_free(&jc);
}

/* A worker's counter named like one of the coordinator's is not listed
 * twice. */
Test(job_counters, the_coordinators_own_win)
{
    struct job_counters jc;
    struct list l = {0};
    char why[160];

    cr_assert_eq(job_counters_init(&jc, 1), 0);
    add(&l, "failed attempts", 1000);
    cr_assert_eq(job_counters_set(&jc, 0, l.p, l.n, why, sizeof(why)), 0);
    cr_assert_eq(total(&jc, "failed attempts"), 7);
    job_counters_free(&jc);
}
