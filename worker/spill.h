/* The disk half of a map task's output (struct mapout, mapout.h): sorting
 * the buffer by (partition, key) and spilling it as a run when it passes
 * its budget, then merging the runs, combining again, into the task's one
 * intermediate file (mapout_write, which spill.c defines). mapout.c is the
 * memory half: it collects and combines, and calls spill_run.
 *
 * Ownership: a run is an intermediate file (imfile.h) at
 * <run_dir>/mr-spill-<pid>-<k>-<n>, k distinct for each mapout of the
 * process, n counting runs from 0. spill.c creates runs and is the only one
 * to remove them: a merge removes the runs it merged, and
 * spill_remove_runs (called by mapout_free) the others. The final file at
 * mapout_write's path is the caller's.
 *
 * Errors: spill_run reports through mo->error and mo->errmsg, where the
 * first error sticks: -errno from creating or writing a run, -ENOMEM, or
 * MR_EAPP from the combiner. mapout_write returns that error, or one of
 * its own (mapout.h). */
#ifndef WORKER_SPILL_H
#define WORKER_SPILL_H

#include "mapout.h"

/* Names mo's runs after run_dir (NULL: the current directory). Called once,
 * by mapout_init. */
void spill_init(struct mapout *mo, const char *run_dir);

/* Sorts the buffer and writes it as run mo->nruns, then empties the buffer.
 * On failure sets mo->error and leaves no run behind. */
void spill_run(struct mapout *mo);

/* Removes every run not merged away yet. */
void spill_remove_runs(struct mapout *mo);

#endif
