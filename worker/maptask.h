/* A map task: maps an input file into memory, runs the app's map over it
 * and writes the sorted (and combined) pairs as one intermediate file. */
#ifndef WORKER_MAPTASK_H
#define WORKER_MAPTASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counter_table.h"
#include "mr_err.h"
#include "mrapp.h"

/* What a map task did, for its report (docs/counters.md names each). */
struct map_stats {
    uint64_t bytes_in;          /* input bytes */
    uint64_t records_in;        /* pairs the app emitted */
    uint64_t emitted_bytes;     /* their keys' and values' bytes */
    uint64_t combine_in;        /* records into combining: the pairs, and
                                   the records of the runs merged */
    uint64_t combine_out;       /* records out of it: into runs and into
                                   the output */
    uint64_t spilled_records;   /* records written to runs */
    uint64_t spilled_runs;
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
 * it spills to run_dir (NULL: the current directory). The app's mr_count
 * calls add to counters (borrowed; NULL: they are dropped). Returns 0, or
 * an error with err filled (MR_EAPP also when counters refused a count);
 * on error nothing appears at out_path. */
int map_run(const struct mr_app *app, const struct map_input *in,
            uint32_t nreduce, const char *out_path, const char *run_dir,
            size_t map_buffer, struct counter_table *counters,
            struct map_stats *st, char err[MR_ERR_LEN]);

#endif
