/* Planning map tasks: small files are one task each; a large file is cut
 * into pieces that cover it exactly, each ending just after whitespace, so
 * no word is split; a file without whitespace stays whole. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "splits.h"
#include "tmpdir.h"

static char dir[64];

static void
setup(void)
{
    cr_assert_eq(tmpdir_create(dir, sizeof(dir), "split-test"), 0);
}

static void
teardown(void)
{
    cr_assert_eq(tmpdir_remove(dir), 0);
}

TestSuite(splits, .init = setup, .fini = teardown);

static char *
write_file(const char *name, const char *text, size_t len)
{
    static char path[8][128];
    static int next;
    char *p = path[next++ % 8];
    FILE *f;

    snprintf(p, 128, "%s/%s", dir, name);
    f = fopen(p, "w");
    fwrite(text, 1, len, f);
    fclose(f);
    return p;
}

Test(splits, pieces_cover_the_file_and_end_after_whitespace)
{
    char text[10000], err[MR_ERR_LEN];
    const char *files[2];
    struct split *s;
    uint32_t n;
    uint64_t total, at = 0;

    for (size_t i = 0; i < sizeof(text); i++)   /* words of 1..9 letters */
        text[i] = (i * 7 % 10 == 0) ? (i % 3 ? ' ' : '\n') : 'a' + i % 26;
    files[0] = write_file("small", "tiny", 4);
    files[1] = write_file("big", text, sizeof(text));
    cr_assert_eq(splits_plan(files, 2, 1000, &s, &n, &total, err), 0, "%s",
                 err);
    cr_assert_eq(total, 4 + sizeof(text));
    cr_assert_str_eq(s[0].file, files[0]);
    cr_assert(s[0].offset == 0 && s[0].length == 4);
    cr_assert_geq(n, 10);
    for (uint32_t i = 1; i < n; i++) {
        cr_assert_str_eq(s[i].file, files[1]);
        cr_assert_eq(s[i].offset, at, "pieces must be contiguous");
        cr_assert_geq(s[i].length, i + 1 < n ? 1000 : 1);
        at += s[i].length;
        if (i + 1 < n) {
            char last = text[at - 1];
            cr_assert(last == ' ' || last == '\n',
                      "piece %u ends inside a word", i);
        }
    }
    cr_assert_eq(at, sizeof(text), "pieces must cover the file");
    free(s);
}

Test(splits, a_file_without_whitespace_stays_whole)
{
    char text[5000], err[MR_ERR_LEN];
    const char *files[1];
    struct split *s;
    uint32_t n;
    uint64_t total;

    memset(text, 'x', sizeof(text));
    files[0] = write_file("oneword", text, sizeof(text));
    cr_assert_eq(splits_plan(files, 1, 1000, &s, &n, &total, err), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(s[0].length, sizeof(text));
    free(s);
}

Test(splits, an_empty_file_is_one_empty_task)
{
    char err[MR_ERR_LEN];
    const char *files[1];
    struct split *s;
    uint32_t n;
    uint64_t total;

    files[0] = write_file("empty", "", 0);
    cr_assert_eq(splits_plan(files, 1, 1000, &s, &n, &total, err), 0);
    cr_assert(n == 1 && s[0].length == 0 && total == 0);
    free(s);
}

Test(splits, a_missing_file_is_named)
{
    char err[MR_ERR_LEN], missing[128];
    const char *files[1] = {missing};
    struct split *s;
    uint32_t n;
    uint64_t total;

    snprintf(missing, sizeof(missing), "%s/nope.txt", dir);
    cr_assert_lt(splits_plan(files, 1, 1000, &s, &n, &total, err), 0);
    cr_assert(strstr(err, "nope.txt: No such file"), "%s", err);
}
