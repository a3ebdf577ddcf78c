/* The intermediate file format, the map-side collector, partitioning and
 * atomic files, on real files in a temporary directory. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "crc32c.h"
#include "imfile.h"
#include "keys.h"
#include "mapout.h"
#include "partition.h"
#include "reducetask.h"
#include "tmpdir.h"

static char dir[64], path[128];

static void
setup(void)
{
    cr_assert_eq(tmpdir_create(dir, sizeof(dir), "im-test"), 0);
    snprintf(path, sizeof(path), "%s/mr-im-0-1", dir);
}

static void
teardown(void)
{
    cr_assert_eq(tmpdir_remove(dir), 0);
}

TestSuite(imfile, .init = setup, .fini = teardown);

static size_t
count_files(void)
{
    char cmd[160];
    FILE *p;
    size_t n = 0;

    snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", dir);
    p = popen(cmd, "r");
    cr_assert_eq(fscanf(p, "%zu", &n), 1);
    pclose(p);
    return n;
}

Test(imfile, partition_matches_the_lab)
{
    /* FNV-1a 32 of "a" is 0xe40c292c; & 0x7fffffff = 0x640c292c. */
    cr_assert_eq(fnv1a32("a", 1), 0xe40c292cu);
    cr_assert_eq(fnv1a32("", 0), 2166136261u);
    cr_assert_eq(partition_of("a", 1, 10), 0x640c292cu % 10);
    cr_assert_eq(partition_of("foobar", 6, 1), 0);
}

Test(imfile, records_round_trip_per_partition)
{
    char err[MR_ERR_LEN];
    struct im_writer w;
    struct im_reader r;
    struct im_cursor c;
    const char *k, *v;
    size_t kl, vl;
    char big[300];

    memset(big, 'x', sizeof(big));
    cr_assert_eq(im_writer_open(&w, path, 4, err), 0, "%s", err);
    im_writer_add(&w, 0, "a", 1, "1", 1);
    im_writer_add(&w, 0, "b", 1, "", 0);
    im_writer_add(&w, 2, "key\0nul", 7, big, sizeof(big));
    cr_assert_eq(access(path, F_OK), -1, "visible before commit");
    cr_assert_eq(im_writer_commit(&w, err), 0, "%s", err);

    cr_assert_eq(im_reader_open(&r, path, 4, err), 0, "%s", err);
    cr_assert_eq(im_reader_partition(&r, 0, &c), 0);
    cr_assert_eq(im_cursor_next(&c, &k, &kl, &v, &vl), 1);
    cr_assert(kl == 1 && k[0] == 'a' && vl == 1 && v[0] == '1');
    cr_assert_eq(im_cursor_next(&c, &k, &kl, &v, &vl), 1);
    cr_assert(kl == 1 && k[0] == 'b' && vl == 0);
    cr_assert_eq(im_cursor_next(&c, &k, &kl, &v, &vl), 0);
    cr_assert_eq(im_reader_partition(&r, 1, &c), 0);
    cr_assert_eq(im_cursor_next(&c, &k, &kl, &v, &vl), 0);
    cr_assert_eq(im_reader_partition(&r, 2, &c), 0);
    cr_assert_eq(im_cursor_next(&c, &k, &kl, &v, &vl), 1);
    cr_assert(kl == 7 && memcmp(k, "key\0nul", 7) == 0);
    cr_assert(vl == sizeof(big) && memcmp(v, big, vl) == 0);
    cr_assert_eq(im_reader_partition(&r, 3, &c), 0);
    cr_assert_eq(im_cursor_next(&c, &k, &kl, &v, &vl), 0);
    im_reader_close(&r);
    cr_assert_eq(count_files(), 1, "a temporary file was left behind");
}

Test(imfile, truncated_or_mismatched_files_are_refused)
{
    char err[MR_ERR_LEN];
    struct im_writer w;
    struct im_reader r;
    struct stat st;

    cr_assert_eq(im_writer_open(&w, path, 3, err), 0);
    im_writer_add(&w, 1, "hello", 5, "world", 5);
    cr_assert_eq(im_writer_commit(&w, err), 0);
    cr_assert_eq(im_reader_open(&r, path, 5, err), MR_EBADDATA);
    cr_assert(strstr(err, "another number of reduce tasks"), "%s", err);
    stat(path, &st);
    for (off_t len = st.st_size - 1; len >= 0; len -= 7) {
        cr_assert_eq(truncate(path, len), 0);
        cr_assert_eq(im_reader_open(&r, path, 3, err), MR_EBADDATA,
                     "truncated to %lld bytes: not detected",
                     (long long)len);
    }
}

/* Writes one partition holding hello=world and flips one byte at off. */
static void
write_and_flip(off_t off)
{
    char err[MR_ERR_LEN];
    struct im_writer w;
    unsigned char byte;
    int fd;

    cr_assert_eq(im_writer_open(&w, path, 1, err), 0);
    im_writer_add(&w, 0, "hello", 5, "world", 5);
    cr_assert_eq(im_writer_commit(&w, err), 0);
    fd = open(path, O_RDWR);
    cr_assert_eq(pread(fd, &byte, 1, off), 1);
    byte ^= 0x20;
    cr_assert_eq(pwrite(fd, &byte, 1, off), 1);
    close(fd);
}

Test(imfile, a_corrupt_record_is_detected)
{
    const off_t offsets[] = {0, 2, 9};  /* key length, key, value */
    char err[MR_ERR_LEN];
    struct im_reader r;
    struct im_cursor c;

    for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        write_and_flip(offsets[i]);
        cr_assert_eq(im_reader_open(&r, path, 1, err), 0);
        cr_assert_eq(im_reader_partition(&r, 0, &c), MR_EBADDATA,
                     "a flipped byte at %lld went unnoticed",
                     (long long)offsets[i]);
        im_reader_close(&r);
    }
}

Test(imfile, crc32c_known_answer)
{
    cr_assert_eq(crc32c(0, "123456789", 9), 0xe3069283u);
    cr_assert_eq(crc32c(crc32c(0, "1234", 4), "56789", 5), 0xe3069283u);
    cr_assert_eq(crc32c(0, "", 0), 0);
}

static int
sum_combine(const char *key, size_t klen, struct mr_values *vals,
            struct mr_output *out)
{
    const char *v;
    size_t len;
    unsigned long long n = 0;

    (void)key;
    (void)klen;
    while (mr_values_next(vals, &v, &len))
        n += mr_parse_u64(v, len);
    mr_write_u64(out, n);
    return 0;
}

Test(imfile, map_output_is_partitioned_sorted_and_combined)
{
    const char *words[] = {"pear", "apple", "fig", "apple", "pear", "apple"};
    char err[MR_ERR_LEN];
    struct mapout mo;
    struct im_reader r;
    uint64_t recs, bytes, total = 0;

    mapout_init(&mo, 3, sum_combine, MR_COMBINER_APP, 0, dir);
    for (size_t i = 0; i < 6; i++)
        mr_emit(&mo.emitter, words[i], strlen(words[i]), "1", 1);
    cr_assert_eq(mapout_write(&mo, path, &recs, &bytes, err), 0);
    mapout_free(&mo);
    cr_assert_eq(recs, 3, "one combined record per distinct word");
    cr_assert_eq(im_reader_open(&r, path, 3, err), 0, "%s", err);
    for (uint32_t p = 0; p < 3; p++) {
        struct im_cursor c;
        const char *k, *v, *prev = NULL;
        size_t kl, vl, prevlen = 0;
        cr_assert_eq(im_reader_partition(&r, p, &c), 0);
        while (im_cursor_next(&c, &k, &kl, &v, &vl) == 1) {
            cr_assert_eq(partition_of(k, kl, 3), p);
            if (prev)
                cr_assert_lt(key_compare(prev, prevlen, k, kl), 0,
                             "keys not sorted, or repeated after combining");
            if (kl == 5 && memcmp(k, "apple", 5) == 0)
                cr_assert(vl == 1 && v[0] == '3');
            total += mr_parse_u64(v, vl);
            prev = k;
            prevlen = kl;
        }
    }
    cr_assert_eq(total, 6);
    im_reader_close(&r);
}

Test(imfile, atomic_file_leaves_nothing_on_abort_and_replaces_on_commit)
{
    char err[MR_ERR_LEN], final[160], buf[16] = {0};
    struct atomic_file af;
    FILE *f;

    snprintf(final, sizeof(final), "%s/mr-out-0", dir);
    f = fopen(final, "w");
    fputs("old", f);
    fclose(f);
    cr_assert_eq(atomic_file_open(&af, final, true, err), 0);
    atomic_file_write(&af, "partial", 7);
    atomic_file_abort(&af);
    f = fopen(final, "r");
    cr_assert_eq(fread(buf, 1, sizeof(buf), f), 3);
    fclose(f);
    cr_assert_str_eq(buf, "old");
    cr_assert_eq(count_files(), 1);
    cr_assert_eq(atomic_file_open(&af, final, true, err), 0);
    atomic_file_write(&af, "new", 3);
    cr_assert_eq(atomic_file_commit(&af, err), 0);
    f = fopen(final, "r");
    memset(buf, 0, sizeof(buf));
    cr_assert_eq(fread(buf, 1, sizeof(buf), f), 3);
    fclose(f);
    cr_assert_str_eq(buf, "new");
    cr_assert_eq(count_files(), 1);
}

Test(imfile, atomic_file_in_a_missing_directory_fails_clearly)
{
    char err[MR_ERR_LEN];
    struct atomic_file af;

    cr_assert_lt(atomic_file_open(&af, "/nonexistent-dir/mr-out-0", false,
                                  err), 0);
    cr_assert(strstr(err, "cannot create"), "%s", err);
}

/* Writes the same pairs with a given budget; returns the file's records as
 * one "part key=value;" string per record, in file order. */
static char *
collect_with_budget(size_t budget, mr_reduce_fn *combine, uint32_t builtin,
                    const char *name, unsigned *nruns)
{
    char err[MR_ERR_LEN], out[160], word[16], *text;
    struct mapout mo;
    struct im_reader r;
    uint64_t recs, bytes;
    size_t len = 0, cap = 1 << 20;
    uint32_t seed = 7;

    snprintf(out, sizeof(out), "%s/%s", dir, name);
    mapout_init(&mo, 5, combine, builtin, budget, dir);
    for (int i = 0; i < 3000; i++) {
        seed = seed * 1103515245 + 12345;
        snprintf(word, sizeof(word), "w%u", (seed >> 16) % 300);
        mr_emit(&mo.emitter, word, strlen(word), "1", 1);
    }
    cr_assert_eq(mapout_write(&mo, out, &recs, &bytes, err), 0, "%s", err);
    *nruns = mo.nruns;
    mapout_free(&mo);
    text = malloc(cap);
    cr_assert_eq(im_reader_open(&r, out, 5, err), 0, "%s", err);
    for (uint32_t p = 0; p < 5; p++) {
        struct im_cursor c;
        const char *k, *v;
        size_t kl, vl;
        cr_assert_eq(im_reader_partition(&r, p, &c), 0);
        while (im_cursor_next(&c, &k, &kl, &v, &vl) == 1)
            len += (size_t)snprintf(text + len, cap - len, "%u %.*s=%.*s;",
                                    p, (int)kl, k, (int)vl, v);
    }
    im_reader_close(&r);
    return text;
}

Test(imfile, spilled_runs_merge_to_the_same_output)
{
    unsigned runs_big, runs_small;
    char *big, *small;

    /* Combiner: one spill per emit forces over 64 runs, so the merge runs
     * in several passes. */
    big = collect_with_budget(1 << 30, sum_combine, MR_COMBINER_APP, "big",
                              &runs_big);
    small = collect_with_budget(1, sum_combine, MR_COMBINER_APP, "small",
                                &runs_small);
    cr_assert_eq(runs_big, 0);
    cr_assert_gt(runs_small, MAPOUT_MERGE_FANIN, "only %u runs", runs_small);
    cr_assert_str_eq(small, big);
    free(small);
    /* The built-in sum gives what the app's summing combiner gives, with
     * and without spills. */
    small = collect_with_budget(1 << 30, NULL, MR_COMBINER_SUM, "sum",
                                &runs_small);
    cr_assert_str_eq(small, big);
    free(small);
    small = collect_with_budget(1, NULL, MR_COMBINER_SUM, "sum-spilled",
                                &runs_small);
    cr_assert_gt(runs_small, MAPOUT_MERGE_FANIN);
    cr_assert_str_eq(small, big);
    free(big);
    free(small);
    /* No combiner: every pair survives, in the same order. */
    big = collect_with_budget(1 << 30, NULL, MR_COMBINER_APP, "big2",
                              &runs_big);
    small = collect_with_budget(1, NULL, MR_COMBINER_APP, "small2",
                                &runs_small);
    cr_assert_gt(runs_small, MAPOUT_MERGE_FANIN);
    cr_assert_str_eq(small, big);
    free(big);
    free(small);
    cr_assert_eq(count_files(), 6, "spilled runs were left behind");
}

/* Emits pairs under the built-in sum; returns mapout_write's result. */
static int
write_sums(const char *const *values, size_t n, char err[MR_ERR_LEN])
{
    char out[160];
    struct mapout mo;
    uint64_t recs, bytes;
    int rc;

    snprintf(out, sizeof(out), "%s/sums", dir);
    mapout_init(&mo, 2, NULL, MR_COMBINER_SUM, 0, dir);
    for (size_t i = 0; i < n; i++)
        mr_emit(&mo.emitter, "k", 1, values[i], strlen(values[i]));
    rc = mapout_write(&mo, out, &recs, &bytes, err);
    mapout_free(&mo);
    return rc;
}

Test(imfile, builtin_sum_refuses_values_that_are_not_counts)
{
    const char *word[] = {"1", "one"}, *empty[] = {""},
               *too_big[] = {"18446744073709551616"},
               *overflow[] = {"18446744073709551615", "1"},
               *fits[] = {"18446744073709551614", "1"};
    char err[MR_ERR_LEN];

    cr_assert_eq(write_sums(word, 2, err), MR_EAPP);
    cr_assert(strstr(err, "not a whole number below 2^64"), "%s", err);
    cr_assert_eq(write_sums(empty, 1, err), MR_EAPP);
    cr_assert_eq(write_sums(too_big, 1, err), MR_EAPP);
    cr_assert_eq(write_sums(overflow, 2, err), MR_EAPP);
    cr_assert(strstr(err, "add up to 2^64 or more"), "%s", err);
    cr_assert_eq(write_sums(fits, 2, err), 0, "%s", err);
    cr_assert_eq(count_files(), 1, "a failed write left files behind");
}

/* One huge value grows the lookup queue; the queue must shrink again, or
 * it counts against the budget and every later batch of pairs spills. */
Test(imfile, one_huge_value_does_not_make_every_batch_spill)
{
    char err[MR_ERR_LEN], out[160], key[32], *big = malloc(5u << 20);
    struct mapout mo;
    uint64_t recs, bytes;
    unsigned runs;

    cr_assert_not_null(big);
    memset(big, '7', 5u << 20);
    snprintf(out, sizeof(out), "%s/huge", dir);
    mapout_init(&mo, 4, sum_combine, MR_COMBINER_APP, 8u << 20, dir);
    mr_emit(&mo.emitter, "big", 3, big, 5u << 20);
    for (int i = 0; i < 100000; i++) {
        int n = snprintf(key, sizeof(key), "key-%d", i);
        mr_emit(&mo.emitter, key, (size_t)n, "1", 1);
    }
    cr_assert_eq(mapout_write(&mo, out, &recs, &bytes, err), 0, "%s", err);
    runs = mo.nruns;
    mapout_free(&mo);
    free(big);
    cr_assert_eq(recs, 100001);
    cr_assert_lt(runs, 20, "%u runs", runs);
}

Test(imfile, many_distinct_keys_spill_in_few_runs)
{
    char err[MR_ERR_LEN], out[160], key[32];
    struct mapout mo;
    uint64_t recs, bytes;
    unsigned runs;

    /* 200,000 distinct keys under a 4 MiB budget: a handful of runs. A
     * hash table kept at full size after a spill used to count against the
     * budget and force a run per emit. */
    snprintf(out, sizeof(out), "%s/many", dir);
    mapout_init(&mo, 4, sum_combine, MR_COMBINER_APP, 4u << 20, dir);
    for (int i = 0; i < 200000; i++) {
        int n = snprintf(key, sizeof(key), "key-%d", i);
        mr_emit(&mo.emitter, key, (size_t)n, "1", 1);
    }
    cr_assert_eq(mapout_write(&mo, out, &recs, &bytes, err), 0, "%s", err);
    runs = mo.nruns;
    mapout_free(&mo);
    cr_assert_eq(recs, 200000);
    cr_assert_lt(runs, 40, "%u runs for 200,000 keys", runs);
}

static int
count_reduce(const char *key, size_t klen, struct mr_values *vals,
             struct mr_output *out)
{
    return sum_combine(key, klen, vals, out);
}

Test(imfile, reduce_refuses_a_corrupt_map_output_and_writes_nothing)
{
    const struct mr_app app = {MR_APP_ABI_VERSION, "t", NULL, count_reduce,
                               NULL, MR_COMBINER_APP, NULL};
    char err[MR_ERR_LEN], good[160], out[160];
    const char *inputs[2] = {good, path};
    struct reduce_stats st;
    struct im_writer w;

    snprintf(good, sizeof(good), "%s/mr-im-1-1", dir);
    snprintf(out, sizeof(out), "%s/mr-out-0", dir);
    cr_assert_eq(im_writer_open(&w, good, 1, err), 0);
    im_writer_add(&w, 0, "hello", 5, "2", 1);
    cr_assert_eq(im_writer_commit(&w, err), 0);
    write_and_flip(9);                  /* path: a byte of the value */
    cr_assert_eq(reduce_run(&app, inputs, 2, 0, 1, out, false, &st, err),
                 MR_EBADDATA);
    cr_assert(strstr(err, path) && strstr(err, "checksum"), "%s", err);
    cr_assert_eq(access(out, F_OK), -1, "a partial output was written");
    cr_assert_eq(count_files(), 2, "a temporary file was left behind");
}
