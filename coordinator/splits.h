/* Dividing a job's input into map tasks: one per file, or, for a file
 * larger than the split size, one per piece of it, cut at line ends
 * (Hadoop's text-input rule), so that every line is read whole by exactly
 * one map task.
 *
 * The cut rule: a piece starting at offset a nominally ends at a + size; it
 * really ends just after the '\n' that ends the line crossing that point
 * (the first '\n' at or after a + size - 1). A line longer than the split
 * size therefore stays whole, the search for '\n' going on to EOF, and the
 * next piece starts right after it. The last piece ends at EOF, whether or
 * not the file ends with '\n'. No piece is empty, except the one piece of
 * an empty file. A compressed file (compressed.h: gzip or zstd, told by its
 * first bytes) is never cut: one task reads it whole and decompresses it.
 *
 * Inputs the coordinator cannot see: a name whose stat() fails with ENOENT
 * or ENOTDIR may resolve from the workers' directory (the lab's harness runs
 * them elsewhere), so it is not an error: it becomes one split marked whole,
 * which workers open by the name as written and map entirely. Any other
 * problem (EACCES, a directory, not a regular file) is an error naming the
 * file. */
#ifndef COORD_SPLITS_H
#define COORD_SPLITS_H

#include <stdbool.h>
#include <stdint.h>

#include "mr_err.h"

#define SPLIT_DEFAULT_SIZE (64ull << 20)

struct split {
    const char *file;           /* the name as the user wrote it, the one
                                   the app sees; borrowed from the caller's
                                   list, which must outlive the splits */
    char *path;                 /* what a worker opens: owned; the absolute
                                   path (cwd + "/" + file for a relative
                                   name, symlinks not resolved); NULL for a
                                   whole split: open file as written */
    uint64_t offset, length;    /* the bytes to map; 0, 0 when whole */
    uint64_t file_size;         /* the whole file's; 0 when whole */
    bool whole;                 /* the coordinator could not see the file:
                                   its size is unknown, map all of it */
};

/* Checks every file and plans the splits, in the order of files. On
 * success returns 0 and sets *splits (free it with splits_free), *nsplits
 * and *total_bytes (the size of the inputs the coordinator saw; whole
 * splits do not count). On failure returns a negative errno (-ENOMEM, or
 * the error of stat, open, read or getcwd; -EINVAL for an empty name or an
 * input that is not a regular file), fills err with a sentence naming the
 * file, and sets nothing. split_size 0 means SPLIT_DEFAULT_SIZE. */
int splits_plan(const char *const *files, uint32_t nfiles,
                uint64_t split_size, struct split **splits,
                uint32_t *nsplits, uint64_t *total_bytes,
                char err[MR_ERR_LEN]);

/* The number of inputs the coordinator could not see (the whole splits
 * among s[0..n)), for one line telling the user; sets *first (when first
 * is not NULL) to the first one's name as written, or NULL when there is
 * none. The name is borrowed, like split.file. */
uint32_t splits_count_whole(const struct split *s, uint32_t n,
                            const char **first);

/* Frees the n splits of s and their paths. splits_free(NULL, n) does
 * nothing. */
void splits_free(struct split *s, uint32_t n);

#endif
