/* Packing small inputs into map tasks (--min-split-size, Hadoop's combined
 * input splits): consecutive splits, in the order of the inputs, each a
 * whole file smaller than the minimum, go into one map task until it holds
 * at least the minimum's bytes. A piece of a cut file, a file as large as
 * the minimum, and an input the coordinator could not see (its size is
 * unknown) stay map tasks of their own. A compressed file counts by its
 * compressed size (it is one whole split already). A task's inputs travel
 * in its Task message (Task.parts), under the RPC layer's 1 MiB frame: a
 * pack also closes before its parts' names pass PACKS_MAX_NAME_BYTES.
 * Free of I/O. */
#ifndef COORD_PACKS_H
#define COORD_PACKS_H

#include <stddef.h>
#include <stdint.h>

#include "splits.h"

/* The bytes of a pack's parts in its Task message, names and the rest,
 * at most (half of rpc.h's RPC_DEFAULT_MAX_FRAME). */
#define PACKS_MAX_NAME_BYTES (512u << 10)

/* One map task's inputs: splits[first .. first + count). */
struct pack {
    uint32_t first, count;
    uint64_t bytes;             /* the splits' lengths added up */
    size_t name_bytes;          /* their parts' size in a Task, about */
    char *label;                /* owned: "N files from A to B" when count
                                   > 1, for messages; else NULL */
};

/* Plans the map tasks over the n splits s. With min_size 0 packing is off:
 * returns 0 with *packs NULL and *npacks n (map task i reads split i).
 * Else returns 0 with *packs (free with packs_free) and *npacks set, or
 * -ENOMEM having set nothing. */
int packs_plan(const struct split *s, uint32_t n, uint64_t min_size,
               struct pack **packs, uint32_t *npacks);

/* Frees the n packs of p and their labels; packs_free(NULL, n) does
 * nothing. */
void packs_free(struct pack *p, uint32_t n);

#endif
