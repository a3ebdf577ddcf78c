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
#include "record_in_hand.h"

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
    uint64_t records_read;      /* calls of the map: lines mapped by a
                                   map_line app, 1 by a whole-input one */
    uint64_t records_skipped;   /* lines left out (map_input.skip) */
    int died_of;                /* an executable mapper died of this
                                   signal (0: it did not) ... */
    bool blamed;                /* ... having the line at blamed_offset
                                   (exec_task.h), whose first bytes are
                                   blamed_head */
    const char *blamed_file;    /* the input it was, as named (borrowed
                                   from the map_input) */
    bool blamed_guessed;        /* that line is a guess (exec_task.h) */
    uint64_t blamed_offset;
    char blamed_head[RECORD_HEAD_MAX];
    size_t blamed_len;
};

/* What a map task reads. */
struct map_input {
    const char *name;           /* as the app sees it */
    const char *path;           /* what to open; NULL: name */
    uint64_t offset, length;    /* the split */
    bool whole;                 /* all of the file: offset, length unused */
    uint64_t fetched_from;      /* path holds a copy of the split that
                                   starts here in the named input (offset
                                   is then 0): lines are numbered from it */
    const uint64_t *skip;       /* offsets in the named input of lines not
                                   to map, ascending; borrowed */
    size_t nskip;
    bool one_line_at_a_time;    /* an executable mapper gets a line only
                                   once it has read the last (Task's) */
};

/* What feeds an app's map. */
struct map_feed {
    const char *name;           /* the input, as the app sees it */
    uint64_t origin;            /* offset in the input of the data's first
                                   byte */
    const uint64_t *skip;       /* as in struct map_input */
    size_t nskip;
};

/* Runs the app's map over data: one call with all of it (map), or one per
 * line (map_line: cut at '\n', the line without it, its offset origin +
 * its place in data; the lines at skip are left out). The line in hand is
 * record_in_hand.h's during each call, and none after. Returns 0, or the
 * app's non-zero return; *read and *skipped count the calls made and the
 * lines left out. */
int map_feed(const struct mr_app *app, const struct map_feed *f,
             const char *data, size_t len, struct mr_emitter *out,
             uint64_t *read, uint64_t *skipped);

/* Maps the input's split (map_feed); the app sees its name. The output is
 * buffered in map_buffer bytes (0: MAPOUT_DEFAULT_BUDGET; see
 * mapout_init) before it spills to run_dir (NULL: the current directory).
 * The app's mr_count calls add to counters (borrowed; NULL: they are
 * dropped). Returns 0, or an error with err filled (MR_EAPP also when
 * counters refused a count); on error nothing appears at out_path. */
int map_run(const struct mr_app *app, const struct map_input *in,
            uint32_t nreduce, const char *out_path, const char *run_dir,
            size_t map_buffer, struct counter_table *counters,
            struct map_stats *st, char err[MR_ERR_LEN]);

/* The same over the nin inputs of a map task that packs several small ones
 * (--min-split-size): each mapped in order (the app called once per input,
 * or per line of it, with its own name), all into the one output, st
 * adding up their figures. map_run is map_run_parts over one. */
int map_run_parts(const struct mr_app *app, const struct map_input *in,
                  size_t nin, uint32_t nreduce, const char *out_path,
                  const char *run_dir, size_t map_buffer,
                  struct counter_table *counters, struct map_stats *st,
                  char err[MR_ERR_LEN]);

#endif
