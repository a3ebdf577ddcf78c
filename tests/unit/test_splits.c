/* Planning map tasks: small files are one task each; a large file is cut
 * into pieces that cover it exactly, each ending just after the '\n' of the
 * line crossing its nominal end, so that every line is read whole by one
 * task; an input the coordinator cannot find becomes one whole split for
 * the workers to open; a visible one gets an absolute path while the app
 * keeps the name as written; other problems are errors naming the file. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "splits.h"
#include "tmpdir.h"

static char dir[64];
static char text[300000];       /* the large input of a case */

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
write_file(const char *name, const char *bytes, size_t len)
{
    static char path[8][128];
    static int next;
    char *p = path[next++ % 8];
    FILE *f;

    snprintf(p, 128, "%s/%s", dir, name);
    cr_assert_not_null(f = fopen(p, "w"), "%s", p);
    cr_assert_eq(fwrite(bytes, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
    return p;
}

/* ---------------------------------------------------------------- texts */

/* Appends a line of n bytes (without its '\n') to text at *len. */
static void
add_line(size_t *len, size_t n, char c)
{
    cr_assert_lt(*len + n + 1, sizeof(text));
    memset(text + *len, c, n);
    *len += n;
    text[(*len)++] = '\n';
}

/* About 10 kB of lines of 0 to 149 bytes, empty ones among them. */
static size_t
varied_lines(void)
{
    size_t len = 0;

    for (unsigned i = 0; len < 10000; i++)
        add_line(&len, (i * 37) % 150, (char)('a' + i % 26));
    return len;
}

/* Short lines around a 200 kB one, which spans several read windows. */
static size_t
long_line_in_the_middle(void)
{
    size_t len = 0;

    for (unsigned i = 0; len < 2000; i++)
        add_line(&len, i % 40, 's');
    add_line(&len, 200000, 'L');
    for (unsigned i = 0; len < 204000; i++)
        add_line(&len, i % 40, 't');
    return len;
}

static size_t
no_newline_at_all(void)
{
    memset(text, 'x', 5000);
    return 5000;
}

static size_t
no_newline_at_the_end(void)
{
    size_t len = varied_lines();

    memcpy(text + len, "a last line without its end", 27);
    return len + 27;
}

/* 20 lines of 100 bytes with their '\n': each ends at a nominal end. */
static size_t
hundred_byte_lines(void)
{
    size_t len = 0;

    for (int i = 0; i < 20; i++)
        add_line(&len, 99, 'h');
    return len;
}

/* 1000 bytes, exactly one split size. */
static size_t
one_split_size(void)
{
    size_t len = 0;

    for (int i = 0; i < 10; i++)
        add_line(&len, 99, 'o');
    return len;
}

static size_t
empty(void)
{
    return 0;
}

/* ---------------------------------------------------------------- cuts */

/* Where the piece starting at `at` must end, by the rule in splits.h
 * applied to the whole text in memory. */
static uint64_t
expected_end(size_t len, uint64_t at, uint64_t size)
{
    const char *nl;

    if (len - at <= size)
        return len;
    nl = memchr(text + at + size - 1, '\n', len - (at + size - 1));
    return nl ? (uint64_t)(nl - text) + 1 : len;
}

/* The pieces s[0..n) of text (len bytes, named file) are contiguous, cover
 * it, follow the rule, and each but the last ends with a line's '\n'. */
static void
check_pieces(const char *name, const char *file, size_t len, uint64_t size,
             const struct split *s, uint32_t n)
{
    uint64_t at = 0;

    cr_assert_gt(n, 0, "%s: no piece", name);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t end = s[i].offset + s[i].length;

        cr_assert_eq(s[i].file, file, "%s: piece %u names another file",
                     name, i);
        cr_assert(!s[i].whole, "%s: piece %u is marked whole", name, i);
        cr_assert_str_eq(s[i].path, file, "%s: piece %u", name, i);
        cr_assert_eq(s[i].offset, at, "%s: piece %u is not contiguous",
                     name, i);
        cr_assert(s[i].length > 0 || len == 0, "%s: piece %u is empty",
                  name, i);
        cr_assert_eq(end, expected_end(len, at, size),
                     "%s: piece %u ends at %llu", name, i,
                     (unsigned long long)end);
        if (i + 1 < n)
            cr_assert_eq(text[end - 1], '\n',
                         "%s: piece %u ends inside a line", name, i);
        at = end;
    }
    cr_assert_eq(at, len, "%s: the pieces do not cover the file", name);
}

#define PER_LINE 0
#define ANY UINT32_MAX

Test(splits, pieces_are_cut_at_line_ends)
{
    static const struct {
        const char *name;
        size_t (*make)(void);
        uint64_t split_size;
        uint32_t want;          /* pieces; PER_LINE, or ANY: not checked */
    } cases[] = {
        {"varied lines", varied_lines, 1000, ANY},
        {"varied lines, size 1: a piece per line", varied_lines, 1, PER_LINE},
        {"a long line in the middle", long_line_in_the_middle, 1000, ANY},
        {"no newline at all", no_newline_at_all, 1000, 1},
        {"no newline at the end", no_newline_at_the_end, 1000, ANY},
        {"a newline at each nominal end", hundred_byte_lines, 100, 20},
        {"a file of one split size", one_split_size, 1000, 1},
        {"an empty file", empty, 1000, 1},
    };

    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        char err[MR_ERR_LEN], name[32];
        const char *files[2];
        size_t len = cases[c].make();
        uint32_t n, want = cases[c].want;
        uint64_t total;
        struct split *s;

        if (want == PER_LINE)
            for (size_t i = 0; i < len; i++)
                want += text[i] == '\n';
        snprintf(name, sizeof(name), "case%zu", c);
        files[0] = write_file("small", "tiny\n", 5);
        files[1] = write_file(name, text, len);
        cr_assert_eq(splits_plan(files, 2, cases[c].split_size, &s, &n,
                                 &total, err), 0, "%s: %s",
                     cases[c].name, err);
        cr_assert_eq(total, 5 + len, "%s", cases[c].name);
        cr_assert(s[0].file == files[0] && s[0].offset == 0 &&
                  s[0].length == 5, "%s: the small file", cases[c].name);
        cr_assert_geq(n, 2, "%s", cases[c].name);
        check_pieces(cases[c].name, files[1], len, cases[c].split_size,
                     s + 1, n - 1);
        cr_assert(want == ANY || n - 1 == want,
                  "%s: %u pieces, wanted %u", cases[c].name, n - 1, want);
        cr_assert_eq(splits_count_whole(s, n, NULL), 0, "%s",
                     cases[c].name);
        splits_free(s, n);
    }
}

Test(splits, a_line_longer_than_the_split_size_stays_whole)
{
    char err[MR_ERR_LEN];
    const char *files[1];
    struct split *s;
    size_t len = 0;
    uint32_t n;
    uint64_t total;

    add_line(&len, 2, 'a');                     /* [0, 3) */
    add_line(&len, 3000, 'x');                  /* [3, 3004) */
    while (len < 4500)
        add_line(&len, 2, 'c');
    files[0] = write_file("long", text, len);
    cr_assert_eq(splits_plan(files, 1, 1000, &s, &n, &total, err), 0, "%s",
                 err);
    cr_assert_eq(n, 3);
    cr_assert(s[0].offset == 0 && s[0].length == 3004,
              "the first piece is [%llu, +%llu)",
              (unsigned long long)s[0].offset,
              (unsigned long long)s[0].length);
    cr_assert_eq(s[1].offset, 3004, "the next piece starts after the line");
    cr_assert_eq(s[2].offset + s[2].length, len);
    splits_free(s, n);
}

/* ---------------------------------------------------------------- names */

Test(splits, inputs_not_found_here_are_left_whole_for_the_workers)
{
    static const char *const missing[] = {
        "nope.txt",                     /* relative: ENOENT */
        "nodir/nope.txt",               /* in a missing directory: ENOENT */
        "here.txt/nope.txt",            /* under a regular file: ENOTDIR */
        "../no-such-dir-for-mr-tests/x.txt",
    };

    cr_assert_eq(chdir(dir), 0);
    write_file("here.txt", "one line\n", 9);
    for (size_t c = 0; c < sizeof(missing) / sizeof(missing[0]); c++) {
        const char *files[2] = {"here.txt", missing[c]}, *first = "unset";
        char err[MR_ERR_LEN];
        struct split *s;
        uint32_t n;
        uint64_t total;

        cr_assert_eq(splits_plan(files, 2, 4, &s, &n, &total, err), 0,
                     "%s: %s", missing[c], err);
        cr_assert_eq(n, 2, "%s: %u splits", missing[c], n);
        cr_assert_eq(total, 9, "%s: the missing input was counted",
                     missing[c]);
        cr_assert_eq(s[1].file, missing[c], "%s", missing[c]);
        cr_assert(s[1].whole && s[1].path == NULL && s[1].offset == 0 &&
                  s[1].length == 0, "%s is not a whole split", missing[c]);
        cr_assert(!s[0].whole && s[0].length == 9);
        cr_assert_eq(splits_count_whole(s, n, &first), 1, "%s", missing[c]);
        cr_assert_eq(first, missing[c]);
        splits_free(s, n);
    }
}

Test(splits, every_unseen_input_is_counted_and_the_first_named)
{
    const char *files[] = {"a-gone.txt", "seen.txt", "b-gone.txt"};
    const char *first = NULL;
    char err[MR_ERR_LEN];
    struct split *s;
    uint32_t n;
    uint64_t total;

    cr_assert_eq(chdir(dir), 0);
    write_file("seen.txt", "x\n", 2);
    cr_assert_eq(splits_plan(files, 3, 0, &s, &n, &total, err), 0, "%s", err);
    cr_assert_eq(n, 3);
    cr_assert(s[0].whole && !s[1].whole && s[2].whole);
    cr_assert_eq(splits_count_whole(s, n, &first), 2);
    cr_assert_eq(first, files[0]);
    cr_assert_eq(splits_count_whole(s, n, NULL), 2);
    cr_assert_eq(splits_count_whole(NULL, 0, &first), 0);
    cr_assert_null(first);
    splits_free(s, n);
    splits_free(NULL, 7);
}

Test(splits, visible_inputs_get_an_absolute_path_and_keep_their_name)
{
    char cwd[4096], want[4200], err[MR_ERR_LEN];
    const char *files[3];
    struct split *s;
    uint32_t n;
    uint64_t total;
    size_t len = 0;

    cr_assert_eq(chdir(dir), 0);
    cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
    while (len < 100)
        add_line(&len, 9, 'r');
    write_file("rel.txt", text, len);           /* 10 lines */
    files[0] = "rel.txt";
    files[1] = "./rel.txt";
    files[2] = write_file("abs.txt", "abs\n", 4);
    cr_assert_eq(splits_plan(files, 3, 30, &s, &n, &total, err), 0, "%s",
                 err);
    cr_assert_eq(n, 4 + 4 + 1);
    snprintf(want, sizeof(want), "%s/rel.txt", cwd);
    for (uint32_t i = 0; i < 4; i++) {
        cr_assert_eq(s[i].file, files[0]);
        cr_assert_str_eq(s[i].path, want, "piece %u", i);
    }
    snprintf(want, sizeof(want), "%s/./rel.txt", cwd);
    for (uint32_t i = 4; i < 8; i++) {
        cr_assert_eq(s[i].file, files[1]);
        cr_assert_str_eq(s[i].path, want, "piece %u", i);
    }
    cr_assert_eq(s[8].file, files[2]);
    cr_assert_str_eq(s[8].path, files[2]);
    cr_assert_neq(s[8].path, files[2], "the path must be the plan's own");
    splits_free(s, n);
}

Test(splits, other_problems_are_errors_naming_the_file)
{
    static const struct {
        const char *name;       /* "" for the empty name */
        const char *want;       /* in the message */
        bool as_user;           /* root reads anything: skipped as root */
    } cases[] = {
        {"subdir", "subdir is not a regular file (a directory)", false},
        {"", "an input file name is empty", false},
        {"secret.txt", "secret.txt cannot be read: Permission denied", true},
        {"locked/in.txt", "locked/in.txt: Permission denied", true},
    };
    bool root = geteuid() == 0;

    cr_assert_eq(chdir(dir), 0);
    cr_assert_eq(mkdir("subdir", 0755), 0);
    cr_assert_eq(mkdir("locked", 0755), 0);
    write_file("locked/in.txt", "in\n", 3);
    write_file("secret.txt", "secret\n", 7);
    cr_assert_eq(chmod("secret.txt", 0), 0);
    cr_assert_eq(chmod("locked", 0), 0);
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        const char *files[1] = {cases[c].name};
        struct split *s = (struct split *)1;    /* must stay untouched */
        char err[MR_ERR_LEN] = "";
        uint32_t n = 99;
        uint64_t total = 99;
        int rc;

        if (cases[c].as_user && root)
            continue;
        rc = splits_plan(files, 1, 0, &s, &n, &total, err);
        cr_expect_lt(rc, 0, "%s was accepted", cases[c].name);
        cr_expect(strstr(err, cases[c].want) != NULL,
                  "message '%s' lacks '%s'", err, cases[c].want);
        cr_expect(s == (struct split *)1 && n == 99 && total == 99,
                  "%s: outputs set on failure", cases[c].name);
    }
    chmod("locked", 0755);                      /* so teardown removes it */
}
