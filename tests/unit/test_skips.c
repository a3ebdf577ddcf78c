/* Bad records (coordinator/skips.h) and the task table's side of skipping
 * (tasks_fail_skipping): a record's first crash is noted, its second skips
 * it for its map task alone, a late crash on a skipped record changes
 * nothing, one record over the limit is refused; the offsets a task is
 * told to skip come ascending; a record restored from the journal is
 * skipped again. A task whose crashes end in skips is never failed for
 * them, however many, while max_failures still fails one that crashes on
 * records it never sees twice. */
#include <criterion/criterion.h>

#include <string.h>

#include "skips.h"
#include "tasks.h"

static const uint8_t head[] = "CRASH! a line far longer than thirty-two bytes";

Test(skips, the_second_crash_skips_the_record_for_its_task_alone)
{
    const struct bad_record *r;
    struct skips s;
    uint64_t *v;

    skips_init(&s, true, 10);
    cr_assert_eq(skips_note(&s, 3, "a.txt", 500, head, sizeof(head) - 1, &r),
                 SKIP_NOTED);
    cr_assert_eq(skips_of(&s, 3, &v), 0, "skipped after one crash");
    cr_assert_eq(skips_note(&s, 3, "a.txt", 500, head, sizeof(head) - 1, &r),
                 SKIP_NOW);
    cr_assert_eq(r->offset, 500);
    cr_assert_str_eq(r->file, "a.txt");
    cr_assert_eq(r->head_len, SKIPS_HEAD_MAX, "the head is cut to 32");
    cr_assert(memcmp(r->head, head, SKIPS_HEAD_MAX) == 0);
    cr_assert_eq(skips_of(&s, 3, &v), 1);
    cr_assert_eq(v[0], 500);
    cr_assert_eq(skips_of(&s, 4, &v), 0, "another task skips it too");
    cr_assert_eq(skips_note(&s, 3, "a.txt", 500, head, 5, &r), SKIP_ALREADY);
    cr_assert_eq(s.skipped, 1);
    cr_assert_eq(skips_nth(&s, 1), r);
    cr_assert_null(skips_nth(&s, 2));
    skips_free(&s);
}

Test(skips, one_over_the_limit_is_refused_and_offsets_come_ascending)
{
    static const uint64_t at[] = {900, 100, 500};
    const struct bad_record *r;
    struct skips s;
    uint64_t *v;

    skips_init(&s, true, 3);
    for (size_t i = 0; i < 3; i++) {
        cr_assert_eq(skips_note(&s, 0, "b", at[i], head, 3, &r), SKIP_NOTED);
        cr_assert_eq(skips_note(&s, 0, "b", at[i], head, 3, &r), SKIP_NOW);
    }
    cr_assert_eq(skips_of(&s, 0, &v), 3);
    cr_assert(v[0] == 100 && v[1] == 500 && v[2] == 900);
    cr_assert_eq(skips_note(&s, 1, "c", 7, head, 3, &r), SKIP_NOTED);
    cr_assert_eq(skips_note(&s, 1, "c", 7, head, 3, &r), SKIP_OVER);
    cr_assert_eq(s.skipped, 3);
    cr_assert_eq(skips_of(&s, 1, &v), 0);
    /* In the order they were skipped, not by offset. */
    cr_assert_eq(skips_nth(&s, 1)->offset, 900);
    cr_assert_eq(skips_nth(&s, 3)->offset, 500);
    skips_free(&s);
}

Test(skips, a_restored_record_is_skipped_again)
{
    const struct bad_record *r;
    struct skips s;
    uint64_t *v;

    skips_init(&s, true, 10);
    cr_assert_eq(skips_restore(&s, 2, "d", 42, head, 4), 0);
    cr_assert_eq(skips_restore(&s, 2, "d", 42, head, 4), 0);
    cr_assert_eq(s.skipped, 1, "restored twice, counted once");
    cr_assert_eq(skips_of(&s, 2, &v), 1);
    cr_assert_eq(v[0], 42);
    cr_assert_eq(skips_note(&s, 2, "d", 42, head, 4, &r), SKIP_ALREADY);
    skips_free(&s);
}

/* A map that crashes on bad record after bad record, each twice, with
 * max_failures 3: each record's crashes are refunded when it is skipped,
 * so the task is never failed for them. */
Test(skips, skipped_crashes_do_not_count_against_the_task)
{
    struct coord_tasks t;
    struct coord_task *a;

    cr_assert_eq(tasks_init(&t, 1, 1, 10000, 3, 100), 0);
    for (int record = 0; record < 10; record++) {
        a = tasks_assign(&t, 0, 1);
        cr_assert_not_null(a);
        cr_assert_eq(tasks_fail(&t, a, a->attempts, "first crash"), 0);
        a = tasks_assign(&t, 0, 1);
        cr_assert_eq(tasks_fail_skipping(&t, a, a->attempts, 1, NULL), 0);
        cr_assert_eq(a->failures, 0);
        cr_assert_eq(a->state, TASK_IDLE);
    }
    cr_assert_eq(t.failed, 20, "every crash is a failed attempt");
    /* Crashes on records never seen twice still fail it at 3. */
    for (int i = 0; i < 2; i++) {
        a = tasks_assign(&t, 0, 1);
        cr_assert_eq(tasks_fail(&t, a, a->attempts, "another"), 0);
    }
    a = tasks_assign(&t, 0, 1);
    cr_assert_eq(tasks_fail(&t, a, a->attempts, "another"), MR_EAPP);
    tasks_free(&t);
}

Test(skips, over_the_limit_fails_the_job_with_the_reason)
{
    struct coord_tasks t;
    struct coord_task *a;

    cr_assert_eq(tasks_init(&t, 1, 1, 10000, 3, 100), 0);
    a = tasks_assign(&t, 0, 1);
    cr_assert_eq(tasks_fail_skipping(&t, a, a->attempts, 0, "would skip 11"),
                 MR_EAPP);
    cr_assert_eq(t.phase, PHASE_FAILED);
    cr_assert(strstr(t.why_failed, "map task 0") &&
              strstr(t.why_failed, "would skip 11"), "%s", t.why_failed);
    cr_assert_eq(tasks_fail_skipping(&t, a, a->attempts, 0, NULL), MR_ESTALE);
    tasks_free(&t);
}

/* An executable mapper (docs/exec-apps.md): its first death names a
 * guessed line (G), which makes its task's next attempts feed it a line at
 * a time (skips_has_suspect); those name the bad line (X) exactly, twice,
 * and the fourth attempt skips it, within the default limit of 4 failures
 * and even with 3. The guess stays a suspect; no other task is one. */
Test(skips, a_guess_then_two_exact_crashes_skip_within_the_failures)
{
    const struct bad_record *r;
    struct coord_tasks t;
    struct coord_task *a;
    struct skips s;
    uint64_t *v;

    skips_init(&s, true, 10);
    cr_assert_eq(tasks_init(&t, 1, 1, 10000, 3, 100), 0);
    cr_assert_not(skips_has_suspect(&s, 0));
    a = tasks_assign(&t, 0, 1);
    cr_assert_eq(a->id, 0);
    cr_assert_eq(skips_note(&s, 0, "in", 4096, head, 3, &r), SKIP_NOTED);
    cr_assert_eq(tasks_fail(&t, a, a->attempts, "guessed G"), 0);
    cr_assert(skips_has_suspect(&s, 0));
    cr_assert_not(skips_has_suspect(&s, 1), "only its own map");
    a = tasks_assign(&t, 0, 1);
    cr_assert_eq(a->id, 0);
    cr_assert_eq(skips_note(&s, 0, "in", 1000, head, 3, &r), SKIP_NOTED);
    cr_assert_eq(tasks_fail(&t, a, a->attempts, "exact X"), 0);
    a = tasks_assign(&t, 0, 1);
    cr_assert_eq(a->id, 0);
    cr_assert_eq(skips_note(&s, 0, "in", 1000, head, 3, &r), SKIP_NOW);
    cr_assert_eq(tasks_fail_skipping(&t, a, a->attempts, SKIPS_CRASHES - 1,
                                     NULL), 0);
    cr_assert_eq(skips_of(&s, 0, &v), 1);
    cr_assert_eq(v[0], 1000, "X is skipped, not the guess");
    cr_assert(skips_has_suspect(&s, 0), "the guess G is still a suspect");
    a = tasks_assign(&t, 0, 1);
    cr_assert_eq(a->id, 0);
    cr_assert_eq(a->attempts, 4);
    cr_assert_eq(tasks_complete(&t, a, a->attempts, 1, 0), 0);
    cr_assert_eq(t.maps_done, 1);
    tasks_free(&t);
}

Test(skips, a_packed_task_keeps_the_records_of_its_files_apart)
{
    struct skips s;
    const struct bad_record *r;
    uint64_t *off;

    skips_init(&s, true, 10);
    /* Map task 0 packs a and b: offset 0 of each is another line. */
    cr_assert_eq(skips_note(&s, 0, "a", 0, head, 5, &r), SKIP_NOTED);
    cr_assert_eq(skips_note(&s, 0, "b", 0, head, 5, &r), SKIP_NOTED);
    cr_assert_eq(skips_note(&s, 0, "b", 0, head, 5, &r), SKIP_NOW);
    cr_assert_str_eq(r->file, "b");
    cr_assert_eq(skips_of_file(&s, 0, "a", &off), 0);
    cr_assert_eq(skips_of_file(&s, 0, "b", &off), 1);
    cr_assert_eq(off[0], 0);
    skips_free(&s);
}
