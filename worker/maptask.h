/* A map task: maps an input file into memory, runs the app's map over it
 * and writes the sorted (and combined) pairs as one intermediate file. */
#ifndef WORKER_MAPTASK_H
#define WORKER_MAPTASK_H

#include <stdint.h>

#include "mr_err.h"
#include "mrapp.h"

struct map_stats {
    uint64_t bytes_in;          /* input bytes */
    uint64_t records_in;        /* pairs the app emitted */
    uint64_t records_out;       /* records written (after combining) */
    uint64_t bytes_out;         /* intermediate file size */
};

/* Maps bytes [offset, offset + length) of input; the app sees input's
 * name. Returns 0, or an error with err filled; on error nothing appears at
 * out_path. */
int map_run(const struct mr_app *app, const char *input, uint64_t offset,
            uint64_t length, uint32_t nreduce, const char *out_path,
            struct map_stats *st, char err[MR_ERR_LEN]);

#endif
