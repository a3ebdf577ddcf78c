/* mr_emit_batch into the map side's collector (mapout.c, aggtable.c): the
 * intermediate file it writes must be the one the same pairs emitted one
 * at a time give, for keys that look alike to the table (zero padding,
 * shared prefixes, embedded NUL bytes), very long keys, batches that grow
 * the table, spills after every batch, and values the built-in sum
 * refuses; and the helper's fallback for an emitter without emit_batch. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imfile.h"
#include "mapout.h"
#include "tmpdir.h"

static char dir[64];

static void
setup(void)
{
    cr_assert_eq(tmpdir_create(dir, sizeof(dir), "batch-test"), 0);
}

static void
teardown(void)
{
    cr_assert_eq(tmpdir_remove(dir), 0);
}

TestSuite(emit_batch, .init = setup, .fini = teardown);

#define NKEYS 24
#define NPAIRS 20000
#define LONG_KEY 5000

/* Keys the table could confuse: "ab" and "ab\0" pad to the same words,
 * 16 and 17 bytes sit on either side of the inline limit, long keys differ
 * only in their last byte. */
static char long_a[LONG_KEY], long_b[LONG_KEY];
static const struct {
    const char *bytes;
    size_t len;
} lookalikes[] = {
    {"a", 1}, {"ab", 2}, {"ab\0", 3}, {"ab\0\0", 4}, {"\0ab", 3},
    {"abcdefg", 7}, {"abcdefgh", 8}, {"abcdefgh\0", 9}, {"abcdefghi", 9},
    {"abcdefghijklmno", 15}, {"abcdefghijklmnop", 16},
    {"abcdefghijklmnopq", 17}, {"abcdefghijklmnopr", 17},
    {"abcdefghijklmnop\0", 17}, {"abcdefghijklmnopqrstuvwxyz0123456", 33},
    {"abcdefghijklmnopqrstuvwxyz0123457", 33}, {"", 0},
};
#define NLOOKALIKES (sizeof(lookalikes) / sizeof(lookalikes[0]))

/* The i-th pair of a fixed pseudo-random sequence: lookalike keys, the two
 * long keys, and keys numbered up to distinct, whose first appearances
 * grow the table in the middle of batches. */
static struct mr_pair
pair_at(unsigned i, unsigned distinct, char *buf, size_t cap)
{
    static const char *const values[] = {"1", "1", "1", "7", "12", "0"};
    uint32_t r = i * 2654435761u;
    struct mr_pair p;

    p.value = values[(r >> 7) % 6];
    p.vlen = strlen(p.value);
    switch ((r >> 3) % 4) {
    case 0:
        p.key = lookalikes[(r >> 11) % NLOOKALIKES].bytes;
        p.klen = lookalikes[(r >> 11) % NLOOKALIKES].len;
        break;
    case 1:
        p.key = (r >> 12) % 2 ? long_a : long_b;
        p.klen = LONG_KEY;
        break;
    default:
        p.klen = (size_t)snprintf(buf, cap, "key-%u", (r >> 9) % distinct);
        p.key = buf;
    }
    return p;
}

/* The intermediate file's records as "part key=value;" text, which may
 * hold NUL bytes. */
struct text {
    char *bytes;
    size_t len;
};

/* Emits NPAIRS pairs, one at a time (batch 0) or batch at a time, and
 * returns the intermediate file's records. */
static struct text
collect(size_t batch, size_t budget, mr_reduce_fn *combine,
        uint32_t builtin, unsigned distinct, unsigned *nruns,
        uint64_t *nrecs)
{
    static char keys[160][32];
    char err[MR_ERR_LEN], out[160], *text;
    struct mr_pair pairs[160];
    struct mapout mo;
    struct im_reader r;
    uint64_t recs, bytes;
    size_t len = 0, cap = 64u << 20, n = 0;

    memset(long_a, 'x', LONG_KEY);
    memset(long_b, 'x', LONG_KEY);
    long_b[LONG_KEY - 1] = 'y';
    snprintf(out, sizeof(out), "%s/out-%zu-%zu", dir, batch, budget);
    mapout_init(&mo, 3, combine, builtin, budget, dir);
    for (unsigned i = 0; i < NPAIRS; i++) {
        struct mr_pair p = pair_at(i, distinct, keys[n], sizeof(keys[n]));
        if (batch == 0) {
            mr_emit(&mo.emitter, p.key, p.klen, p.value, p.vlen);
            continue;
        }
        pairs[n++] = p;
        if (n == batch || i == NPAIRS - 1) {
            mr_emit_batch(&mo.emitter, pairs, n);
            n = 0;
        }
    }
    cr_assert_eq(mapout_write(&mo, out, &recs, &bytes, err), 0, "%s", err);
    *nruns = mo.nruns;
    *nrecs = recs;
    cr_assert_eq(mo.emitted, NPAIRS);
    mapout_free(&mo);
    text = malloc(cap);
    cr_assert_not_null(text);
    cr_assert_eq(im_reader_open(&r, out, 3, err), 0, "%s", err);
    for (uint32_t part = 0; part < 3; part++) {
        struct im_cursor c;
        const char *k, *v;
        size_t kl, vl;
        cr_assert_eq(im_reader_partition(&r, part, &c), 0);
        while (im_cursor_next(&c, &k, &kl, &v, &vl) == 1) {
            cr_assert_lt(len + kl + vl + 16, cap);
            len += (size_t)snprintf(text + len, cap - len, "%u ", part);
            memcpy(text + len, k, kl);     /* may hold NUL bytes */
            len += kl;
            len += (size_t)snprintf(text + len, cap - len, "=%.*s;",
                                    (int)vl, v);
        }
    }
    im_reader_close(&r);
    return (struct text){text, len};
}

static int
key_order(const void *a, const void *b)
{
    const struct mr_pair *x = a, *y = b;
    int c = memcmp(x->key, y->key, x->klen < y->klen ? x->klen : y->klen);

    return c != 0 ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

/* How many distinct keys pair_at gives: what a combined file must hold,
 * counted without the table. */
static uint64_t
distinct_keys(unsigned distinct)
{
    static char bufs[NPAIRS][32];
    struct mr_pair *all = malloc(NPAIRS * sizeof(*all));
    uint64_t n = 0;

    memset(long_a, 'x', LONG_KEY);
    memset(long_b, 'x', LONG_KEY);
    long_b[LONG_KEY - 1] = 'y';
    for (unsigned i = 0; i < NPAIRS; i++)
        all[i] = pair_at(i, distinct, bufs[i], sizeof(bufs[i]));
    qsort(all, NPAIRS, sizeof(*all), key_order);
    for (unsigned i = 0; i < NPAIRS; i++)
        n += i == 0 || key_order(&all[i - 1], &all[i]) != 0;
    free(all);
    return n;
}

static int
sum_combine(const char *key, size_t klen, struct mr_values *vals,
            struct mr_output *out)
{
    (void)key;
    (void)klen;
    mr_write_u64(out, mr_sum_values(vals));
    return 0;
}

/* Compares two files' records and frees got. */
static void
expect_same(struct text got, struct text want, const char *what)
{
    cr_assert_gt(want.len, 0);
    cr_assert_eq(got.len, want.len, "%s: %zu bytes, want %zu", what,
                 got.len, want.len);
    cr_assert_eq(memcmp(got.bytes, want.bytes, want.len), 0, "%s differs",
                 what);
    free(got.bytes);
}

Test(emit_batch, summed_batches_write_what_single_emits_write)
{
    static const size_t batches[] = {1, 31, 32, 33, 64, 65, 150};
    unsigned runs;
    uint64_t recs;
    /* 20,000 distinct numbered keys: the table grows from 4,096 slots
     * several times, in the middle of batches. */
    struct text want = collect(0, 1 << 30, NULL, MR_COMBINER_SUM, 20000,
                               &runs, &recs);

    cr_assert_eq(runs, 0);
    cr_assert_eq(recs, distinct_keys(20000), "lookalike keys were merged");
    for (size_t b = 0; b < sizeof(batches) / sizeof(batches[0]); b++) {
        char what[64];
        snprintf(what, sizeof(what), "batches of %zu", batches[b]);
        expect_same(collect(batches[b], 1 << 30, NULL, MR_COMBINER_SUM,
                            20000, &runs, &recs), want, what);
    }
    free(want.bytes);
}

Test(emit_batch, a_spill_after_every_batch_changes_nothing)
{
    unsigned runs;
    uint64_t recs;
    struct text want = collect(0, 1 << 30, NULL, MR_COMBINER_SUM, 300,
                               &runs, &recs);
    struct text got = collect(64, 1, NULL, MR_COMBINER_SUM, 300, &runs, &recs);

    /* A budget of one byte: the table is full after every batch. */
    cr_assert_gt(runs, MAPOUT_MERGE_FANIN, "only %u runs", runs);
    expect_same(got, want, "spilled batches");
    free(want.bytes);
}

Test(emit_batch, other_combiners_take_batches_pair_by_pair)
{
    unsigned runs;
    uint64_t recs;
    struct text want;

    want = collect(0, 1 << 30, sum_combine, MR_COMBINER_APP, 300, &runs, &recs);
    expect_same(collect(33, 1 << 30, sum_combine, MR_COMBINER_APP, 300,
                        &runs, &recs), want, "the app's combiner");
    /* The built-in sum gives what the app's summing combiner gives. */
    expect_same(collect(64, 1 << 30, NULL, MR_COMBINER_SUM, 300, &runs, &recs),
                want, "the built-in sum");
    free(want.bytes);
    want = collect(0, 1 << 30, NULL, MR_COMBINER_APP, 300, &runs, &recs);
    expect_same(collect(64, 1 << 30, NULL, MR_COMBINER_APP, 300, &runs, &recs),
                want, "no combiner");
    free(want.bytes);
}

/* One batch of values under the built-in sum; returns mapout_write's. */
static int
write_batch(const char *const *values, size_t n, char err[MR_ERR_LEN])
{
    struct mr_pair pairs[8];
    char out[160];
    struct mapout mo;
    uint64_t recs, bytes;
    int rc;

    cr_assert_leq(n, 8);
    for (size_t i = 0; i < n; i++)
        pairs[i] = (struct mr_pair){"k", 1, values[i], strlen(values[i])};
    snprintf(out, sizeof(out), "%s/sums", dir);
    mapout_init(&mo, 2, NULL, MR_COMBINER_SUM, 0, dir);
    mr_emit_batch(&mo.emitter, pairs, n);
    rc = mapout_write(&mo, out, &recs, &bytes, err);
    mapout_free(&mo);
    return rc;
}

Test(emit_batch, the_sum_refuses_a_batch_with_a_value_that_is_not_a_count)
{
    const char *word[] = {"1", "1", "one"}, *empty[] = {"1", ""},
               *overflow[] = {"18446744073709551615", "1"},
               *fits[] = {"18446744073709551614", "1"};
    char err[MR_ERR_LEN];

    cr_assert_eq(write_batch(word, 3, err), MR_EAPP);
    cr_assert(strstr(err, "not a whole number below 2^64"), "%s", err);
    cr_assert_eq(write_batch(empty, 2, err), MR_EAPP);
    cr_assert_eq(write_batch(overflow, 2, err), MR_EAPP);
    cr_assert(strstr(err, "add up to 2^64 or more"), "%s", err);
    cr_assert_eq(write_batch(fits, 2, err), 0, "%s", err);
}

/* Writes pairs, one at a time or as one batch, under the built-in sum,
 * and returns the file's partition 0 as "key=value;" text. */
static void
sum_text(const struct mr_pair *pairs, size_t n, bool batch, char *text,
         size_t cap)
{
    char err[MR_ERR_LEN], out[160];
    struct mapout mo;
    struct im_reader r;
    struct im_cursor c;
    uint64_t recs, bytes;
    const char *k, *v;
    size_t kl, vl, len = 0;

    snprintf(out, sizeof(out), "%s/empty-%d", dir, batch);
    mapout_init(&mo, 1, NULL, MR_COMBINER_SUM, 0, dir);
    if (batch)
        mr_emit_batch(&mo.emitter, pairs, n);
    for (size_t i = 0; !batch && i < n; i++)
        mr_emit(&mo.emitter, pairs[i].key, pairs[i].klen, pairs[i].value,
                pairs[i].vlen);
    cr_assert_eq(mapout_write(&mo, out, &recs, &bytes, err), 0, "%s", err);
    mapout_free(&mo);
    cr_assert_eq(im_reader_open(&r, out, 1, err), 0, "%s", err);
    cr_assert_eq(im_reader_partition(&r, 0, &c), 0);
    text[0] = '\0';
    while (im_cursor_next(&c, &k, &kl, &v, &vl) == 1)
        len += (size_t)snprintf(text + len, cap - len, "%.*s=%.*s;",
                                (int)kl, k, (int)vl, v);
    im_reader_close(&r);
}

Test(emit_batch, an_empty_key_counts_alike_with_or_without_a_pointer)
{
    /* A NULL key of length 0 is the empty key: the 16-byte read of short
     * keys must not touch address 0. */
    const struct mr_pair pairs[] = {{NULL, 0, "1", 1}, {"", 0, "2", 1},
                                    {"a", 1, "1", 1}, {NULL, 0, "4", 1}};
    char one[128], batched[128];

    sum_text(pairs, 4, false, one, sizeof(one));
    sum_text(pairs, 4, true, batched, sizeof(batched));
    cr_assert_str_eq(one, "=7;a=1;");
    cr_assert_str_eq(batched, one);
}

/* ------------------------------------------------- an older framework */

struct recorder {
    struct mr_emitter base;
    char text[128];
    size_t len;
};

static void
record(struct mr_emitter *e, const char *key, size_t klen, const char *val,
       size_t vlen)
{
    struct recorder *r = (struct recorder *)e;

    r->len += (size_t)snprintf(r->text + r->len, sizeof(r->text) - r->len,
                               "%.*s=%.*s;", (int)klen, key, (int)vlen, val);
}

Test(emit_batch, without_emit_batch_the_helper_calls_emit_in_order)
{
    /* A framework of ABI 4 or less has no emit_batch member set. */
    struct recorder r = {{record, NULL, NULL}, "", 0};
    const struct mr_pair pairs[] = {{"b", 1, "1", 1}, {"a", 1, "22", 2},
                                    {"b", 1, "3", 1}};

    mr_emit_batch(&r.base, pairs, 3);
    mr_emit_batch(&r.base, pairs, 0);
    cr_assert_str_eq(r.text, "b=1;a=22;b=3;");
}
