/* Bad records (coordinator/skips.h) and the task table's side of skipping
 * (tasks_fail_skipping, tasks_fail_refunding): a record's first crash is
 * noted, its second skips it for its map task alone, a late crash on a
 * skipped record changes nothing, one record over the limit is refused;
 * the offsets a task is told to skip come ascending; a record restored
 * from the journal is skipped again. A task whose crashes end in skips is
 * never failed for them, however many, while max_failures still fails one
 * that crashes on records it never sees twice. A guessed line (an
 * executable mapper fed in bulk) only makes its task a suspect: an exact
 * report of another line drops it and refunds its attempt, one of the
 * same line confirms it, and a task whose lines on record are all skipped
 * runs in bulk again. */
#include <criterion/criterion.h>

#include <string.h>

#include "skips.h"
#include "tasks.h"

static const uint8_t head[] = "CRASH! a line far longer than thirty-two bytes";

/* skips_note's other answers, for the calls below. */
static const struct bad_record *noted;
static uint32_t refund;

/* An exact report (a guess with guessed) of the line at offset of file,
 * whose first hlen bytes are head's: skips_note's verdict. */
static int
note(struct skips *s, uint32_t map, const char *file, uint64_t offset,
     size_t hlen, bool guessed)
{
    return skips_note(s, map, file, offset, head, hlen, guessed, &noted,
                      &refund);
}

static int
exact(struct skips *s, uint32_t map, const char *file, uint64_t offset,
      size_t hlen)
{
    return note(s, map, file, offset, hlen, false);
}

static int
guess(struct skips *s, uint32_t map, const char *file, uint64_t offset)
{
    return note(s, map, file, offset, 3, true);
}

Test(skips, the_second_crash_skips_the_record_for_its_task_alone)
{
    struct skips s;
    uint64_t *v;

    skips_init(&s, true, 10);
    cr_assert_eq(exact(&s, 3, "a.txt", 500, sizeof(head) - 1), SKIP_NOTED);
    cr_assert_eq(refund, 0);
    cr_assert_eq(skips_of(&s, 3, &v), 0, "skipped after one crash");
    cr_assert_eq(exact(&s, 3, "a.txt", 500, sizeof(head) - 1), SKIP_NOW);
    cr_assert_eq(refund, SKIPS_CRASHES - 1, "its first crash's attempt");
    cr_assert_eq(noted->offset, 500);
    cr_assert_str_eq(noted->file, "a.txt");
    cr_assert_eq(noted->head_len, SKIPS_HEAD_MAX, "the head is cut to 32");
    cr_assert(memcmp(noted->head, head, SKIPS_HEAD_MAX) == 0);
    cr_assert_eq(skips_of(&s, 3, &v), 1);
    cr_assert_eq(v[0], 500);
    cr_assert_eq(skips_of(&s, 4, &v), 0, "another task skips it too");
    cr_assert_eq(exact(&s, 3, "a.txt", 500, 5), SKIP_ALREADY);
    cr_assert_eq(s.skipped, 1);
    cr_assert_eq(skips_nth(&s, 1), noted);
    cr_assert_null(skips_nth(&s, 2));
    skips_free(&s);
}

Test(skips, one_over_the_limit_is_refused_and_offsets_come_ascending)
{
    static const uint64_t at[] = {900, 100, 500};
    struct skips s;
    uint64_t *v;

    skips_init(&s, true, 3);
    for (size_t i = 0; i < 3; i++) {
        cr_assert_eq(exact(&s, 0, "b", at[i], 3), SKIP_NOTED);
        cr_assert_eq(exact(&s, 0, "b", at[i], 3), SKIP_NOW);
    }
    cr_assert_eq(skips_of(&s, 0, &v), 3);
    cr_assert(v[0] == 100 && v[1] == 500 && v[2] == 900);
    cr_assert_eq(exact(&s, 1, "c", 7, 3), SKIP_NOTED);
    cr_assert_eq(exact(&s, 1, "c", 7, 3), SKIP_OVER);
    cr_assert_eq(s.skipped, 3);
    cr_assert_eq(skips_of(&s, 1, &v), 0);
    /* In the order they were skipped, not by offset. */
    cr_assert_eq(skips_nth(&s, 1)->offset, 900);
    cr_assert_eq(skips_nth(&s, 3)->offset, 500);
    skips_free(&s);
}

Test(skips, a_restored_record_is_skipped_again)
{
    struct skips s;
    uint64_t *v;

    skips_init(&s, true, 10);
    cr_assert_eq(skips_restore(&s, 2, "d", 42, head, 4), 0);
    cr_assert_eq(skips_restore(&s, 2, "d", 42, head, 4), 0);
    cr_assert_eq(s.skipped, 1, "restored twice, counted once");
    cr_assert_eq(skips_of(&s, 2, &v), 1);
    cr_assert_eq(v[0], 42);
    cr_assert_eq(exact(&s, 2, "d", 42, 4), SKIP_ALREADY);
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

/* Attempt a of task died on the line at offset of "in", a guess or exact:
 * what coord_report.c's crashed_on_record does with it. Returns the
 * verdict; *rc what the task table said. */
static int
crash(struct skips *s, struct coord_tasks *t, struct coord_task *a,
      uint64_t offset, bool guessed, int *rc)
{
    int verdict = note(s, a->id, "in", offset, 3, guessed);

    if (verdict == SKIP_GUESSED || verdict == SKIP_NOTED)
        *rc = tasks_fail_refunding(t, a, a->attempts, refund, "crash");
    else
        *rc = tasks_fail_skipping(t, a, a->attempts, refund, NULL);
    return verdict;
}

/* An executable mapper (docs/exec-apps.md): its first death names a
 * guessed line G, which makes its task's next attempts feed it a line at
 * a time (skips_has_suspect); the next names the bad line E exactly,
 * which drops the guess and refunds its attempt; E needs a second exact
 * crash to be skipped; then the task is no suspect, and its next attempt
 * runs in bulk. All within max_failures 2 (the guess is refunded, E's
 * crashes too). G crashing once later is a first crash, not a skip. No
 * other task is a suspect. */
Test(skips, a_guess_then_an_exact_crash_elsewhere_drops_the_guess)
{
    struct coord_tasks t;
    struct coord_task *a;
    struct skips s;
    uint64_t *v;
    int rc;

    skips_init(&s, true, 10);
    cr_assert_eq(tasks_init(&t, 1, 1, 10000, 2, 100), 0);
    cr_assert_not(skips_has_suspect(&s, 0));
    a = tasks_assign(&t, 0, 1);
    cr_assert_eq(crash(&s, &t, a, 4096, true, &rc), SKIP_GUESSED);
    cr_assert_eq(rc, 0);
    cr_assert_eq(a->failures, 1, "a guess is a failed attempt");
    cr_assert(skips_has_suspect(&s, 0), "a guess makes a suspect");
    cr_assert_not(skips_has_suspect(&s, 1), "only its own map");
    a = tasks_assign(&t, 0, 1);
    cr_assert_eq(crash(&s, &t, a, 1000, false, &rc), SKIP_NOTED);
    cr_assert_eq(rc, 0, "the guess's attempt is refunded");
    cr_assert_eq(refund, 1);
    cr_assert_eq(a->failures, 1);
    cr_assert_eq(skips_of(&s, 0, &v), 0, "E skipped after one crash");
    cr_assert(skips_has_suspect(&s, 0), "E is a suspect");
    a = tasks_assign(&t, 0, 1);
    cr_assert_eq(crash(&s, &t, a, 1000, false, &rc), SKIP_NOW);
    cr_assert_eq(rc, 0);
    cr_assert_eq(refund, SKIPS_CRASHES - 1);
    cr_assert_eq(a->failures, 0);
    cr_assert_eq(skips_of(&s, 0, &v), 1);
    cr_assert_eq(v[0], 1000, "E is skipped, not the guess");
    cr_assert_not(skips_has_suspect(&s, 0), "the guess was dropped: bulk");
    a = tasks_assign(&t, 0, 1);
    cr_assert_eq(a->attempts, 4);
    cr_assert_eq(tasks_complete(&t, a, a->attempts, 1, 0), 0);
    cr_assert_eq(t.maps_done, 1);
    /* The dropped guess G crashing exactly is its first crash. */
    cr_assert_eq(exact(&s, 0, "in", 4096, 3), SKIP_NOTED);
    cr_assert_eq(refund, 0);
    cr_assert_eq(skips_of(&s, 0, &v), 1);
    tasks_free(&t);
    skips_free(&s);
}

Test(skips, a_packed_task_keeps_the_records_of_its_files_apart)
{
    struct skips s;
    uint64_t *off;

    skips_init(&s, true, 10);
    /* Map task 0 packs a and b: offset 0 of each is another line. */
    cr_assert_eq(exact(&s, 0, "a", 0, 5), SKIP_NOTED);
    cr_assert_eq(exact(&s, 0, "b", 0, 5), SKIP_NOTED);
    cr_assert_eq(exact(&s, 0, "b", 0, 5), SKIP_NOW);
    cr_assert_str_eq(noted->file, "b");
    cr_assert_eq(skips_of_file(&s, 0, "a", &off), 0);
    cr_assert_eq(skips_of_file(&s, 0, "b", &off), 1);
    cr_assert_eq(off[0], 0);
    skips_free(&s);
}

/* A guess G that an exact report of G confirms counts as one of G's
 * crashes: G is skipped then, its guess's attempt refunded, and the task
 * runs in bulk again. */
Test(skips, a_guess_then_an_exact_crash_there_skips_it)
{
    struct coord_tasks t;
    struct coord_task *a;
    struct skips s;
    uint64_t *v;
    int rc;

    skips_init(&s, true, 10);
    cr_assert_eq(tasks_init(&t, 1, 1, 10000, 2, 100), 0);
    a = tasks_assign(&t, 0, 1);
    cr_assert_eq(crash(&s, &t, a, 4096, true, &rc), SKIP_GUESSED);
    a = tasks_assign(&t, 0, 1);
    cr_assert_eq(crash(&s, &t, a, 4096, false, &rc), SKIP_NOW);
    cr_assert_eq(rc, 0);
    cr_assert_eq(noted->crashes, SKIPS_CRASHES);
    cr_assert_eq(refund, 1, "the confirmed guess's attempt");
    cr_assert_eq(a->failures, 0);
    cr_assert_eq(skips_of(&s, 0, &v), 1);
    cr_assert_eq(v[0], 4096);
    cr_assert_not(skips_has_suspect(&s, 0));
    /* A late guess of a skipped line changes nothing. */
    cr_assert_eq(guess(&s, 0, "in", 4096), SKIP_ALREADY);
    cr_assert_not(skips_has_suspect(&s, 0));
    tasks_free(&t);
    skips_free(&s);
}

/* Guesses alone never skip a line, however many (two bulk attempts naming
 * the same line), but they do count against the task, which max_failures
 * still fails. */
Test(skips, guesses_alone_skip_nothing)
{
    struct coord_tasks t;
    struct coord_task *a;
    struct skips s;
    uint64_t *v;
    int rc;

    skips_init(&s, true, 10);
    cr_assert_eq(tasks_init(&t, 1, 1, 10000, 3, 100), 0);
    for (int i = 0; i < 2; i++) {
        a = tasks_assign(&t, 0, 1);
        cr_assert_eq(crash(&s, &t, a, 4096, true, &rc), SKIP_GUESSED);
        cr_assert_eq(rc, 0);
    }
    cr_assert_eq(skips_of(&s, 0, &v), 0);
    cr_assert_eq(noted->crashes, 0);
    a = tasks_assign(&t, 0, 1);
    cr_assert_eq(crash(&s, &t, a, 4096, true, &rc), SKIP_GUESSED);
    cr_assert_eq(rc, MR_EAPP, "three failed attempts");
    tasks_free(&t);
    skips_free(&s);
}

/* Once every line of a task with a crash on record is skipped, the task
 * runs in bulk; a task with one exact crash on a line not skipped stays a
 * suspect, and so do another task's. */
Test(skips, a_task_whose_lines_on_record_are_skipped_runs_in_bulk)
{
    struct skips s;

    skips_init(&s, true, 10);
    cr_assert_eq(guess(&s, 0, "in", 4096), SKIP_GUESSED);
    cr_assert_eq(exact(&s, 0, "in", 1000, 3), SKIP_NOTED);
    cr_assert_eq(exact(&s, 1, "in", 9000, 3), SKIP_NOTED);
    cr_assert_eq(refund, 0, "no guess of map 1 to drop");
    cr_assert(skips_has_suspect(&s, 0));
    cr_assert_eq(exact(&s, 0, "in", 1000, 3), SKIP_NOW);
    cr_assert_not(skips_has_suspect(&s, 0));
    cr_assert(skips_has_suspect(&s, 1));
    skips_free(&s);
}
