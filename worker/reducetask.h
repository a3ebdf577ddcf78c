/* A reduce task: merges one partition of every map task's intermediate file
 * (each already sorted), groups by key in byte order, calls the app's reduce
 * once per key and writes "key value" lines to the output atomically. */
#ifndef WORKER_REDUCETASK_H
#define WORKER_REDUCETASK_H

#include <stdbool.h>
#include <stdint.h>

#include "counter_table.h"
#include "mr_err.h"
#include "mrapp.h"

struct reduce_stats {
    uint64_t records_in;        /* intermediate records read */
    uint64_t keys;              /* reduce calls, lines written */
    uint64_t bytes_in;          /* partition bytes read */
    uint64_t bytes_out;         /* output bytes */
    int64_t bad_input;          /* on MR_EBADDATA or a missing input: the
                                   index of the culprit, else -1 */
};

struct merger;

/* Reduces what m merges (the caller added its sources) into out_path,
 * atomically; the app's mr_count calls add to counters (borrowed; NULL:
 * they are dropped). Returns 0, MR_EAPP when the app's reduce failed or
 * counters refused a count (err says which), an error of the output file
 * (err filled), or m's error (m->error: a source was bad or could not be
 * fetched; m->bad_input says which; err is the caller's to fill). Sets
 * st's keys, records_in and bytes_out. */
int reduce_merged(const struct mr_app *app, struct merger *m,
                  const char *out_path, bool durable,
                  struct counter_table *counters, struct reduce_stats *st,
                  char err[MR_ERR_LEN]);

/* inputs[0..ninputs) are intermediate files written for nreduce partitions.
 * Returns 0, or an error with err filled; on error nothing appears at
 * out_path (an earlier file there is left as it was). */
int reduce_run(const struct mr_app *app, const char *const *inputs,
               uint32_t ninputs, uint32_t part, uint32_t nreduce,
               const char *out_path, bool durable, struct reduce_stats *st,
               char err[MR_ERR_LEN]);

#endif
