/* The coordinator: serves mr.Coordinator (proto/mr.proto) on an event loop
 * it is lent. It hands tasks to workers, holds a GetTask call while no task
 * is free and answers it when one is, reassigns a task when its deadline
 * timer fires or its worker's connection closes, and says so through
 * on_over once the job is over (every mr-out-* is final, or the job failed)
 * and the connected workers have been told to exit (at most
 * COORD_DRAIN_MS later). It never stops the loop. */
#ifndef COORD_COORD_H
#define COORD_COORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "mr_err.h"

typedef struct coord coord;

/* Every default of a job, named once. */
#define COORD_DEFAULT_NREDUCE       10
#define COORD_DEFAULT_TIMEOUT_MS    10000
#define COORD_DEFAULT_MAX_FAILURES  4
/* How long workers still connected after the job are waited for. */
#define COORD_DRAIN_MS              1000

struct coord_opts {
    uint32_t nreduce;           /* reduce tasks; 0: COORD_DEFAULT_NREDUCE */
    uint64_t task_timeout_ms;   /* 0: COORD_DEFAULT_TIMEOUT_MS */
    uint32_t max_failures;      /* failed attempts that fail the job;
                                   0: COORD_DEFAULT_MAX_FAILURES */
    uint64_t split_size;        /* larger files are split; 0: 64 MiB */
    size_t max_conns;           /* connections served at once; 0: the RPC
                                   default, RPC_DEFAULT_MAX_CONNS */
    const uint8_t *token;       /* workers must prove they know it; NULL:
                                   none (then TCP is loopback only) */
    size_t token_len;
    /* Called after every change of a task's state; may be NULL. */
    void (*on_progress)(coord *c, void *arg);
    /* Called once, when the job is over and the workers have been told:
     * the owner of the loop decides what happens next. May be NULL. */
    void (*on_over)(coord *c, void *arg);
    void *arg;
};

enum coord_phase { COORD_MAPPING, COORD_REDUCING, COORD_DONE, COORD_FAILED };

/* A snapshot of the job, for progress displays and summaries. */
struct coord_status {
    enum coord_phase phase;
    bool over;                  /* DONE or FAILED */
    uint32_t nmap, nreduce;
    uint32_t maps_done, maps_running;
    uint32_t reduces_done, reduces_running;
    uint64_t reassigned;        /* attempts lost to deadlines or deaths */
    uint64_t failed;            /* attempts reported failed */
    uint64_t input_bytes;       /* total size of the input files */
    uint64_t map_bytes_in;      /* from accepted map reports */
    uint64_t map_records;       /* pairs emitted by accepted maps */
    uint64_t im_bytes;          /* intermediate bytes of accepted maps */
    uint64_t out_bytes;         /* output bytes of accepted reduces */
    uint64_t out_keys;          /* output lines of accepted reduces */
};

/* Creates the coordinator for one job over files (borrowed: they must
 * outlive it): one map task per file, or per split of a larger file (see
 * splits.h). Every file is checked first: an unreadable or non-regular
 * one is an error naming it; one this process cannot find is left for the
 * workers to open as written. Returns NULL with err filled. */
coord *coord_create(rpc_loop *loop, const char *const *files, uint32_t nfiles,
                    const struct coord_opts *opts, char err[MR_ERR_LEN]);

/* Listens on addr (see rpc_server_listen). Returns 0 or an error with err
 * filled. */
int coord_listen(coord *c, const char *addr, char *bound, size_t boundlen,
                 char err[MR_ERR_LEN]);

/* Ends the job early (an interrupt): waiting workers are told to exit and
 * on_over follows. why is kept for coord_error(). */
void coord_abort(coord *c, const char *why);

/* Fills st with the job's state now. */
void coord_status(const coord *c, struct coord_status *st);

/* 0 when the job is DONE, else non-zero with coord_error() saying why. */
int coord_result(const coord *c);
const char *coord_error(const coord *c);

/* The job's clean-up step, once it is over: removes the intermediate files
 * of every map attempt and, unless the job is DONE, every mr-out-* its
 * reduces may have written. */
void coord_remove_job_files(coord *c);

/* Stops serving (removing the Unix socket it created) and frees. Removes
 * no other file. NULL is a no-op. */
void coord_free(coord *c);

#endif
