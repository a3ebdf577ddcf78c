/* A worker rank of mrrun --slurm (SLURM_PROCID > 0): it finds the
 * coordinator rank 0 published (slurm.h), runs this task's mrworker
 * processes for it over TCP, intermediates in node-local scratch, and
 * exits as they do. */
#ifndef LAUNCHER_SLURM_RANK_H
#define LAUNCHER_SLURM_RANK_H

#include <stdint.h>

#include "slurm.h"

/* Runs nworkers of worker_exe with app_args (the words that name the app,
 * NULL-terminated) for the coordinator of f, restarting one killed by a
 * signal. Returns the exit status (exit_codes.h): MR_EXIT_OK when the job
 * finished; MR_EXIT_STOPPED when the coordinator stopped it to be resumed;
 * MR_EXIT_LOST when rank 0's coordinator could not be
 * reached, or went away for good (one line says which address); a
 * worker's other status; 128+N when interrupted by signal N (SIGTERM,
 * which Slurm sends to the whole step: rank 0's status once it has
 * exited, within a minute). */
int slurm_rank_run(const struct slurm_task *t, const struct slurm_files *f,
                   unsigned long nworkers, const char *worker_exe,
                   const char *const *app_args);

#endif
