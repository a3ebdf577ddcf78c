/* Dividing a job's input into map tasks: one per file, or, for a file
 * larger than the split size, one per piece of it, each cut just after an
 * ASCII whitespace byte so that no word is split (such a byte is never part
 * of a UTF-8 sequence and is never a letter). A file with no whitespace
 * after a cut point stays whole from there. */
#ifndef COORD_SPLITS_H
#define COORD_SPLITS_H

#include <stdint.h>

#include "mr_err.h"

#define SPLIT_DEFAULT_SIZE (64ull << 20)

struct split {
    const char *file;           /* borrowed from the caller's list */
    uint64_t offset, length;
};

/* Checks every file (exists, regular, readable: else an error naming it)
 * and plans the splits. On success returns 0 and sets *splits (free() it),
 * *nsplits and *total_bytes. split_size 0 means SPLIT_DEFAULT_SIZE. */
int splits_plan(const char *const *files, uint32_t nfiles,
                uint64_t split_size, struct split **splits,
                uint32_t *nsplits, uint64_t *total_bytes,
                char err[MR_ERR_LEN]);

#endif
