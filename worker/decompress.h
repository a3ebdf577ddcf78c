/* Reading a compressed input (compressed.h: gzip or zstd) whole into
 * memory, decompressed, for the one map task that reads it. */
#ifndef WORKER_DECOMPRESS_H
#define WORKER_DECOMPRESS_H

#include <stddef.h>

#include "compressed.h"
#include "mr_err.h"

/* The largest decompressed input taken, in bytes: past it the task fails
 * saying so (a map sees its input whole, in memory). */
#define DECOMPRESS_MAX ((size_t)1 << 36)

/* Reads the file open on fd (path names it in messages; fd is borrowed and
 * read from its current offset) as kind, which is not COMPRESSED_NONE.
 * Returns 0 with *data (malloc'd, the caller's to free; never NULL, even
 * for an empty result) and *len, or a negative errno (-EINVAL for a
 * corrupt or truncated stream, -EFBIG past DECOMPRESS_MAX) with err saying
 * what is wrong. */
int decompress_read(int fd, const char *path, enum compressed_kind kind,
                    char **data, size_t *len, char err[MR_ERR_LEN]);

#endif
