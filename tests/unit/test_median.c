/* The running lower median (coordinator/median.h) against sorting: after
 * every number added, in increasing, decreasing, equal and random orders,
 * and again after a clear. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "median.h"

#define N 257

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

/* Adds v[0..n) one at a time; after each, the median is the sorted
 * prefix's ((k - 1) / 2)-th. */
static void
expect_medians(struct median *m, const uint64_t *v, size_t n,
               const char *what)
{
    uint64_t sorted[N];

    for (size_t k = 1; k <= n; k++) {
        median_add(m, v[k - 1]);
        memcpy(sorted, v, k * sizeof(*v));
        qsort(sorted, k, sizeof(*sorted), cmp_u64);
        cr_assert_eq(median_count(m), k, "%s", what);
        cr_assert_eq(median_get(m), sorted[(k - 1) / 2],
                     "%s: after %zu numbers", what, k);
    }
}

Test(median, matches_sorting_in_every_order)
{
    struct median m;
    uint64_t v[N];
    const char *orders[] = {"increasing", "decreasing", "equal", "random",
                            "few values"};

    cr_assert_eq(median_init(&m, N), 0);
    srand(14);
    for (size_t o = 0; o < sizeof(orders) / sizeof(orders[0]); o++) {
        for (size_t i = 0; i < N; i++)
            v[i] = o == 0 ? i : o == 1 ? N - i : o == 2 ? 7
                 : o == 3 ? (uint64_t)rand() : (uint64_t)(rand() % 3);
        median_clear(&m);
        cr_assert_eq(median_count(&m), 0);
        expect_medians(&m, v, N, orders[o]);
    }
    median_free(&m);
    median_free(&m);            /* safe again */
}
