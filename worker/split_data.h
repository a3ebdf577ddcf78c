/* The bytes of a map task's split (struct map_input, maptask.h), as the
 * app's map sees them. */
#ifndef WORKER_SPLIT_DATA_H
#define WORKER_SPLIT_DATA_H

#include <stddef.h>

#include "maptask.h"
#include "mr_err.h"

/* Maps the input's split read-only; *base and *maplen are what to munmap
 * (NULL for an empty split), *len the split's length. Returns 0, or a
 * negative errno with err saying what is wrong with the input. */
int split_data_open(const struct map_input *in, const char **data,
                    size_t *len, void **base, size_t *maplen,
                    char err[MR_ERR_LEN]);

#endif
