/* An executable app's --combiner in a map task (worker/spill_combine.c),
 * with real commands: over many spills, a combiner that writes its sums in
 * hash order still leaves an intermediate file sorted by (partition, key)
 * that holds every count; the combine counters count its records; and the
 * combiner is part of the app's identity. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "exec_app.h"
#include "imfile.h"
#include "keys.h"
#include "maptask.h"
#include "partition.h"
#include "tmpdir.h"

#define NKEYS  50
#define NLINES 100000
#define NREDUCE 3

/* Sums per key, printed in awk's hash order: not sorted. */
#define AWK_SUM "awk -F'\\t' '{ s[$1] += $2 } END { for (k in s) " \
                "print k \"\\t\" s[k] }'"

static void
load(struct app_module *m, const char *combiner)
{
    struct exec_spec spec = {.mapper = "cat", .reducer = "cat",
                             .combiner = combiner, .timeout_ms = 10000};
    char err[MR_ERR_LEN];

    cr_assert_eq(exec_app_load(&spec, m, err), 0, "%s", err);
}

/* Checks out's partitions: sorted, each key in its own partition; adds
 * each key's counts to sums and returns the records. */
static uint64_t
read_back(const char *out, uint64_t sums[NKEYS])
{
    struct im_reader r;
    char err[MR_ERR_LEN];
    uint64_t records = 0;

    cr_assert_eq(im_reader_open(&r, out, NREDUCE, err), 0, "%s", err);
    for (uint32_t p = 0; p < NREDUCE; p++) {
        struct im_cursor cur;
        const char *key, *val, *prev = NULL;
        size_t klen, vlen, prevlen = 0;
        int rc;

        cr_assert_eq(im_reader_partition(&r, p, &cur), 0);
        while ((rc = im_cursor_next(&cur, &key, &klen, &val, &vlen)) == 1) {
            char *k = strndup(key, klen), *v = strndup(val, vlen);
            int i;
            cr_assert_eq(partition_of(key, klen, NREDUCE), p, "%s", k);
            cr_assert(prev == NULL ||
                      key_compare(prev, prevlen, key, klen) <= 0,
                      "%s after %.*s", k, (int)prevlen, prev);
            cr_assert_eq(sscanf(k, "w%d", &i), 1, "%s", k);
            cr_assert(i >= 0 && i < NKEYS);
            sums[i] += strtoull(v, NULL, 10);
            prev = key;
            prevlen = klen;
            records++;
            free(k);
            free(v);
        }
        cr_assert_eq(rc, 0);
    }
    im_reader_close(&r);
    return records;
}

Test(exec_combine, spills_combined_and_sorted_again)
{
    struct app_module m;
    struct map_stats st;
    char dir[64], input[128], out[128], err[MR_ERR_LEN];
    uint64_t sums[NKEYS] = {0};
    FILE *f;

    cr_assert_eq(tmpdir_create(dir, sizeof(dir), "exec-combine-test"), 0);
    snprintf(input, sizeof(input), "%s/in.txt", dir);
    snprintf(out, sizeof(out), "%s/mr-im-0-1", dir);
    cr_assert_not_null(f = fopen(input, "w"));
    for (int i = 0; i < NLINES; i++)
        fprintf(f, "w%d\t1\n", i % NKEYS);
    fclose(f);
    load(&m, AWK_SUM);
    {
        struct map_input in = {.name = input, .whole = true};
        cr_assert_eq(map_run(m.app, &in, NREDUCE, out, dir, 1536u << 10,
                             NULL, &st, err), 0, "%s", err);
    }
    cr_assert_gt(st.spilled_runs, 1, "%llu runs",
                 (unsigned long long)st.spilled_runs);
    cr_assert_eq(st.records_in, NLINES);
    cr_assert_eq(st.combine_in, NLINES);
    /* One record per key per run, and runs are merged as they are. */
    cr_assert_eq(st.combine_out, NKEYS * st.spilled_runs);
    cr_assert_eq(st.spilled_records, st.combine_out);
    cr_assert_eq(st.records_out, st.combine_out);
    cr_assert_eq(read_back(out, sums), st.records_out);
    for (int i = 0; i < NKEYS; i++)
        cr_assert_eq(sums[i], NLINES / NKEYS, "w%d: %llu", i,
                     (unsigned long long)sums[i]);
    app_unload(&m);
    cr_assert_eq(tmpdir_remove(dir), 0);
}

/* No spill: the combiner runs once, over the whole buffer. */
Test(exec_combine, an_unspilled_buffer_is_combined_once)
{
    struct app_module m;
    struct map_stats st;
    char dir[64], input[128], out[128], err[MR_ERR_LEN];
    uint64_t sums[NKEYS] = {0};
    FILE *f;

    cr_assert_eq(tmpdir_create(dir, sizeof(dir), "exec-combine-test"), 0);
    snprintf(input, sizeof(input), "%s/in.txt", dir);
    snprintf(out, sizeof(out), "%s/mr-im-0-1", dir);
    cr_assert_not_null(f = fopen(input, "w"));
    for (int i = 0; i < 1000; i++)
        fprintf(f, "w%d\t2\n", i % NKEYS);
    fclose(f);
    load(&m, AWK_SUM);
    {
        struct map_input in = {.name = input, .whole = true};
        cr_assert_eq(map_run(m.app, &in, NREDUCE, out, dir, 0, NULL, &st,
                             err), 0, "%s", err);
    }
    cr_assert_eq(st.spilled_runs, 0);
    cr_assert_eq(st.combine_in, 1000);
    cr_assert_eq(st.combine_out, NKEYS);
    cr_assert_eq(read_back(out, sums), NKEYS);
    for (int i = 0; i < NKEYS; i++)
        cr_assert_eq(sums[i], 2 * 1000 / NKEYS);
    app_unload(&m);
    cr_assert_eq(tmpdir_remove(dir), 0);
}

Test(exec_combine, the_combiner_is_part_of_the_identity)
{
    struct app_module none, a, a2, b;

    load(&none, NULL);
    load(&a, "sort");
    load(&a2, "sort");
    load(&b, "sort -r");
    cr_assert(memcmp(none.digest, a.digest, MR_APP_DIGEST_LEN) != 0);
    cr_assert(memcmp(a.digest, b.digest, MR_APP_DIGEST_LEN) != 0);
    cr_assert(memcmp(a.digest, a2.digest, MR_APP_DIGEST_LEN) == 0);
    cr_assert(strstr(a.path, "combiner `sort`") != NULL, "%s", a.path);
    cr_assert(strstr(none.path, "combiner") == NULL, "%s", none.path);
    app_unload(&none);
    app_unload(&a);
    app_unload(&a2);
    app_unload(&b);
}
