/* The varint codec (worker/varint.h): round trips at the edge of every
 * length, the LEB128 bytes themselves, and the checked reader refusing a
 * varint that is cut short or longer than 64 bits allow. */
#include <criterion/criterion.h>

#include <stdint.h>
#include <string.h>

#include "mr_err.h"
#include "varint.h"

static const struct {
    uint64_t v;
    size_t len;                 /* bytes it takes */
} cases[] = {
    {0, 1},
    {1, 1},
    {127, 1},
    {128, 2},
    {16383, 2},
    {16384, 3},
    {UINT32_MAX, 5},
    {(uint64_t)1 << 32, 5},
    {((uint64_t)1 << 35) - 1, 5},
    {(uint64_t)1 << 35, 6},
    {((uint64_t)1 << 63) - 1, 9},
    {(uint64_t)1 << 63, 10},
    {UINT64_MAX, 10},
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

Test(varint, round_trips_at_the_boundaries)
{
    for (size_t i = 0; i < NCASES; i++) {
        unsigned char buf[VARINT_MAX_LEN + 1];
        const unsigned char *p = buf;
        uint64_t v = 0, u = 0;

        memset(buf, 0xee, sizeof(buf));
        cr_assert_eq(varint_len(cases[i].v), cases[i].len, "%zu", i);
        cr_assert_eq(varint_put(buf, cases[i].v), cases[i].len, "%zu", i);
        cr_assert_eq(buf[cases[i].len], 0xee, "wrote past the end: %zu", i);
        cr_assert_eq(varint_get(&p, buf + cases[i].len, &v), 0, "%zu", i);
        cr_assert_eq(v, cases[i].v, "%zu", i);
        cr_assert_eq(p, buf + cases[i].len, "%zu", i);
        cr_assert_eq(varint_get_unchecked(buf, &u), cases[i].len, "%zu", i);
        cr_assert_eq(u, cases[i].v, "%zu", i);
    }
}

Test(varint, writes_leb128)
{
    static const struct {
        uint64_t v;
        const char *bytes;
        size_t len;
    } want[] = {
        {0, "\x00", 1},
        {127, "\x7f", 1},
        {128, "\x80\x01", 2},
        {300, "\xac\x02", 2},
        {UINT64_MAX, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10},
    };

    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        unsigned char buf[VARINT_MAX_LEN];
        cr_assert_eq(varint_put(buf, want[i].v), want[i].len);
        cr_assert_eq(memcmp(buf, want[i].bytes, want[i].len), 0, "%zu", i);
    }
}

Test(varint, reads_one_varint_and_stops)
{
    unsigned char buf[2 * VARINT_MAX_LEN];
    const unsigned char *p = buf;
    size_t n = varint_put(buf, 300);
    uint64_t a = 0, b = 0;

    n += varint_put(buf + n, 5);
    cr_assert_eq(varint_get(&p, buf + n, &a), 0);
    cr_assert_eq(varint_get(&p, buf + n, &b), 0);
    cr_assert_eq(a, 300);
    cr_assert_eq(b, 5);
    cr_assert_eq(p, buf + n);
}

Test(varint, checked_get_refuses_a_truncated_varint)
{
    for (size_t i = 0; i < NCASES; i++) {
        unsigned char buf[VARINT_MAX_LEN];
        size_t len = varint_put(buf, cases[i].v);

        /* Every shorter end, down to none at all; the bytes past the end
         * would complete the varint but must not be read. */
        for (size_t cut = 0; cut < len; cut++) {
            const unsigned char *p = buf;
            uint64_t v = 42;
            cr_assert_eq(varint_get(&p, buf + cut, &v), MR_EBADDATA,
                         "case %zu cut at %zu", i, cut);
            cr_assert_eq(p, buf, "moved on failure: case %zu", i);
            cr_assert_eq(v, 42, "wrote on failure: case %zu", i);
        }
    }
}

Test(varint, checked_get_refuses_an_eleven_byte_varint)
{
    unsigned char buf[VARINT_MAX_LEN + 5];
    const unsigned char *p = buf;
    uint64_t v = 42;

    /* Ten bytes that all say "more", then a last one: 77 bits. */
    memset(buf, 0x80, sizeof(buf));
    buf[VARINT_MAX_LEN] = 0x01;
    cr_assert_eq(varint_get(&p, buf + sizeof(buf), &v), MR_EBADDATA);
    cr_assert_eq(p, buf);
    cr_assert_eq(v, 42);
}
