/* A map task's output on its way to disk, in bounded memory.
 *
 * With a combiner, emitted pairs go into a hash table of distinct keys; each
 * key keeps a small buffer of values that is combined into one value
 * whenever it fills, so a word count holds one entry per distinct word.
 * With the built-in sum (MR_COMBINER_SUM), each key holds just a 64-bit
 * sum and the app is never called back.
 * Without one, pairs are appended to a record buffer; an executable app's
 * --combiner command, if any, then runs over the buffer at each spill and
 * at the final write (spill_combine.c), never at merges of runs. Either
 * way, when the
 * memory in use passes the budget, the buffer is sorted by (partition, key)
 * and spilled as a run (an intermediate file); at the end the runs are
 * merged, combining again, into the task's one intermediate file
 * (imfile.h). Keys and values are copied into an arena: no allocation per
 * record.
 *
 * Two files: mapout.c collects and combines in memory; spill.c sorts,
 * spills and merges (spill.h), and defines mapout_write. Both share
 * mapout_int.h. */
#ifndef WORKER_MAPOUT_H
#define WORKER_MAPOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aggtable.h"
#include "arena.h"
#include "counter_table.h"
#include "mr_err.h"
#include "mrapp.h"

struct exec_app;

#define MAPOUT_DEFAULT_BUDGET (32u << 20)
#define MAPOUT_MIN_BUDGET     (4u << 20)   /* a few arena chunks: the
                                              least a user may choose */
#define MAPOUT_MERGE_FANIN    64           /* runs merged at once */

struct mapout {
    struct mr_emitter emitter;  /* first: what the app's map emits into */
    uint32_t nreduce;
    bool sum;                   /* MR_COMBINER_SUM: keep a sum per key */
    mr_reduce_fn *combine;      /* else the app's combiner, or NULL: keep
                                   every pair */
    size_t budget;              /* bytes of buffers before a spill */
    struct arena arena;         /* key and value bytes */
    struct agg_table agg;       /* combiner mode: distinct keys */
    /* plain mode: every pair */
    struct mapout_rec *recs;
    size_t nrecs, reccap;
    char *scratch;              /* what a combine call writes */
    size_t scratch_len, scratch_cap;
    /* spill.c's */
    unsigned first_run;         /* runs before it were merged away */
    unsigned nruns;             /* runs written so far, merged or not */
    char run_prefix[4096];      /* runs are <prefix>-<n> */
    uint64_t emitted;           /* pairs the app emitted */
    uint64_t emitted_bytes;     /* their keys' and values' bytes */
    uint64_t spilled_records;   /* records written to runs (spill.c) */
    const struct exec_app *exec_combiner;   /* borrowed: an executable
                                   app with a --combiner, set after init;
                                   NULL: none (plain mode only) */
    uint64_t exec_combine_in;   /* records fed to that command */
    uint64_t exec_combine_out;  /* records it wrote */
    struct counter_table *counters;     /* borrowed: what the app's
                                   mr_count calls add to, in map and in
                                   combine; NULL: they are dropped */
    int error;                  /* sticky: -ENOMEM, -E2BIG, MR_EAPP, I/O */
    char errmsg[MR_ERR_LEN];
};

/* builtin_combiner is the app's (enum mr_builtin_combiner); combine is
 * used only without one. budget is the bytes of buffers before a spill:
 * 0 means MAPOUT_DEFAULT_BUDGET, anything else is used as given (tests
 * force spills with tiny ones; mrworker raises a size the user chose,
 * $MR_MAP_BUFFER, to at least MAPOUT_MIN_BUDGET). Nothing here reads the
 * environment. Spilled runs are written in run_dir (NULL: the current
 * directory) and merged MAPOUT_MERGE_FANIN at a time. */
void mapout_init(struct mapout *mo, uint32_t nreduce, mr_reduce_fn *combine,
                 uint32_t builtin_combiner, size_t budget,
                 const char *run_dir);
/* Frees memory and removes any spilled runs. */
void mapout_free(struct mapout *mo);

/* Writes everything, merging runs if any, to path atomically (spill.c).
 * Returns 0 with the records and bytes written, or an error with err
 * filled (nothing is left at path). */
int mapout_write(struct mapout *mo, const char *path, uint64_t *records_out,
                 uint64_t *bytes_out, char err[MR_ERR_LEN]);

#endif
