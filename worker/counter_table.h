/* One task's app counters: the names an app passes to mr_count and
 * mr_count_name (include/mrapp.h) and what it added to each, for the
 * task's report.
 *
 * Why a cache by address: mr_count's name is a string literal (its macro
 * does not compile otherwise), and a literal's address stays the name of
 * the same bytes for as long as the module is loaded. So after the first
 * call a name is found by its address: one multiply to pick a slot of a
 * small direct-mapped cache, one pointer compare, one add. Only the first
 * call with each address, and every mr_count_name call (its string may be
 * a buffer rewritten between calls), looks the name up by its contents:
 * a hash of its bytes, a probe, a strcmp. Two literals with the same bytes
 * are the same counter.
 *
 * The limits of include/mrapp.h hold: a name is 1 to MR_COUNTER_NAME_MAX
 * bytes without control characters and is not one of the framework's
 * (common/counter_names.h), and at most MR_COUNTERS_MAX distinct names.
 * The first call that breaks one fails the table: it keeps that error
 * (counter_table_error says which name and why) and takes no more counts,
 * and the task that owns it fails. Sums stop at UINT64_MAX. */
#ifndef WORKER_COUNTER_TABLE_H
#define WORKER_COUNTER_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mr_err.h"
#include "mrapp.h"

#define COUNTER_CACHE_SLOTS 64          /* by a literal's address */
#define COUNTER_INDEX_SLOTS (2 * MR_COUNTERS_MAX)   /* by contents */

struct counter {
    char *name;                 /* owned copy */
    uint64_t value;
};

struct counter_table {
    struct counter counters[MR_COUNTERS_MAX];   /* n of them, in the order
                                   first seen */
    size_t n;
    struct counter_cached {     /* an address seen as a literal */
        const char *literal;    /* NULL: an empty slot */
        uint32_t index;         /* in counters */
    } cache[COUNTER_CACHE_SLOTS];
    uint16_t index[COUNTER_INDEX_SLOTS];    /* 1 + a counter's index, by the
                                   hash of its name, linear probing; 0:
                                   empty */
    int error;                  /* sticky: 0, MR_EAPP or -ENOMEM */
    char errmsg[MR_ERR_LEN];
};

/* An empty table. */
void counter_table_init(struct counter_table *t);

/* Frees the names; the table is empty again, as after init. */
void counter_table_free(struct counter_table *t);

/* The slot of the cache a literal's address uses. */
static inline size_t
counter__slot(const char *literal)
{
    return (size_t)(((uintptr_t)literal * UINT64_C(0x9E3779B97F4A7C15)) >>
                    58) & (COUNTER_CACHE_SLOTS - 1);
}

/* The lookup by contents, and the first sight of a name. */
int counter__add_slow(struct counter_table *t, const char *name, uint64_t n,
                      bool literal);

/* Adds n to the counter name; literal: name is a string literal, which may
 * be known by its address (see above). Returns 0, or the table's error
 * (MR_EAPP: a name that breaks a rule; -ENOMEM), kept for
 * counter_table_error. */
static inline int
counter_table_add(struct counter_table *t, const char *name, uint64_t n,
                  bool literal)
{
    const struct counter_cached *c = &t->cache[counter__slot(name)];

    if (literal && c->literal == name && name != NULL) {
        uint64_t *v = &t->counters[c->index].value;
        if (__builtin_add_overflow(*v, n, v))
            *v = UINT64_MAX;
        return 0;
    }
    return counter__add_slow(t, name, n, literal);
}

/* True when a count was refused: the task must fail. */
static inline bool
counter_table_failed(const struct counter_table *t)
{
    return t->error != 0;
}

/* Why: "the app counts more than 256 distinct counter names (the 257th is
 * "x"): ..." Empty when it did not fail. */
static inline const char *
counter_table_error(const struct counter_table *t)
{
    return t->errmsg;
}

#endif
