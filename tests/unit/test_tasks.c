/* The coordinator's task state machine, driven with a fake clock: phases,
 * deadlines, first-completion-wins (the losers counted as killed),
 * failures, and workers that vanish. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tasks.h"

#define TIMEOUT 10000

static struct coord_tasks t;

static void
setup_2x3(void)
{
    cr_assert_eq(tasks_init(&t, 2, 3, TIMEOUT, 3, 100), 0);
}

static void
teardown(void)
{
    tasks_free(&t);
}

TestSuite(tasks, .init = setup_2x3, .fini = teardown);

Test(tasks, maps_first_then_reduces_then_done)
{
    struct coord_task *a = tasks_assign(&t, 0, 1);
    struct coord_task *b = tasks_assign(&t, 0, 2);

    cr_assert(a && b && a->kind == KIND_MAP && b->kind == KIND_MAP);
    cr_assert_neq(a->id, b->id);
    cr_assert_null(tasks_assign(&t, 0, 3), "no reduce before maps are done");
    cr_assert_eq(tasks_complete(&t, a, 1, 1, 0), 0);
    cr_assert_null(tasks_assign(&t, 0, 3));
    cr_assert_eq(tasks_complete(&t, b, 1, 2, 0), 0);
    cr_assert_eq(t.phase, PHASE_REDUCE);
    for (int i = 0; i < 3; i++) {
        struct coord_task *r = tasks_assign(&t, 0, 3);
        cr_assert(r && r->kind == KIND_REDUCE && r->id == (uint32_t)i);
        cr_assert(tasks_check(&t));
        cr_assert_eq(tasks_complete(&t, r, 1, 3, 0), 0);
    }
    cr_assert_eq(t.phase, PHASE_DONE);
    cr_assert(tasks_are_over(&t));
    cr_assert_null(tasks_assign(&t, 0, 3));
    cr_assert(tasks_check(&t));
}

Test(tasks, deadline_requeues_only_when_due)
{
    struct coord_task *a = tasks_assign(&t, 1000, 1);

    cr_assert_eq(a->deadline, 1000 + TIMEOUT);
    cr_assert_not(tasks_expire(&t, a, 1000 + TIMEOUT - 1));
    cr_assert_eq(a->state, TASK_RUNNING);
    cr_assert(tasks_expire(&t, a, 1000 + TIMEOUT));
    cr_assert_eq(a->state, TASK_IDLE);
    cr_assert_eq(t.reassigned, 1);
    /* The other map is handed out first: the requeued one goes last. */
    cr_assert_neq(tasks_assign(&t, 20000, 2), a);
    cr_assert_eq(tasks_assign(&t, 20000, 3), a);
    cr_assert_eq(a->attempts, 2);
    cr_assert(tasks_check(&t));
}

Test(tasks, first_completion_wins_and_late_reports_are_stale)
{
    struct coord_task *a = tasks_assign(&t, 0, 1);

    cr_assert(tasks_expire(&t, a, TIMEOUT));
    tasks_assign(&t, TIMEOUT, 2);             /* the other map */
    cr_assert_eq(tasks_assign(&t, TIMEOUT, 3), a);
    /* The slow first attempt finishes before the second. */
    cr_assert_eq(tasks_complete(&t, a, 1, 1, 0), 0);
    cr_assert_eq(a->done_attempt, 1);
    cr_assert_eq(tasks_complete(&t, a, 2, 3, 0), MR_ESTALE);
    cr_assert_eq(a->done_attempt, 1);
    cr_assert_eq(t.maps_done, 1, "a duplicate must not be counted twice");
    cr_assert_eq(tasks_fail(&t, a, 2, "late"), MR_ESTALE);
    cr_assert_eq(t.stale, 2);
    cr_assert_eq(t.killed, 1, "attempt 2 ran when attempt 1 won");
    cr_assert(tasks_check(&t));
}

Test(tasks, completion_by_an_expired_attempt_while_idle_is_accepted)
{
    struct coord_task *a = tasks_assign(&t, 0, 1);

    cr_assert(tasks_expire(&t, a, TIMEOUT));
    cr_assert_eq(tasks_complete(&t, a, 1, 1, 0), 0);
    cr_assert_eq(a->state, TASK_DONE);
    cr_assert_eq(t.killed, 0, "no other attempt ran");
    /* The queue still holds it, but it is never handed out again. */
    struct coord_task *b = tasks_assign(&t, TIMEOUT, 2);
    cr_assert_neq(b, a);
    cr_assert_null(tasks_assign(&t, TIMEOUT, 3));
    cr_assert(tasks_check(&t));
}

Test(tasks, unknown_attempts_are_refused)
{
    struct coord_task *a = tasks_assign(&t, 0, 1);

    cr_assert_eq(tasks_complete(&t, a, 0, 1, 0), -EINVAL);
    cr_assert_eq(tasks_complete(&t, a, 2, 1, 0), -EINVAL);
    cr_assert_eq(tasks_fail(&t, a, 7, "x"), -EINVAL);
    cr_assert_null(tasks_find(&t, KIND_MAP, 2));
    cr_assert_null(tasks_find(&t, KIND_REDUCE, 3));
    cr_assert_eq(a->state, TASK_RUNNING);
    cr_assert(tasks_check(&t));
}

Test(tasks, failures_retry_then_fail_the_job)
{
    struct coord_task *a;

    for (uint32_t i = 1; i <= 2; i++) {
        a = tasks_assign(&t, 0, 1);
        if (a->id != 0) {                     /* keep failing map 0 */
            tasks_complete(&t, a, a->attempts, 1, 0);
            a = tasks_assign(&t, 0, 1);
        }
        cr_assert_eq(tasks_fail(&t, a, a->attempts, "bad"), 0);
        cr_assert_eq(a->state, TASK_IDLE);
    }
    a = tasks_assign(&t, 0, 1);
    cr_assert_eq(tasks_fail(&t, a, 3, "still bad"), MR_EAPP);
    cr_assert_eq(t.phase, PHASE_FAILED);
    cr_assert(strstr(t.why_failed, "map task 0 failed 3 times"));
    cr_assert(strstr(t.why_failed, "still bad"));
    cr_assert_null(tasks_assign(&t, 0, 1));
    cr_assert(tasks_check(&t));
}

Test(tasks, a_vanished_worker_gives_its_tasks_back)
{
    struct coord_task *a = tasks_assign(&t, 0, 7);
    struct coord_task *b = tasks_assign(&t, 0, 8);

    cr_assert_eq(tasks_release_owner(&t, 7, NULL, NULL), 1);
    cr_assert_eq(a->state, TASK_IDLE);
    cr_assert_eq(b->state, TASK_RUNNING);
    cr_assert_eq(tasks_release_owner(&t, 7, NULL, NULL), 0);
    cr_assert_eq(tasks_assign(&t, 0, 9), a);
    cr_assert_eq(a->owner, 9);
    cr_assert(tasks_check(&t));
}

Test(tasks, reduce_tasks_see_the_winning_map_attempts)
{
    struct coord_task *a = tasks_assign(&t, 0, 1);
    struct coord_task *b = tasks_assign(&t, 0, 2);

    cr_assert(tasks_expire(&t, b, TIMEOUT));
    cr_assert_eq(tasks_assign(&t, TIMEOUT, 3), b);
    cr_assert_eq(tasks_complete(&t, b, 2, 3, 0), 0);
    cr_assert_eq(tasks_complete(&t, a, 1, 1, 0), 0);
    cr_assert_eq(t.maps[a->id].done_attempt, 1);
    cr_assert_eq(t.maps[b->id].done_attempt, 2);
    cr_assert(tasks_check(&t));
}

/* Runs both maps to completion, so the job is in the REDUCE phase. */
static void
finish_maps(void)
{
    for (int i = 0; i < 2; i++) {
        struct coord_task *m = tasks_assign(&t, 0, 1);
        cr_assert_eq(m->kind, KIND_MAP);
        cr_assert_eq(tasks_complete(&t, m, m->attempts, 1, 0), 0);
    }
    cr_assert_eq(t.phase, PHASE_REDUCE);
}

Test(tasks, a_bad_map_output_sends_the_job_back_to_the_map_phase)
{
    struct coord_task *r0, *r1, *m;

    finish_maps();
    r0 = tasks_assign(&t, 0, 1);
    cr_assert_eq(tasks_complete(&t, r0, 1, 1, 0), 0);  /* read good data */
    r1 = tasks_assign(&t, 0, 2);
    /* r1 finds map 1's output corrupt. */
    cr_assert_eq(tasks_redo_map(&t, 1, "checksum"), 0);
    cr_assert_eq(tasks_retry(&t, r1, 1), 0);
    cr_assert_eq(t.phase, PHASE_MAP);
    cr_assert(tasks_check(&t));
    /* Only the map is handed out until it is done again. */
    m = tasks_assign(&t, 0, 3);
    cr_assert(m != NULL && m->kind == KIND_MAP && m->id == 1);
    cr_assert_eq(m->attempts, 2);
    cr_assert_null(tasks_assign(&t, 0, 4), "a reduce ran before its input");
    /* A second report of the same bad output changes nothing. */
    cr_assert_eq(tasks_redo_map(&t, 1, "checksum"), MR_ESTALE);
    cr_assert_eq(tasks_complete(&t, m, 2, 3, 0), 0);
    cr_assert_eq(t.phase, PHASE_REDUCE);
    cr_assert_eq(t.maps[1].done_attempt, 2, "reduces must read attempt 2");
    /* r1 comes back, after reduce 2 that was queued before it; the
     * reduce that finished stays finished. */
    cr_assert_eq(tasks_assign(&t, 0, 5)->id, 2);
    cr_assert_eq(tasks_assign(&t, 0, 6), r1);
    cr_assert_eq(r0->state, TASK_DONE);
    cr_assert_eq(r1->failures, 0, "the reduce was not at fault");
    cr_assert(tasks_check(&t));
}

Test(tasks, a_map_whose_output_keeps_going_bad_fails_the_job)
{
    struct coord_task *m;

    finish_maps();
    cr_assert_eq(tasks_redo_map(&t, 0, "bad"), 0);
    m = tasks_assign(&t, 0, 1);
    cr_assert_eq(tasks_complete(&t, m, m->attempts, 1, 0), 0);
    cr_assert_eq(tasks_redo_map(&t, 0, "bad"), 0);
    m = tasks_assign(&t, 0, 1);
    cr_assert_eq(tasks_complete(&t, m, m->attempts, 1, 0), 0);
    cr_assert_eq(tasks_redo_map(&t, 0, "bad again"), MR_EAPP);
    cr_assert_eq(t.phase, PHASE_FAILED);
    cr_assert(strstr(t.why_failed, "map task 0 wrote output that was bad 3 "
                     "times"), "%s",
              t.why_failed);
    cr_assert_eq(tasks_redo_map(&t, 9, "x"), -EINVAL);
    cr_assert(tasks_check(&t));
}

Test(tasks, a_reduce_running_during_a_map_rerun_is_released_with_its_worker)
{
    struct coord_task *r;

    finish_maps();
    r = tasks_assign(&t, 0, 7);
    cr_assert_eq(tasks_redo_map(&t, 0, "bad"), 0);
    cr_assert_eq(t.phase, PHASE_MAP);
    cr_assert_eq(tasks_release_owner(&t, 7, NULL, NULL), 1);
    cr_assert_eq(r->state, TASK_IDLE);
    cr_assert(tasks_check(&t));
}

/* ------------------------------------------------ who may complete what */

Test(tasks, a_completion_counts_only_from_the_owner_given_the_attempt)
{
    struct coord_task *a = tasks_assign(&t, 0, 1);
    struct coord_task *b = tasks_assign(&t, 0, 2);

    cr_assert_eq(tasks_complete(&t, a, 1, 2, 0), -EPERM, "a liar's claim");
    cr_assert_eq(tasks_complete(&t, a, 1, 0, 0), -EPERM);
    cr_assert_eq(tasks_complete(&t, a, 1, UINT64_MAX, 0), -EPERM);
    cr_assert_eq(a->state, TASK_RUNNING, "a refused claim changes nothing");
    cr_assert_eq(t.maps_done, 0);
    cr_assert_eq(t.stale, 0);
    cr_assert_eq(tasks_complete(&t, a, UINT32_MAX, 1, 0), -EINVAL);
    cr_assert_eq(tasks_complete(&t, a, 1, 1, 0), 0);
    cr_assert_eq(tasks_complete(&t, b, 1, 1, 0), -EPERM);
    cr_assert_eq(tasks_complete(&t, b, 1, 2, 0), 0);
    cr_assert_eq(t.phase, PHASE_REDUCE);
    cr_assert(tasks_check(&t));
}

Test(tasks, an_expired_attempt_still_completes_from_its_own_owner)
{
    struct coord_task *a = tasks_assign(&t, 0, 1);

    cr_assert(tasks_expire(&t, a, TIMEOUT));
    tasks_assign(&t, TIMEOUT, 2);             /* the other map */
    cr_assert_eq(tasks_assign(&t, TIMEOUT, 3), a);
    cr_assert(task_was_handed_to(a, 1, 1));
    cr_assert(task_was_handed_to(a, 2, 3));
    cr_assert_eq(tasks_complete(&t, a, 1, 3, 0), -EPERM, "3 got attempt 2");
    cr_assert_eq(tasks_complete(&t, a, 2, 1, 0), -EPERM, "1 got attempt 1");
    cr_assert_eq(tasks_complete(&t, a, 1, 1, 0), 0);
    cr_assert_eq(a->done_attempt, 1);
    cr_assert_eq(tasks_complete(&t, a, 2, 3, 0), MR_ESTALE);
    cr_assert(tasks_check(&t));
}

Test(tasks, a_vanished_owner_is_forgotten)
{
    struct coord_task *a = tasks_assign(&t, 0, 7);

    cr_assert_eq(tasks_release_owner(&t, 7, NULL, NULL), 1);
    cr_assert_not(task_was_handed_to(a, 1, 7));
    tasks_assign(&t, 0, 8);                   /* the other map */
    cr_assert_eq(tasks_assign(&t, 0, 9), a);
    cr_assert_eq(tasks_complete(&t, a, 1, 7, 0), -EPERM);
    cr_assert_eq(tasks_complete(&t, a, 2, 9, 0), 0);
    cr_assert(tasks_check(&t));
}

/* One map, handed to owners 101, 102, ... in turn, each attempt expiring. */
static struct coord_task *
hand_out_expiring(uint32_t n, uint64_t first_owner)
{
    struct coord_task *a = NULL;

    for (uint32_t i = 0; i < n; i++) {
        a = tasks_assign(&t, 0, first_owner + i);
        cr_assert_not_null(a);
        cr_assert(tasks_expire(&t, a, TIMEOUT));
    }
    return a;
}

Test(tasks, only_the_newest_attempts_are_remembered)
{
    struct coord_task *a;

    tasks_free(&t);
    cr_assert_eq(tasks_init(&t, 1, 1, TIMEOUT, 3, 100), 0);
    a = hand_out_expiring(TASK_HANDOUTS + 1, 101);
    cr_assert_eq(a->attempts, TASK_HANDOUTS + 1);
    cr_assert_not(task_was_handed_to(a, 1, 101), "the oldest is dropped");
    for (uint32_t i = 2; i <= TASK_HANDOUTS + 1; i++)
        cr_assert(task_was_handed_to(a, i, 100 + i), "attempt %u", i);
    cr_assert_eq(tasks_complete(&t, a, 1, 101, 0), -EPERM);
    cr_assert_eq(tasks_complete(&t, a, 2, 102, 0), 0);
    cr_assert(tasks_check(&t));
}

Test(tasks, an_empty_slot_is_reused_before_the_oldest)
{
    struct coord_task *a;

    tasks_free(&t);
    cr_assert_eq(tasks_init(&t, 1, 1, TIMEOUT, 3, 100), 0);
    a = hand_out_expiring(TASK_HANDOUTS, 101);
    tasks_release_owner(&t, 103, NULL, NULL);
    hand_out_expiring(1, 200);
    cr_assert(task_was_handed_to(a, 1, 101), "the oldest is kept");
    cr_assert(task_was_handed_to(a, TASK_HANDOUTS + 1, 200));
    cr_assert_not(task_was_handed_to(a, 3, 103));
    cr_assert(tasks_check(&t));
}

Test(tasks, one_owner_takes_one_slot)
{
    struct coord_task *a;

    tasks_free(&t);
    cr_assert_eq(tasks_init(&t, 1, 1, TIMEOUT, 3, 100), 0);
    a = hand_out_expiring(1, 6);
    /* Owner 5 takes the task again and again: it never crowds out 6. */
    for (int i = 0; i < 3 * TASK_HANDOUTS; i++)
        hand_out_expiring(1, 5);
    cr_assert(task_was_handed_to(a, 1, 6));
    cr_assert(task_was_handed_to(a, a->attempts, 5));
    cr_assert_not(task_was_handed_to(a, a->attempts - 1, 5));
    cr_assert(tasks_check(&t));
}

/* Appends what the coordinator would: the task's input. */
static void
describe_input(const struct coord_task *task, char *buf, size_t len,
               void *arg)
{
    (void)arg;
    if (task->kind == KIND_MAP)
        snprintf(buf, len, " (input in-%u.txt)", task->id);
}

/* A task whose every worker vanishes (it kills them without a word) ends
 * the job at max_lost, named with its input, instead of being handed out
 * forever; deadlines that pass do not count. */
Test(tasks, a_task_lost_too_often_fails_the_job)
{
    struct coord_task *a = NULL;

    tasks_free(&t);
    cr_assert_eq(tasks_init(&t, 2, 1, TIMEOUT, 3, 4), 0);
    t.describe = describe_input;
    for (uint64_t owner = 1; owner <= 3; owner++) {
        while ((a = tasks_assign(&t, 0, owner)) != NULL && a->id != 1)
            tasks_complete(&t, a, a->attempts, owner, 0);
        cr_assert_not_null(a);
        if (owner == 2) {                       /* late: not counted */
            cr_assert(tasks_expire(&t, a, TIMEOUT));
            cr_assert_eq(a->lost, 1);
            a = tasks_assign(&t, 0, owner);
        }
        cr_assert_eq(tasks_release_owner(&t, owner, NULL, NULL), 1);
        cr_assert_eq(t.phase, PHASE_MAP);
    }
    a = tasks_assign(&t, 0, 4);
    cr_assert_eq(a->id, 1);
    tasks_release_owner(&t, 4, NULL, NULL);
    cr_assert_eq(t.phase, PHASE_FAILED);
    cr_assert_eq(a->lost, 4);
    cr_assert_eq(t.failed_task, a);
    cr_assert(strstr(t.why_failed, "map task 1 (input in-1.txt) was lost 4 "
                     "times") != NULL, "%s", t.why_failed);
    cr_assert(strstr(t.why_failed, "disconnected") != NULL);
    cr_assert(tasks_check(&t));
    cr_assert_null(tasks_assign(&t, 0, 5));
}

/* Failures and losses are counted apart: losses do not use up the
 * failure budget. */
Test(tasks, losses_do_not_count_as_failures)
{
    struct coord_task *a;

    for (uint64_t owner = 1; owner <= 10; owner++) {
        a = tasks_assign(&t, 0, owner);
        tasks_release_owner(&t, owner, NULL, NULL);
        cr_assert_eq(t.phase, PHASE_MAP);
    }
    a = tasks_assign(&t, 0, 20);
    cr_assert_eq(tasks_fail(&t, a, a->attempts, "bad"), 0);
    cr_assert_eq(t.phase, PHASE_MAP);
    cr_assert_eq(a->failures, 1);
    cr_assert(tasks_check(&t));
}


/* ------------------------------------------------------------ checks */

/* The O(1) check after each change catches what a corrupted task or
 * count would break, as the full walk does; each case corrupts a sound
 * table (two maps RUNNING) one way. */
Test(tasks, check_of_one_task_catches_corruption)
{
    static const char *const cases[] = {
        "RUNNING task outside its running slot",
        "RUNNING task past the running count",
        "DONE task with no winning attempt",
        "running attempt not the newest",
        "more maps done than maps",
        "phase REDUCE with maps left",
        "more backups won than launched",
        "backup candidates out of order",
        "RUNNING task left out of the backup candidates",
        "oldest candidate not the list's oldest",
        "newest candidate not the list's newest",
        "task moved into a freed running slot names another",
    };

    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct coord_task *a, *b;

        tasks_free(&t);
        cr_assert_eq(tasks_init(&t, 2, 3, TIMEOUT, 3, 100), 0);
        a = tasks_assign(&t, 0, 1);
        b = tasks_assign(&t, 5, 2);
        cr_assert(tasks_check_task(&t, a) && tasks_check_task(&t, b));
        switch (c) {
        case 0: a->running_slot = b->running_slot; break;
        case 1: t.running[KIND_MAP] = 1; a->running_slot = 1; break;
        case 2: a->state = TASK_DONE; a->done_attempt = 0; break;
        case 3: a->attempts++; break;
        case 4: t.maps_done = 3; break;
        case 5: t.phase = PHASE_REDUCE; break;
        case 6: t.backups_won = 1; break;
        case 7: a->started = b->started + 1; break;
        case 8: a->candidate = false; break;
        case 9: t.candidates[KIND_MAP].oldest = b; break;
        case 10: t.candidates[KIND_MAP].newest = a; break;
        case 11:                /* b fills a's slot 0, and is corrupted */
            cr_assert_eq(tasks_complete(&t, a, 1, 1, 10), 0);
            b->running_slot = 1;
            break;
        }
        cr_assert_not(tasks_check_task(&t, a), "%s", cases[c]);
        cr_assert_not(tasks_check(&t), "%s", cases[c]);
    }
}

/* The check of the job alone (no task) sees the counts and the phase. */
Test(tasks, check_of_the_job_alone)
{
    cr_assert(tasks_check_task(&t, NULL));
    t.reduces_done = 4;
    cr_assert_not(tasks_check_task(&t, NULL));
}
/* ------------------------------------------------------------ backups */

TestSuite(backups, .fini = teardown);

/* A fresh table of nmap maps and 2 reduces; map i handed to owner i + 1 at
 * time 0, and all but the last nstragglers completed at took ms: those
 * stay RUNNING, owned by nmap - nstragglers + 1 .. nmap. */
static void
stragglers(uint32_t nmap, uint32_t nstragglers, uint64_t took)
{
    tasks_free(&t);
    cr_assert_eq(tasks_init(&t, nmap, 2, TIMEOUT, 3, 100), 0);
    for (uint32_t i = 0; i < nmap; i++)
        cr_assert_eq(tasks_assign(&t, 0, i + 1), &t.maps[i]);
    for (uint32_t i = 0; i + nstragglers < nmap; i++)
        cr_assert_eq(tasks_complete(&t, &t.maps[i], 1, i + 1, took), 0);
    cr_assert(tasks_check(&t));
}

/* Map 3 of 4, owned by 4, gets a backup (attempt 2) for owner 9 at 3000:
 * three times the median, 1000 ms. */
static struct coord_task *
backed_up_map(void)
{
    struct coord_task *s, *b;

    stragglers(4, 1, 1000);
    s = &t.maps[3];
    b = tasks_assign_backup(&t, 3000, 9);
    cr_assert_eq(b, s);
    cr_assert_eq(s->state, TASK_RUNNING);
    cr_assert_eq(s->attempts, 2);
    cr_assert_eq(s->running_attempt, 2);
    cr_assert_eq(s->owner, 9);
    cr_assert_eq(s->deadline, 3000 + TIMEOUT, "the backup's own deadline");
    cr_assert_eq(s->backed_up.attempt, 1);
    cr_assert_eq(s->backed_up.owner, 4);
    cr_assert(task_was_handed_to(s, 1, 4));
    cr_assert(task_was_handed_to(s, 2, 9));
    cr_assert_eq(t.backups, 1);
    cr_assert_eq(t.running[KIND_MAP], 1, "one task, two live attempts");
    cr_assert(tasks_check(&t));
    return s;
}

Test(backups, none_while_a_task_of_the_phase_is_idle)
{
    tasks_free(&t);
    cr_assert_eq(tasks_init(&t, 4, 2, TIMEOUT, 3, 100), 0);
    for (uint64_t owner = 1; owner <= 3; owner++)
        tasks_assign(&t, 0, owner);
    cr_assert_eq(tasks_complete(&t, &t.maps[0], 1, 1, 1000), 0);
    cr_assert_eq(tasks_complete(&t, &t.maps[1], 1, 2, 1000), 0);
    /* Map 2 has run 100 times the median, but map 3 waits. */
    cr_assert_null(tasks_assign_backup(&t, 100000, 9));
    cr_assert_eq(tasks_backup_due(&t, 100000), 0);
    cr_assert_eq(tasks_assign(&t, 100000, 9), &t.maps[3]);
    cr_assert_eq(tasks_assign_backup(&t, 100000, 1), &t.maps[2]);
    cr_assert(tasks_check(&t));
}

Test(backups, none_before_a_task_of_the_kind_has_finished)
{
    stragglers(4, 4, 0);
    cr_assert_null(tasks_assign_backup(&t, 100000, 9));
    cr_assert_eq(tasks_backup_due(&t, 100000), 0);
    cr_assert_eq(t.backups, 0);
    cr_assert(tasks_check(&t));
}

/* How long a straggler must run before a backup, from the durations of
 * the finished tasks of its kind: three times their (lower) median, and
 * TASK_BACKUP_MIN_MS at least. */
Test(backups, not_before_the_threshold_and_then_one)
{
    static const struct {
        const char *what;
        uint32_t n;             /* finished maps */
        uint64_t took[4];       /* their durations */
        uint64_t threshold;
    } cases[] = {
        {"equal", 3, {1000, 1000, 1000}, 3000},
        {"the median, not the mean", 3, {100, 200, 9000}, 600},
        {"the lower median of an even count", 4, {100, 200, 300, 400}, 600},
        {"one finished task is enough", 1, {500}, 1500},
        {"short tasks: the floor", 3, {10, 10, 10}, TASK_BACKUP_MIN_MS},
        {"instant tasks: the floor", 2, {0, 0}, TASK_BACKUP_MIN_MS},
    };

    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        uint32_t n = cases[c].n;
        uint64_t when = cases[c].threshold;
        tasks_free(&t);
        cr_assert_eq(tasks_init(&t, n + 1, 2, TIMEOUT, 3, 100), 0);
        for (uint32_t i = 0; i <= n; i++)
            tasks_assign(&t, 0, i + 1);
        for (uint32_t i = 0; i < n; i++)
            tasks_complete(&t, &t.maps[i], 1, i + 1, cases[c].took[i]);
        cr_assert_eq(tasks_backup_due(&t, 0), when, "%s", cases[c].what);
        cr_assert_null(tasks_assign_backup(&t, when - 1, 99), "%s",
                       cases[c].what);
        cr_assert_eq(tasks_assign_backup(&t, when, 99), &t.maps[n], "%s",
                     cases[c].what);
        cr_assert(tasks_check(&t), "%s", cases[c].what);
    }
}

/* The threshold follows the finished tasks: one more slow one raises the
 * median, and the next backup comes later. */
Test(backups, the_median_moves_with_completions)
{
    stragglers(6, 4, 1000);
    cr_assert_eq(tasks_backup_due(&t, 1000), 3000);
    for (uint32_t i = 2; i < 5; i++)
        cr_assert_eq(tasks_complete(&t, &t.maps[i], 1, i + 1, 2000), 0);
    cr_assert_eq(tasks_backup_due(&t, 2000), 6000);
    cr_assert_null(tasks_assign_backup(&t, 5999, 1));
    cr_assert_eq(tasks_assign_backup(&t, 6000, 1), &t.maps[5]);
    cr_assert(tasks_check(&t));
}

Test(backups, the_longest_running_first_within_the_budget)
{
    tasks_free(&t);
    cr_assert_eq(tasks_init(&t, 40, 2, TIMEOUT, 3, 100), 0);
    for (uint32_t i = 0; i < 37; i++)
        tasks_assign(&t, 0, i + 1);
    cr_assert_eq(tasks_assign(&t, 300, 38), &t.maps[37]);
    cr_assert_eq(tasks_assign(&t, 100, 39), &t.maps[38]);
    cr_assert_eq(tasks_assign(&t, 200, 40), &t.maps[39]);
    for (uint32_t i = 0; i < 37; i++)
        tasks_complete(&t, &t.maps[i], 1, i + 1, 1000);
    /* 5% of 40 maps: two backups, the two that have run longest. */
    cr_assert_eq(tasks_assign_backup(&t, 5000, 1), &t.maps[38]);
    cr_assert_eq(tasks_assign_backup(&t, 5000, 2), &t.maps[39]);
    cr_assert_null(tasks_assign_backup(&t, 5000, 3), "over the budget");
    cr_assert_eq(tasks_backup_due(&t, 5000), 0);
    cr_assert_eq(t.backups, 2);
    cr_assert_eq(t.maps[37].attempts, 1);
    /* The budget is the job's: finished backups do not give it back. */
    cr_assert_eq(tasks_complete(&t, &t.maps[38], 2, 1, 6000), 0);
    cr_assert_null(tasks_assign_backup(&t, 9000, 1));
    cr_assert(tasks_check(&t));
}

Test(backups, a_small_job_may_launch_one)
{
    backed_up_map();
    cr_assert_eq(tasks_complete(&t, &t.maps[3], 2, 9, 3500), 0);
    cr_assert_eq(t.phase, PHASE_REDUCE);
    /* Reduces have a budget of their own, and their own median. */
    cr_assert_eq(tasks_assign(&t, 4000, 1)->kind, KIND_REDUCE);
    cr_assert_eq(tasks_assign(&t, 4000, 2)->kind, KIND_REDUCE);
    cr_assert_eq(tasks_complete(&t, &t.reduces[0], 1, 1, 4010), 0);
    cr_assert_eq(tasks_backup_due(&t, 4010), 4000 + TASK_BACKUP_MIN_MS);
    cr_assert_eq(tasks_assign_backup(&t, 4100, 1), &t.reduces[1]);
    cr_assert_eq(t.backups, 2);
    cr_assert(tasks_check(&t));
}

Test(backups, never_to_the_worker_running_it_nor_two_at_once)
{
    struct coord_task *s;

    stragglers(40, 1, 1000);
    s = &t.maps[39];
    cr_assert_null(tasks_assign_backup(&t, 5000, 40), "its own worker");
    cr_assert_eq(tasks_assign_backup(&t, 5000, 1), s);
    cr_assert_null(tasks_assign_backup(&t, 50000, 2), "a backup runs");
    cr_assert_eq(tasks_backup_due(&t, 5000), 0);
    cr_assert_eq(t.backups, 1);
    cr_assert(tasks_check(&t));
}

Test(backups, the_backup_completes_first_and_wins)
{
    struct coord_task *s = backed_up_map();

    cr_assert_eq(tasks_complete(&t, s, 2, 9, 3500), 0);
    cr_assert_eq(s->done_attempt, 2);
    cr_assert_eq(s->backed_up.attempt, 0);
    cr_assert_eq(t.backups_won, 1);
    cr_assert_eq(t.killed, 1, "the original lost");
    cr_assert_eq(s->duration, 500, "the winning attempt's own run");
    cr_assert_eq(tasks_complete(&t, s, 1, 4, 4000), MR_ESTALE);
    cr_assert_eq(tasks_fail(&t, s, 1, "late"), MR_ESTALE);
    cr_assert_eq(s->done_attempt, 2);
    cr_assert_eq(t.maps_done, 4);
    cr_assert_eq(t.phase, PHASE_REDUCE);
    cr_assert(tasks_check(&t));
}

Test(backups, the_original_completes_first_and_wins)
{
    struct coord_task *s = backed_up_map();

    cr_assert_eq(tasks_complete(&t, s, 1, 4, 3500), 0);
    cr_assert_eq(s->done_attempt, 1);
    cr_assert_eq(t.backups_won, 0);
    cr_assert_eq(t.killed, 1, "the backup lost");
    cr_assert_eq(s->duration, 3500);
    cr_assert_eq(tasks_complete(&t, s, 2, 9, 4000), MR_ESTALE);
    cr_assert_eq(s->done_attempt, 1);
    cr_assert_eq(t.phase, PHASE_REDUCE);
    cr_assert(tasks_check(&t));
}

Test(backups, a_failure_of_the_original_is_stale)
{
    struct coord_task *s = backed_up_map();

    cr_assert_eq(tasks_fail(&t, s, 1, "disk full"), MR_ESTALE);
    cr_assert_eq(s->state, TASK_RUNNING);
    cr_assert_eq(s->failures, 0);
    cr_assert_eq(tasks_retry(&t, s, 1), MR_ESTALE);
    cr_assert_eq(tasks_complete(&t, s, 2, 9, 3500), 0);
    cr_assert(tasks_check(&t));
}

/* The backup fails: the task is requeued, and the original may still
 * win. */
Test(backups, a_failed_backup_requeues_and_the_original_may_win)
{
    struct coord_task *s = backed_up_map();

    cr_assert_eq(tasks_fail(&t, s, 2, "disk full"), 0);
    cr_assert_eq(s->state, TASK_IDLE);
    cr_assert_eq(s->backed_up.attempt, 0);
    cr_assert(tasks_check(&t));
    cr_assert_eq(tasks_complete(&t, s, 1, 4, 5000), 0);
    cr_assert_eq(s->done_attempt, 1);
    cr_assert_not(s->timed, "an attempt no longer followed: no duration");
    cr_assert_eq(t.backups_won, 0);
    cr_assert(tasks_check(&t));
}

Test(backups, the_backups_worker_vanishes)
{
    struct coord_task *s = backed_up_map();

    cr_assert_eq(tasks_release_owner(&t, 9, NULL, NULL), 1);
    cr_assert_eq(s->state, TASK_IDLE);
    cr_assert_eq(s->lost, 1);
    cr_assert_not(task_was_handed_to(s, 2, 9));
    cr_assert(tasks_check(&t));
    /* The original finishes before anyone takes the task again. */
    cr_assert_eq(tasks_complete(&t, s, 1, 4, 5000), 0);
    cr_assert_eq(t.phase, PHASE_REDUCE);
    cr_assert(tasks_check(&t));
}

Test(backups, the_originals_worker_vanishes)
{
    struct coord_task *s = backed_up_map();

    cr_assert_eq(tasks_release_owner(&t, 4, NULL, NULL), 0, "not requeued");
    cr_assert_eq(s->state, TASK_RUNNING);
    cr_assert_eq(s->owner, 9);
    cr_assert_eq(s->backed_up.attempt, 0);
    cr_assert_eq(s->lost, 0);
    cr_assert_not(task_was_handed_to(s, 1, 4));
    cr_assert(tasks_check(&t));
    cr_assert_eq(tasks_complete(&t, s, 1, 4, 3500), -EPERM);
    cr_assert_eq(tasks_complete(&t, s, 2, 9, 3500), 0);
    cr_assert_eq(t.backups_won, 1);
    cr_assert(tasks_check(&t));
}

/* A backup brings its own deadline: the original's passing changes
 * nothing, the backup's requeues the task. */
Test(backups, the_deadline_is_the_backups)
{
    struct coord_task *s = backed_up_map();

    cr_assert_not(tasks_expire(&t, s, TIMEOUT));
    cr_assert_eq(s->state, TASK_RUNNING);
    cr_assert(tasks_expire(&t, s, 3000 + TIMEOUT));
    cr_assert_eq(s->state, TASK_IDLE);
    cr_assert_eq(s->backed_up.attempt, 0);
    cr_assert(tasks_check(&t));
    /* Handed out again: both late attempts may still complete it. */
    cr_assert_eq(tasks_assign(&t, 20000, 5), s);
    cr_assert_eq(s->attempts, 3);
    cr_assert(task_was_handed_to(s, 1, 4) && task_was_handed_to(s, 2, 9));
    cr_assert_eq(tasks_complete(&t, s, 2, 9, 21000), 0);
    cr_assert_eq(t.backups_won, 1);
    cr_assert(tasks_check(&t));
}

/* A map that won by its backup and whose output then went bad, or was
 * lost: it runs again, its duration leaves the median, and the attempts of
 * before may still complete it. */
Test(backups, a_backed_up_map_redone)
{
    struct coord_task *s = backed_up_map();

    cr_assert_eq(tasks_complete(&t, s, 2, 9, 9000), 0);
    cr_assert_eq(t.timing[KIND_MAP].timed, 4);
    cr_assert_eq(tasks_redo_map(&t, 3, "checksum"), 0);
    cr_assert_eq(t.phase, PHASE_MAP);
    cr_assert_eq(t.timing[KIND_MAP].timed, 3);
    cr_assert(tasks_check(&t));
    cr_assert_eq(tasks_assign(&t, 10000, 5), s);
    cr_assert_eq(s->attempts, 3);
    cr_assert_null(tasks_assign_backup(&t, 50000, 6), "the budget is spent");
    cr_assert_eq(tasks_complete(&t, s, 3, 5, 10500), 0);
    cr_assert_eq(tasks_lose_output(&t, 3, "its worker is gone"), 0);
    cr_assert_eq(t.timing[KIND_MAP].timed, 3);
    cr_assert_eq(s->state, TASK_IDLE);
    cr_assert_eq(tasks_complete(&t, s, 1, 4, 11000), 0, "the original");
    cr_assert_eq(s->done_attempt, 1);
    cr_assert_eq(t.phase, PHASE_REDUCE);
    cr_assert(tasks_check(&t));
}
