/* The exec protocols' framing (worker/exec_proto.h): text lines cut at
 * their first TAB, framed records with their lengths checked, and
 * malformed framing reported with the byte it is at. */
#include <criterion/criterion.h>
#include <string.h>

#include "exec_proto.h"

Test(exec_proto, text_lines_cut_at_the_first_tab)
{
    static const char out[] = "a\tb\tc\nnokey\n\tv\nlast";
    struct exec_record r;
    char err[MR_ERR_LEN];
    size_t at = 0, len = sizeof(out) - 1;
    ssize_t n;

    n = exec__text_parse(out, len, false, 0, &r, "m", err);
    cr_assert_eq(n, 6);
    cr_expect(r.klen == 1 && !memcmp(r.key, "a", 1) && r.vlen == 3 &&
              !memcmp(r.val, "b\tc", 3) && r.has_val);
    at += (size_t)n;
    n = exec__text_parse(out + at, len - at, false, at, &r, "m", err);
    cr_assert_eq(n, 6);
    cr_expect(r.klen == 5 && r.vlen == 0 && !r.has_val);
    at += (size_t)n;
    n = exec__text_parse(out + at, len - at, false, at, &r, "m", err);
    cr_assert_eq(n, 3);
    cr_expect(r.klen == 0 && r.vlen == 1 && r.has_val);
    at += (size_t)n;
    /* The last line, without its newline: only at the end. */
    cr_expect_eq(exec__text_parse(out + at, len - at, false, at, &r, "m",
                                  err), 0);
    n = exec__text_parse(out + at, len - at, true, at, &r, "m", err);
    cr_assert_eq(n, 4);
    cr_expect(r.klen == 4 && !memcmp(r.key, "last", 4));
}

Test(exec_proto, framed_records_round_trip_through_pieces)
{
    static const char key[] = "k\t\n\0y", val[] = "\0\0v";
    struct exec_pieces ps;
    struct exec_record r;
    char buf[64], err[MR_ERR_LEN];
    size_t len = 0;

    exec__framed_record(&ps, key, sizeof(key) - 1, val, sizeof(val) - 1);
    /* Copied three bytes at a time, as a full pipe would take them. */
    while (!exec__pieces_empty(&ps))
        len += exec__pieces_copy(&ps, buf + len, 3);
    cr_assert_eq(len, 8 + 5 + 3);
    for (size_t cut = 0; cut < len; cut++)
        cr_expect_eq(exec__framed_parse(buf, cut, false, 0, &r, "m", err),
                     0, "a record cut at %zu is not whole", cut);
    cr_assert_eq(exec__framed_parse(buf, len, false, 0, &r, "m", err),
                 (ssize_t)len);
    cr_expect(r.klen == 5 && !memcmp(r.key, key, 5));
    cr_expect(r.vlen == 3 && !memcmp(r.val, val, 3));
}

Test(exec_proto, framed_line_records_carry_the_offset)
{
    struct exec_pieces ps;
    struct exec_record r;
    char buf[64], err[MR_ERR_LEN];
    size_t len;

    exec__framed_line(&ps, 1234567, "line", 4);
    len = exec__pieces_copy(&ps, buf, sizeof(buf));
    cr_assert_eq(exec__framed_parse(buf, len, true, 0, &r, "m", err),
                 (ssize_t)len);
    cr_expect(r.klen == 7 && !memcmp(r.key, "1234567", 7));
    cr_expect(r.vlen == 4 && !memcmp(r.val, "line", 4));
}

Test(exec_proto, malformed_framing_says_what_and_where)
{
    struct exec_record r;
    char err[MR_ERR_LEN];

    /* A value length past the limit, in a record at byte 100. */
    cr_expect_eq(exec__framed_parse("\0\0\0\1k\x7f\0\0\0", 9, false, 100,
                                    &r, "mapper `m`", err), MR_EAPP);
    cr_expect(strstr(err, "mapper `m` wrote malformed framing: at byte 105 "
                     "a value length of 2130706432") != NULL, "%s", err);
    /* Output that ends inside a record. */
    cr_expect_eq(exec__framed_parse("\0\0\0\3ke", 6, true, 40, &r,
                                    "reducer `r`", err), MR_EAPP);
    cr_expect(strstr(err, "ends at byte 46 inside the record that starts at "
                     "byte 40 (truncated)") != NULL, "%s", err);
}
