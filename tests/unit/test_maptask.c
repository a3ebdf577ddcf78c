/* Map task splits the coordinator names: one that does not lie inside the
 * input file, however its offset and length add up, is refused before
 * anything is mapped or written; a whole split maps all of the file. */
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
        struct map_input in = {input, NULL, cases[i].offset,
                               cases[i].length, false};
        cr_assert_eq(map_run(&app, &in, 3, out, dir, 0, &st, err), -EINVAL,
                     "offset %llu length %llu",
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
                         NULL, MR_COMBINER_APP};
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
        struct map_input in = {input, NULL, 0, 0, true};
        cr_assert_eq(map_run(&app, &in, 3, out, dir, 0, &st, err), 0, "%s",
                     err);
    }
    cr_assert_eq(st.bytes_in, 10000);
    cr_assert_eq(access(out, F_OK), 0);
    cr_assert_eq(tmpdir_remove(dir), 0);
}
