/* The stderr queue (worker/stderr_queue.h): bytes come out in the order
 * they went in, across the ring's edge; bytes with no room are dropped
 * and a note in their place says how many. */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "stderr_queue.h"

static struct stderr_queue q;
static char out[STDERR_QUEUE_SIZE + 1];

/* Everything the queue gives, notes included, NUL-terminated in out. */
static const char *
take_all(void)
{
    size_t n = 0, k;

    while ((k = stderr_queue_take(&q, out + n, 100)) > 0)
        n += k;
    out[n] = '\0';
    return out;
}

static size_t
put(const char *s)
{
    return stderr_queue_put(&q, s, strlen(s));
}

static void
fresh(void)
{
    stderr_queue_init(&q);
}

TestSuite(stderr_queue, .init = fresh);

Test(stderr_queue, gives_what_went_in_in_order)
{
    cr_assert_eq(stderr_queue_take(&q, out, sizeof(out)), 0);
    cr_assert_eq(put("first line\n"), 11);
    cr_assert_eq(put("second\n"), 7);
    cr_assert_eq(stderr_queue_room(&q), STDERR_QUEUE_SIZE - 18);
    cr_assert_eq(stderr_queue_take(&q, out, 6), 6);
    cr_assert_eq(memcmp(out, "first ", 6), 0);
    cr_assert_str_eq(take_all(), "line\nsecond\n");
    cr_assert_eq(stderr_queue_room(&q), STDERR_QUEUE_SIZE);
}

Test(stderr_queue, wraps_around_the_ring)
{
    static char big[STDERR_QUEUE_SIZE - 10];

    memset(big, 'a', sizeof(big));
    cr_assert_eq(stderr_queue_put(&q, big, sizeof(big)), sizeof(big));
    while (stderr_queue_take(&q, out, sizeof(out)) > 0)
        ;
    /* These straddle the end of buf. */
    cr_assert_eq(put("across the edge of the ring\n"), 28);
    cr_assert_str_eq(take_all(), "across the edge of the ring\n");
}

Test(stderr_queue, a_full_queue_drops_and_says_so_in_place)
{
    static char big[STDERR_QUEUE_SIZE - 4];

    memset(big, 'b', sizeof(big));
    stderr_queue_put(&q, big, sizeof(big));
    cr_assert_eq(put("1234567\n"), 4);
    cr_assert_eq(stderr_queue_room(&q), 0);
    cr_assert_eq(put("gone\n"), 0);
    /* Room again: later bytes come after the note. */
    cr_assert_eq(stderr_queue_take(&q, out, sizeof(big)), sizeof(big));
    cr_assert_eq(put("after\n"), 6);
    cr_assert_str_eq(take_all(), "1234[9 bytes of stderr dropped here: "
                                 "stderr was not taking them]\nafter\n");
    cr_assert_eq(q.dropped, 0);
}

Test(stderr_queue, drops_before_the_note_is_taken_are_told_together)
{
    static char big[STDERR_QUEUE_SIZE];

    memset(big, 'c', sizeof(big));
    stderr_queue_put(&q, big, sizeof(big));
    put("one\n");
    cr_assert_eq(stderr_queue_take(&q, out, 10), 10);
    cr_assert_eq(put("0123456789ab\n"), 10);
    /* Taken up to the first drop, then its note counts both. */
    cr_assert_eq(stderr_queue_take(&q, out, sizeof(out)),
                 STDERR_QUEUE_SIZE - 10);
    cr_assert_str_eq(take_all(), "[7 bytes of stderr dropped here: "
                                 "stderr was not taking them]\n0123456789");
}

Test(stderr_queue, a_note_waits_for_room_to_write_it)
{
    static char big[STDERR_QUEUE_SIZE];

    memset(big, 'd', sizeof(big));
    stderr_queue_put(&q, big, sizeof(big));
    put("x");
    stderr_queue_take(&q, out, sizeof(out));
    cr_assert_eq(stderr_queue_take(&q, out, STDERR_QUEUE_NOTE_MAX - 1), 0);
    cr_assert_gt(stderr_queue_take(&q, out, STDERR_QUEUE_NOTE_MAX), 0);
}

Test(stderr_queue, the_longest_note_fits)
{
    size_t n;

    q.dropped = UINT64_MAX;
    q.dropped_at = 0;
    n = stderr_queue_take(&q, out, STDERR_QUEUE_NOTE_MAX);
    out[n] = '\0';
    cr_assert_str_eq(out, "[18446744073709551615 bytes of stderr dropped "
                          "here: stderr was not taking them]\n");
}
