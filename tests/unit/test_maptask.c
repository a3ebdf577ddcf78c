/* Map task splits the coordinator names: one that does not lie inside the
 * input file, however its offset and length add up, is refused before
 * anything is mapped or written; a whole split maps all of the file. What
 * a map task counts: bytes in, pairs and bytes out, combining and
 * spilling, the app's own counts; a count refused fails the task. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "maptask.h"
#include "tmpdir.h"

Test(maptask, a_split_outside_the_input_is_refused)
{
    static const struct {
        uint64_t offset, length;
    } cases[] = {
        {0, 101},
        {101, 0},
        {100, 1},
        {UINT64_MAX - 10, 20},          /* offset + length wraps to 9 */
        {50, UINT64_MAX - 40},          /* wraps to 9 */
        {UINT64_MAX, UINT64_MAX},
    };
    struct mr_app app = {0};            /* never reached */
    struct map_stats st;
    char dir[64], input[128], out[128], err[MR_ERR_LEN];
    FILE *f;

    cr_assert_eq(tmpdir_create(dir, sizeof(dir), "maptask-test"), 0);
    snprintf(input, sizeof(input), "%s/in.txt", dir);
    snprintf(out, sizeof(out), "%s/mr-im-0-1", dir);
    cr_assert_not_null(f = fopen(input, "w"));
    for (int i = 0; i < 10; i++)
        fputs("ten bytes\n", f);        /* 100 bytes */
    fclose(f);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err[0] = '\0';
        struct map_input in = {.name = input, .offset = cases[i].offset,
                               .length = cases[i].length};
        cr_assert_eq(map_run(&app, &in, 3, out, dir, 0, NULL, &st, err),
                     -EINVAL, "offset %llu length %llu",
                     (unsigned long long)cases[i].offset,
                     (unsigned long long)cases[i].length);
        cr_assert(strstr(err, "shorter than"), "%s", err);
        cr_assert_neq(access(out, F_OK), 0);
    }
    cr_assert_eq(tmpdir_remove(dir), 0);
}

static int
count_map(const char *file, const char *data, size_t len,
          struct mr_emitter *out)
{
    (void)file;
    (void)data;
    (void)len;
    mr_emit(out, "k", 1, "1", 1);
    return 0;
}

static int
count_reduce(const char *key, size_t klen, struct mr_values *values,
             struct mr_output *out)
{
    (void)key;
    (void)klen;
    (void)values;
    mr_write(out, "1", 1);
    return 0;
}

/* A whole split (an input the coordinator could not see) maps all of the
 * file, whatever its size. */
Test(maptask, a_whole_split_maps_the_file)
{
    struct mr_app app = {MR_APP_ABI_VERSION, "count", count_map, count_reduce,
                         NULL, MR_COMBINER_APP, NULL};
    char dir[64], input[128], out[128], err[MR_ERR_LEN];
    struct map_stats st;
    FILE *f;

    cr_assert_eq(tmpdir_create(dir, sizeof(dir), "maptask-test"), 0);
    snprintf(input, sizeof(input), "%s/in.txt", dir);
    snprintf(out, sizeof(out), "%s/mr-im-0-1", dir);
    cr_assert_not_null(f = fopen(input, "w"));
    for (int i = 0; i < 1000; i++)
        fputs("ten bytes\n", f);
    fclose(f);
    {
        struct map_input in = {.name = input, .whole = true};
        cr_assert_eq(map_run(&app, &in, 3, out, dir, 0, NULL, &st, err), 0,
                     "%s", err);
    }
    cr_assert_eq(st.bytes_in, 10000);
    cr_assert_eq(access(out, F_OK), 0);
    cr_assert_eq(tmpdir_remove(dir), 0);
}

/* ---------------------------------------------------------------- counting */

/* With long_values, lines_map emits "12" every third line (from the
 * first): values of two lengths, one a summed count's slow path. */
static bool long_values;

/* Emits (line length, "1") per line; counts lines of odd length, and the
 * combiner's calls. */
static int
lines_map(const char *file, const char *data, size_t len,
          struct mr_emitter *out)
{
    size_t at = 0, line = 0;

    (void)file;
    while (at < len) {
        const char *nl = memchr(data + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (data + at)) : len - at;
        char key[24];
        int klen = snprintf(key, sizeof(key), "%zu", n);
        if (long_values && line++ % 3 == 0)
            mr_emit(out, key, (size_t)klen, "12", 2);
        else
            mr_emit(out, key, (size_t)klen, "1", 1);
        if (n % 2 == 1)
            mr_count(out, "odd lines", 1);
        at += n + 1;
    }
    return 0;
}

static int
sum_reduce(const char *key, size_t klen, struct mr_values *values,
           struct mr_output *out)
{
    (void)key;
    (void)klen;
    mr_count(out, "combines", 1);
    mr_write_u64(out, mr_sum_values(values));
    return 0;
}

/* Writes text to dir/in.txt; path gets its name. */
static void
write_input(const char *dir, char *path, size_t len, const char *text)
{
    FILE *f;

    snprintf(path, len, "%s/in.txt", dir);
    cr_assert_not_null(f = fopen(path, "w"));
    fputs(text, f);
    fclose(f);
}

/* 2000 lines of lengths 0..9 over and over, the last without '\n'. */
static char *
ten_lengths(void)
{
    static char text[2000 * 10];
    size_t n = 0;

    for (int i = 0; i < 2000; i++) {
        for (int k = 0; k < i % 10; k++)
            text[n++] = 'x';
        if (i < 1999)
            text[n++] = '\n';
    }
    text[n] = '\0';
    return text;
}

Test(maptask, a_map_counts_what_it_did)
{
    struct mr_app app = {MR_APP_ABI_VERSION, "lines", lines_map, sum_reduce,
                         sum_reduce, MR_COMBINER_APP, NULL};
    char dir[64], input[128], out[128], err[MR_ERR_LEN];
    const char *text = ten_lengths();
    struct counter_table t;
    struct map_stats st;

    counter_table_init(&t);
    cr_assert_eq(tmpdir_create(dir, sizeof(dir), "maptask-test"), 0);
    write_input(dir, input, sizeof(input), text);
    snprintf(out, sizeof(out), "%s/mr-im-0-1", dir);
    {
        struct map_input in = {.name = input, .whole = true};
        cr_assert_eq(map_run(&app, &in, 3, out, dir, 0, &t, &st, err), 0,
                     "%s", err);
    }
    cr_assert_eq(st.bytes_in, strlen(text));
    cr_assert_eq(st.records_in, 2000);
    cr_assert_eq(st.emitted_bytes, 2000 * 2);   /* "7" and "1" */
    /* Ten distinct keys, no spill: the pairs go in, ten records out. */
    cr_assert_eq(st.records_out, 10);
    cr_assert_eq(st.spilled_runs, 0);
    cr_assert_eq(st.spilled_records, 0);
    cr_assert_eq(st.combine_in, 2000);
    cr_assert_eq(st.combine_out, 10);
    cr_assert_eq(t.n, 2, "%zu app counters", t.n);
    cr_assert_str_eq(t.counters[0].name, "odd lines");
    cr_assert_eq(t.counters[0].value, 1000);
    cr_assert_str_eq(t.counters[1].name, "combines");
    cr_assert_geq(t.counters[1].value, 10);
    counter_table_free(&t);
    cr_assert_eq(tmpdir_remove(dir), 0);
}

/* "map output bytes" is the keys' and values' bytes as the app emitted
 * them, whether the pairs are kept, combined by the app or summed by the
 * framework (each counts them in its own place). */
Test(maptask, output_bytes_in_every_mode)
{
    struct mr_app app = {MR_APP_ABI_VERSION, "lines", lines_map, sum_reduce,
                         NULL, MR_COMBINER_APP, NULL};
    char dir[64], input[128], out[128], err[MR_ERR_LEN];
    const char *text = ten_lengths();
    struct map_stats st;
    /* Keys: lengths 0..9, one digit each; values: 2 bytes every third
     * line, else 1. */
    uint64_t want = 2000 + (667 * 2 + 1333 * 1);

    long_values = true;
    cr_assert_eq(tmpdir_create(dir, sizeof(dir), "maptask-test"), 0);
    write_input(dir, input, sizeof(input), text);
    snprintf(out, sizeof(out), "%s/mr-im-0-1", dir);
    for (int mode = 0; mode < 3; mode++) {
        struct map_input in = {.name = input, .whole = true};
        app.combine = mode == 1 ? sum_reduce : NULL;
        app.builtin_combiner = mode == 2 ? MR_COMBINER_SUM : MR_COMBINER_APP;
        cr_assert_eq(map_run(&app, &in, 3, out, dir, 0, NULL, &st, err), 0,
                     "%s", err);
        cr_assert_eq(st.records_in, 2000, "mode %d", mode);
        cr_assert_eq(st.emitted_bytes, want, "mode %d: %llu bytes", mode,
                     (unsigned long long)st.emitted_bytes);
    }
    cr_assert_eq(tmpdir_remove(dir), 0);
}

/* Emits (line number, "1") per line: every key distinct. */
static int
numbered_map(const char *file, const char *data, size_t len,
             struct mr_emitter *out)
{
    size_t line = 0;

    (void)file;
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\n') {
            char key[24];
            int klen = snprintf(key, sizeof(key), "%zu", line++);
            mr_emit(out, key, (size_t)klen, "1", 1);
        }
    }
    return 0;
}

/* With a small buffer the map spills runs; each run's records are read
 * back once, by the merge that combines them again. */
Test(maptask, spills_are_counted)
{
    struct mr_app app = {MR_APP_ABI_VERSION, "numbered", numbered_map,
                         sum_reduce, NULL, MR_COMBINER_APP, NULL};
    char dir[64], input[128], out[128], err[MR_ERR_LEN];
    static char text[100001];
    struct map_stats st;

    memset(text, '\n', 100000);
    cr_assert_eq(tmpdir_create(dir, sizeof(dir), "maptask-test"), 0);
    write_input(dir, input, sizeof(input), text);
    snprintf(out, sizeof(out), "%s/mr-im-0-1", dir);
    for (int combining = 0; combining < 2; combining++) {
        struct map_input in = {.name = input, .whole = true};
        app.combine = combining ? sum_reduce : NULL;
        cr_assert_eq(map_run(&app, &in, 3, out, dir, 1536u << 10, NULL, &st,
                             err), 0, "%s", err);
        cr_assert_eq(st.records_in, 100000);
        cr_assert_eq(st.records_out, 100000);
        cr_assert_gt(st.spilled_runs, 1, "%llu runs",
                     (unsigned long long)st.spilled_runs);
        cr_assert_geq(st.spilled_records, 100000);
        if (combining) {
            cr_assert_eq(st.combine_in, st.records_in + st.spilled_records);
            cr_assert_eq(st.combine_out,
                         st.spilled_records + st.records_out);
        } else {
            cr_assert_eq(st.combine_in, 0);
            cr_assert_eq(st.combine_out, 0);
        }
    }
    cr_assert_eq(tmpdir_remove(dir), 0);
}

static int
bad_count_map(const char *file, const char *data, size_t len,
              struct mr_emitter *out)
{
    (void)file;
    (void)data;
    (void)len;
    mr_emit(out, "k", 1, "1", 1);
    mr_count_name(out, "bad\nname", 1);
    return 0;
}

/* A count the table refuses fails the task, saying why, and leaves no
 * output. */
Test(maptask, a_refused_count_fails_the_map)
{
    struct mr_app app = {MR_APP_ABI_VERSION, "bad", bad_count_map,
                         count_reduce, NULL, MR_COMBINER_APP, NULL};
    char dir[64], input[128], out[128], err[MR_ERR_LEN];
    struct counter_table t;
    struct map_stats st;

    counter_table_init(&t);
    cr_assert_eq(tmpdir_create(dir, sizeof(dir), "maptask-test"), 0);
    write_input(dir, input, sizeof(input), "a line\n");
    snprintf(out, sizeof(out), "%s/mr-im-0-1", dir);
    {
        struct map_input in = {.name = input, .whole = true};
        cr_assert_eq(map_run(&app, &in, 3, out, dir, 0, &t, &st, err),
                     MR_EAPP);
    }
    cr_assert(strstr(err, "control character"), "%s", err);
    cr_assert_neq(access(out, F_OK), 0);
    counter_table_free(&t);
    cr_assert_eq(tmpdir_remove(dir), 0);
}
