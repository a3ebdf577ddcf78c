/* The stderr ring (worker/stderr_ring.h): the tail is what was written
 * since the mark, its last lines within the byte budget, a line cut by the
 * budget or lost to the ring's wraparound dropped, control bytes made
 * printable. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "stderr_ring.h"

static struct stderr_ring ring;
static char tail[STDERR_TAIL_BYTES + 1];

static void
put(const char *s)
{
    stderr_ring_put(&ring, s, strlen(s));
}

static const char *
take(void)
{
    stderr_ring_tail(&ring, tail, sizeof(tail));
    return tail;
}

static void
fresh(void)
{
    stderr_ring_init(&ring);
}

TestSuite(stderr_ring, .init = fresh);

Test(stderr_ring, nothing_written_gives_an_empty_tail)
{
    cr_assert_str_eq(take(), "");
    put("before the task\n");
    stderr_ring_mark(&ring);
    cr_assert_str_eq(take(), "");
    cr_assert_eq(stderr_ring_tail(&ring, tail, 0), 0);
}

Test(stderr_ring, only_what_came_after_the_mark)
{
    put("an earlier task's line\n");
    stderr_ring_mark(&ring);
    put("faulty: about to crash on segv.txt\n");
    cr_assert_str_eq(take(), "faulty: about to crash on segv.txt");
    stderr_ring_mark(&ring);
    put("no newline at the end");
    cr_assert_str_eq(take(), "no newline at the end");
}

Test(stderr_ring, keeps_the_last_lines)
{
    char want[256] = "", line[32];

    stderr_ring_mark(&ring);
    for (int i = 1; i <= 25; i++) {
        snprintf(line, sizeof(line), "line %d\n", i);
        put(line);
        if (i > 25 - STDERR_TAIL_LINES)
            strcat(want, line);
    }
    want[strlen(want) - 1] = '\0';
    cr_assert_str_eq(take(), want);
}

Test(stderr_ring, a_line_cut_by_the_budget_goes)
{
    char big[STDERR_TAIL_BYTES + 100];

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    stderr_ring_mark(&ring);
    put(big);
    put("\nshort one\nlast one\n");
    cr_assert_str_eq(take(), "short one\nlast one");
}

Test(stderr_ring, one_long_line_is_kept_cut)
{
    char big[3 * STDERR_TAIL_BYTES];

    for (size_t i = 0; i < sizeof(big) - 1; i++)
        big[i] = (char)('a' + i % 26);
    big[sizeof(big) - 1] = '\0';
    stderr_ring_mark(&ring);
    put(big);
    cr_assert_eq(strlen(take()), STDERR_TAIL_BYTES);
    cr_assert_str_eq(tail, big + sizeof(big) - 1 - STDERR_TAIL_BYTES);
}

Test(stderr_ring, a_small_buffer_cuts_at_a_line)
{
    char small[12];

    stderr_ring_mark(&ring);
    put("first line\nsecond\n");
    cr_assert_eq(stderr_ring_tail(&ring, small, sizeof(small)), 6);
    cr_assert_str_eq(small, "second");
}

Test(stderr_ring, wraps_around_and_drops_the_line_it_lost)
{
    char line[64];
    int i;

    put("long before\n");
    stderr_ring_mark(&ring);
    /* Far more than the ring holds: the mark's bytes are gone. */
    for (i = 0; (size_t)i * 20 < 3 * STDERR_RING_SIZE; i++) {
        snprintf(line, sizeof(line), "%-18d\n", i);
        put(line);
    }
    cr_assert_eq(ring.written, 12 + (uint64_t)i * 19);
    take();
    snprintf(line, sizeof(line), "%-18d", i - 1);
    cr_assert(strstr(tail, line) != NULL);
    cr_assert_eq(strlen(tail), 19 * STDERR_TAIL_LINES - 1);
    cr_assert(strstr(tail, "long before") == NULL);
}

Test(stderr_ring, one_put_larger_than_the_ring)
{
    char big[2 * STDERR_RING_SIZE + 1];

    memset(big, 'z', sizeof(big));
    big[sizeof(big) - 1] = '\n';
    stderr_ring_mark(&ring);
    stderr_ring_put(&ring, big, sizeof(big));
    cr_assert_eq(ring.written, sizeof(big));
    cr_assert_eq(strlen(take()), STDERR_TAIL_BYTES);
}

Test(stderr_ring, control_bytes_become_printable)
{
    stderr_ring_mark(&ring);
    stderr_ring_put(&ring, "a\tb\rc\0d\x1b[31me\x7f\nnext\n", 19);
    cr_assert_str_eq(take(), "a?b?c?d?[31me?\nnext");
}
