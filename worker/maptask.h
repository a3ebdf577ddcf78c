/* A map task: maps an input file into memory, runs the app's map over it
 * and writes the sorted (and combined) pairs as one intermediate file. */
#ifndef WORKER_MAPTASK_H
#define WORKER_MAPTASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mr_err.h"
#include "mrapp.h"

struct map_stats {
    uint64_t bytes_in;          /* input bytes */
    uint64_t records_in;        /* pairs the app emitted */
    uint64_t records_out;       /* records written (after combining) */
    uint64_t bytes_out;         /* intermediate file size */
};

/* What a map task reads. */
struct map_input {
    const char *name;           /* as the app sees it */
    const char *path;           /* what to open; NULL: name */
    uint64_t offset, length;    /* the split */
    bool whole;                 /* all of the file: offset, length unused */
};

/* Maps the input's split; the app sees its name. The output is buffered
 * in map_buffer bytes (0: MAPOUT_DEFAULT_BUDGET; see mapout_init) before
 * it spills to run_dir (NULL: the current directory). Returns 0, or an
 * error with err filled; on error nothing appears at out_path. */
int map_run(const struct mr_app *app, const struct map_input *in,
            uint32_t nreduce, const char *out_path, const char *run_dir,
            size_t map_buffer, struct map_stats *st, char err[MR_ERR_LEN]);

#endif
