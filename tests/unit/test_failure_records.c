/* The coordinator's failure records (coordinator/failures.h): the newest
 * FAILURES_KEPT kept, oldest first, every one counted; the newest of a
 * task found; peer text defused, newlines kept only in a tail. */
#include <criterion/criterion.h>

#include <string.h>

#include "failures.h"

static struct failure_log log_;

static void
add(enum task_kind kind, uint32_t task, uint32_t attempt)
{
    struct failure *f = failures_add(&log_);

    cr_assert_not_null(f);
    cr_assert_eq(f->attempt, 0, "a new record starts empty");
    f->kind = kind;
    f->task = task;
    f->attempt = attempt;
}

static void
clear(void)
{
    failures_free(&log_);
}

TestSuite(failure_records, .fini = clear);

Test(failure_records, empty)
{
    cr_assert_eq(log_.kept, 0);
    cr_assert_eq(log_.total, 0);
    cr_assert_null(failures_at(&log_, 0));
    cr_assert_null(failures_last_of(&log_, KIND_MAP, 0));
}

Test(failure_records, oldest_first_until_full)
{
    for (uint32_t i = 1; i <= 3; i++)
        add(KIND_MAP, 0, i);
    cr_assert_eq(log_.kept, 3);
    for (size_t i = 0; i < 3; i++)
        cr_assert_eq(failures_at(&log_, i)->attempt, i + 1);
    cr_assert_null(failures_at(&log_, 3));
}

Test(failure_records, the_newest_are_kept_and_all_counted)
{
    uint32_t n = FAILURES_KEPT * 2 + 5;

    for (uint32_t i = 1; i <= n; i++)
        add(KIND_REDUCE, i % 3, i);
    cr_assert_eq(log_.total, n);
    cr_assert_eq(log_.kept, FAILURES_KEPT);
    for (size_t i = 0; i < FAILURES_KEPT; i++)
        cr_assert_eq(failures_at(&log_, i)->attempt,
                     n - FAILURES_KEPT + 1 + i, "record %zu", i);
}

Test(failure_records, the_newest_of_a_task)
{
    add(KIND_MAP, 3, 1);
    add(KIND_REDUCE, 3, 2);
    add(KIND_MAP, 3, 3);
    add(KIND_MAP, 4, 4);
    cr_assert_eq(failures_last_of(&log_, KIND_MAP, 3)->attempt, 3);
    cr_assert_eq(failures_last_of(&log_, KIND_REDUCE, 3)->attempt, 2);
    cr_assert_null(failures_last_of(&log_, KIND_REDUCE, 4));
}

Test(failure_records, peer_text_is_defused_and_cut)
{
    char buf[12];

    failures_copy_text(buf, sizeof(buf), "a\nb\tc\x1b" "d", false);
    cr_assert_str_eq(buf, "a?b?c?d");
    failures_copy_text(buf, sizeof(buf), "a\nb\tc\x7f" "d", true);
    cr_assert_str_eq(buf, "a\nb?c?d");
    failures_copy_text(buf, sizeof(buf), "0123456789abcdef", true);
    cr_assert_str_eq(buf, "0123456789a");
    failures_copy_text(buf, sizeof(buf), NULL, true);
    cr_assert_str_eq(buf, "");
}
