/* Packing small inputs into map tasks (--min-split-size): consecutive whole
 * files smaller than the minimum share a task until it holds the minimum;
 * a piece of a cut file, a file as large as the minimum and an input the
 * coordinator could not see stay tasks of their own; off (0), map task i
 * is split i. */
#include <criterion/criterion.h>

#include <string.h>

#include "packs.h"

TestSuite(packs);

/* A whole file of len bytes the coordinator saw. */
static struct split
file_of(const char *name, uint64_t len)
{
    return (struct split){.file = name, .offset = 0, .length = len,
                          .file_size = len};
}

Test(packs, off_means_one_task_per_split)
{
    struct split s[3] = {file_of("a", 1), file_of("b", 2), file_of("c", 3)};
    struct pack *p = (struct pack *)1;
    uint32_t n = 0;

    cr_assert_eq(packs_plan(s, 3, 0, &p, &n), 0);
    cr_assert_null(p);
    cr_assert_eq(n, 3);
}

Test(packs, small_files_fill_a_task_up_to_the_minimum)
{
    struct split s[7];
    const char *names[7] = {"f0", "f1", "f2", "f3", "f4", "f5", "f6"};
    struct pack *p;
    uint32_t n;

    for (int i = 0; i < 7; i++)
        s[i] = file_of(names[i], 40);
    /* 100 bytes: 40 + 40 is short of it, the third makes 120. */
    cr_assert_eq(packs_plan(s, 7, 100, &p, &n), 0);
    cr_assert_eq(n, 3);
    cr_assert_eq(p[0].first, 0);
    cr_assert_eq(p[0].count, 3);
    cr_assert_eq(p[0].bytes, 120);
    cr_assert_str_eq(p[0].label, "3 files from f0 to f2");
    cr_assert_eq(p[1].first, 3);
    cr_assert_eq(p[1].count, 3);
    cr_assert_eq(p[2].first, 6);
    cr_assert_eq(p[2].count, 1);
    cr_assert_null(p[2].label, "a task of one file is named by it");
    packs_free(p, n);
}

Test(packs, large_files_pieces_and_unseen_inputs_stay_alone)
{
    struct split s[8] = {
        file_of("a", 10), file_of("b", 10),
        file_of("big", 100),                    /* as large as the min */
        file_of("c", 10),
        {.file = "cut", .offset = 0, .length = 60, .file_size = 90},
        {.file = "cut", .offset = 60, .length = 30, .file_size = 90},
        {.file = "unseen", .whole = true},
        file_of("d", 10),
    };
    uint32_t want_first[] = {0, 2, 3, 4, 5, 6, 7};
    uint32_t want_count[] = {2, 1, 1, 1, 1, 1, 1};
    struct pack *p;
    uint32_t n;

    cr_assert_eq(packs_plan(s, 8, 100, &p, &n), 0);
    cr_assert_eq(n, 7);
    for (uint32_t i = 0; i < n; i++) {
        cr_assert_eq(p[i].first, want_first[i], "pack %u", i);
        cr_assert_eq(p[i].count, want_count[i], "pack %u", i);
    }
    packs_free(p, n);
}

Test(packs, empty_files_pack_and_no_splits_make_no_tasks)
{
    struct split s[3] = {file_of("e0", 0), file_of("e1", 0),
                         file_of("e2", 0)};
    struct pack *p;
    uint32_t n;

    cr_assert_eq(packs_plan(s, 3, 1, &p, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(p[0].count, 3);
    packs_free(p, n);
    cr_assert_eq(packs_plan(s, 0, 1, &p, &n), 0);
    cr_assert_eq(n, 0);
    packs_free(p, n);
}

Test(packs, a_pack_closes_before_its_task_message_is_too_large)
{
    enum { N = 3000 };
    static char name[200];
    static struct split s[N];
    struct pack *p;
    uint32_t n, parts = 0;

    memset(name, 'n', sizeof(name) - 1);
    for (int i = 0; i < N; i++)
        s[i] = file_of(name, 1);
    /* 3000 bytes of input, far under 1G, but 3000 names of 199 bytes. */
    cr_assert_eq(packs_plan(s, N, 1ull << 30, &p, &n), 0);
    cr_assert_gt(n, 1);
    for (uint32_t i = 0; i < n; i++) {
        cr_assert_leq(p[i].name_bytes, PACKS_MAX_NAME_BYTES);
        parts += p[i].count;
    }
    cr_assert_eq(parts, N, "every split in one pack");
    packs_free(p, n);
}
