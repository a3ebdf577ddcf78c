/* Which line of a mapper's split a byte of its stdin came from
 * (worker/exec_lines.h): the line holding the last byte a mapper read, in
 * the text protocol (the bytes as they are) and the framed one (a record
 * per line keyed by its decimal offset), with lines left out, a last line
 * without its newline, and reads of nothing or past the end. */
#include <criterion/criterion.h>

#include <string.h>

#include "exec_lines.h"

/* Lines at 1000 (len 3), 1004 (len 0), 1005 (len 5), 1011 (len 2, no
 * '\n'). */
static const char data[] = "abc\n\nhello\nxy";

static struct exec_split
split(bool framed, const uint64_t *skip, size_t nskip)
{
    return (struct exec_split){data, sizeof(data) - 1, 1000, skip, nskip,
                               framed};
}

/* The offset of the line holding byte consumed - 1, or 0 for none. */
static uint64_t
holding(const struct exec_split *s, uint64_t consumed)
{
    struct exec_line line;

    return exec_line_holding(s, consumed, &line) ? line.offset : 0;
}

Test(exec_lines, text_bytes_are_the_lines_as_they_are)
{
    struct exec_split s = split(false, NULL, 0);
    static const struct {
        uint64_t consumed, offset;
    } cases[] = {{0, 0}, {1, 1000}, {4, 1000}, {5, 1004}, {6, 1005},
                 {11, 1005}, {12, 1011}, {13, 1011}, {14, 0}};

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_assert_eq(holding(&s, cases[i].consumed), cases[i].offset,
                     "consumed %llu", (unsigned long long)cases[i].consumed);
}

Test(exec_lines, a_line_left_out_takes_no_bytes)
{
    static const uint64_t skip[] = {1004, 1005};
    struct exec_split s = split(false, skip, 2);
    struct exec_line line;
    size_t k = 0;

    cr_assert_eq(holding(&s, 4), 1000);
    cr_assert_eq(holding(&s, 5), 1011, "1004 and 1005 are not given");
    cr_assert_eq(holding(&s, 6), 1011);
    cr_assert_eq(holding(&s, 7), 0);
    exec_line_at(&s, 5, &line);
    cr_assert_eq(line.offset, 1005);
    cr_assert_eq(line.len, 5);
    cr_assert_eq(line.next, 11);
    cr_assert_not(exec_line_skipped(&s, 1000, &k));
    cr_assert(exec_line_skipped(&s, 1005, &k));
    cr_assert_not(exec_line_skipped(&s, 1011, &k));
}

Test(exec_lines, framed_bytes_are_records_keyed_by_offset)
{
    struct exec_split s = split(true, NULL, 0);
    struct exec_line line;

    /* Each record: 4 + 4 digits of offset + 4 + the line. */
    exec_line_at(&s, 0, &line);
    cr_assert_eq(exec_line_stream_len(&s, &line), 4 + 4 + 4 + 3);
    cr_assert_eq(holding(&s, 15), 1000);
    cr_assert_eq(holding(&s, 16), 1004);
    cr_assert_eq(holding(&s, 15 + 12), 1004);
    cr_assert_eq(holding(&s, 15 + 12 + 1), 1005);
    cr_assert_eq(holding(&s, 15 + 12 + 17 + 14), 1011);
    cr_assert_eq(holding(&s, 15 + 12 + 17 + 14 + 1), 0);
    s.origin = 5;               /* one digit: "5", then "9", "10", "16" */
    cr_assert_eq(holding(&s, 4 + 1 + 4 + 3), 5);
    cr_assert_eq(holding(&s, 12 + 9 + 4 + 2 + 4 + 5), 10);
}
