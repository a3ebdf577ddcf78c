/* The bytes of a map task's split (struct map_input, maptask.h), as the
 * app's map sees them: a plain file's split through a read-only mapping,
 * never copied; a compressed file (compressed.h: gzip or zstd, told by its
 * first bytes, never cut by the coordinator) decompressed whole into
 * memory (decompress.h). */
#ifndef WORKER_SPLIT_DATA_H
#define WORKER_SPLIT_DATA_H

#include <stddef.h>

#include "compressed.h"
#include "maptask.h"
#include "mr_err.h"

struct split_data {
    const char *bytes;          /* the split; "" when empty */
    size_t len;
    enum compressed_kind kind;  /* what the file was */
    void *map;                  /* owned: the mapping, or NULL */
    size_t maplen;
    char *heap;                 /* owned: decompressed bytes, or NULL */
};

/* Opens in's split into d. Returns 0, or a negative errno with err saying
 * what is wrong with the input (and d holding nothing). */
int split_data_open(const struct map_input *in, struct split_data *d,
                    char err[MR_ERR_LEN]);

/* Releases what d holds; safe after a failed open. */
void split_data_close(struct split_data *d);

#endif
