/* The combiner checker behind mrsequential --check-combiner: tests an app's
 * combiner against the contract in include/mrapp.h, one key at a time.
 *
 * For each key it compares reduce over all of the key's values with reduce
 * over values that went through the combiner: the values are shuffled, cut
 * into groups of random sizes, and each group is replaced by the one value
 * the combiner writes for it (a group of one is sometimes left alone, as
 * the map side does); that is repeated for 1 to 3 rounds, so that the
 * combiner also sees its own output, and what is left is shuffled and
 * reduced. An app declaring MR_COMBINER_SUM is checked the same way with
 * the framework's sum as its combiner: every value must then be a whole
 * decimal number below 2^64, as the map side requires.
 *
 * It first checks that reduce gives the same result for the key's values
 * in another order (reduce sees them in no particular order): otherwise a
 * difference would be blamed on the combiner.
 *
 * Every random choice comes from a generator seeded with the checker's seed
 * and the key's bytes, so a seed reproduces a failure on the same input. */
#ifndef WORKER_COMBINECHECK_H
#define WORKER_COMBINECHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "mrapp.h"

/* Room for the one-line message about a key (its key and two results are
 * shown escaped and cut to about 80 bytes each). */
#define COMBINE_CHECK_MSG_LEN 1536

/* A byte string the checker does not own, or owns in its arena. */
struct combine_check_ref {
    const char *p;
    size_t len;
};

/* What a reduce or combine call wrote. */
struct combine_check_buf {
    struct mr_output base;      /* first: the app writes here */
    char *data;
    size_t len, cap;
    bool nomem;                 /* a write could not grow data */
};

struct combine_check {
    const struct mr_app *app;   /* borrowed */
    bool sum;                   /* MR_COMBINER_SUM: the framework's sum */
    uint64_t seed;
    uint64_t keys;              /* keys checked so far */
    uint64_t combines;          /* combiner calls (or sums) made so far */
    /* Scratch reused from key to key: */
    struct combine_check_ref *vals, *cur, *next;  /* cap entries each */
    size_t cap;
    struct combine_check_buf want, got, out;  /* reduce, reduce, combine */
    struct arena bytes;         /* combined values of the current key */
};

/* True when the app has a combiner to check: its own or the built-in sum. */
bool combine_check_applies(const struct mr_app *app);

/* Sets up a checker for app (borrowed; must outlive the checker) with the
 * given seed. Allocates nothing yet. */
void combine_check_init(struct combine_check *cc, const struct mr_app *app,
                        uint64_t seed);

/* Frees the scratch memory; the checker can be initialised again. */
void combine_check_free(struct combine_check *cc);

/* Checks one key with all of its values, read once from values; the bytes
 * they point to must stay valid during the call. Returns 0 when reduce
 * gives the same result with and without the combiner; otherwise fills msg
 * with one line (no trailing newline) naming the key, the results or the
 * cause, and the seed, and returns MR_EAPP (the results differ, reduce
 * depends on the order of values, a callback failed, or a MR_COMBINER_SUM
 * value is not a number or overflows) or -ENOMEM. */
int combine_check_key(struct combine_check *cc, const char *key, size_t klen,
                      struct mr_values *values,
                      char msg[COMBINE_CHECK_MSG_LEN]);

#endif
