/* The exit statuses of every program, one table for all: --help and the
 * README document these numbers. */
#ifndef MR_EXIT_CODES_H
#define MR_EXIT_CODES_H

/* The job finished and its outputs are committed (a worker: the job it
 * served finished). */
#define MR_EXIT_OK       0
/* The job failed (nothing was committed), or the program could not do its
 * work; the last line on stderr says why. */
#define MR_EXIT_FAILED   1
/* Bad options or arguments, a bad app module or token file: nothing ran. */
#define MR_EXIT_USAGE    2
/* mrworker: no coordinator answered, or it went away before the job was
 * over. */
#define MR_EXIT_LOST     3
/* The job's directory is in use by another job, or (mrworker) the
 * coordinator refused this worker: another app, another directory, a
 * wrong token; or the job's module arrived other than announced; or
 * (mrstatus) the coordinator refused its token, or wants one. */
#define MR_EXIT_REFUSED  4
/* Stopped before the job was over (SIGUSR1: a time limit), its journal
 * durable and its files kept: the same command started again resumes it
 * (sysexits' EX_TEMPFAIL). mrworker: the coordinator stopped the job. */
#define MR_EXIT_STOPPED  75
/* mrcoordinator and mrrun exit 128 + N when interrupted by signal N. */
#define MR_EXIT_SIGNAL   128

#endif
