/* The coordinator: serves mr.Coordinator (proto/mr.proto) on an event loop
 * it is lent. Workers join the job, which fixes its app (every worker must
 * run the same module; those that bring none take the one the coordinator
 * was given, GetApp) and, unless the owner named one, its directory (the
 * first worker's). It hands tasks to joined workers, holds a GetTask call
 * while no task is free and answers it when one is, reassigns a task when
 * its worker falls silent (the silence rule below) or its worker's
 * connection closes, and near a phase's end gives a waiting worker a
 * backup attempt of a straggler (tasks.h says which).
 *
 * The job owns its directory (jobdir.h) from coord_start() (or the first
 * join) to its end. When the last reduce is done the coordinator commits the
 * outputs, before any worker hears that the job is over; when the job
 * fails, it leaves the job's summary as its failure note (mr-failed; not
 * when interrupted, coord_interrupt), removes the job's private files and
 * touches nothing else. Every failed or lost attempt is recorded
 * (failures.h) for the status, the summary and coord_error(). Then
 * it says so through on_over once the connected workers have been told to
 * exit (at most COORD_DRAIN_MS later). It never stops the loop. */
#ifndef COORD_COORD_H
#define COORD_COORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "mr_err.h"
#include "names.h"
#include "protocol.h"

typedef struct coord coord;
struct app_file;                /* app_file.h */

/* Every default of a job, named once. */
#define COORD_DEFAULT_NREDUCE       10
#define COORD_DEFAULT_TIMEOUT_MS    10000
#define COORD_DEFAULT_MAX_FAILURES  4
/* Lost attempts (the worker vanished or stalled) that fail the job: high,
 * because workers also die of their own accord (the lab's crash app kills a
 * third of its calls: 12 of its tasks at odds of 1/3 each fail a job
 * needlessly with probability 12 / 3^16, below 1 in 3 million). */
#define COORD_DEFAULT_MAX_LOST      16
/* How long workers still connected after the job are waited for. */
#define COORD_DRAIN_MS              1000
/* coord_error()'s text fits in this many bytes, its NUL included. */
#define COORD_ERROR_LEN             1024

/* The silence rule. A worker running a task says it is alive every H ms
 * (Heartbeat, at the interval its JoinReply gives); a RUNNING task is
 * reassigned once its worker has been silent L ms, since the hand-out or
 * its last heartbeat. With the task timeout T (--task-timeout):
 *
 *   H = min(COORD_HEARTBEAT_MAX_MS, T / 4), at least COORD_HEARTBEAT_MIN_MS
 *   L = min(T, COORD_MISSED_BEATS * H)
 *
 * so T = 10 s gives H = 1 s and L = 4 s: a slow task is never reassigned
 * while its worker beats, a stopped or cut-off one is after four missed
 * beats, and never later than T. */
#define COORD_HEARTBEAT_MAX_MS      1000
#define COORD_HEARTBEAT_MIN_MS      25
#define COORD_MISSED_BEATS          4

/* H of the rule above, for the task timeout T (ms). */
static inline uint64_t
coord_heartbeat_ms(uint64_t task_timeout_ms)
{
    uint64_t h = task_timeout_ms / 4;

    if (h > COORD_HEARTBEAT_MAX_MS)
        h = COORD_HEARTBEAT_MAX_MS;
    return h < COORD_HEARTBEAT_MIN_MS ? COORD_HEARTBEAT_MIN_MS : h;
}

/* L of the rule above: the silence after which a task is reassigned. */
static inline uint64_t
coord_silence_ms(uint64_t task_timeout_ms)
{
    uint64_t beats = COORD_MISSED_BEATS * coord_heartbeat_ms(task_timeout_ms);

    return beats < task_timeout_ms ? beats : task_timeout_ms;
}

/* An app module, as workers identify it when they join. */
struct coord_app {
    const char *name;
    uint32_t abi;
    const uint8_t *digest;      /* MR_APP_DIGEST_LEN bytes */
    const char *path;           /* for messages and the marker */
};

struct coord_opts {
    uint32_t nreduce;           /* reduce tasks; 0: COORD_DEFAULT_NREDUCE */
    uint64_t task_timeout_ms;   /* T of the silence rule above;
                                   0: COORD_DEFAULT_TIMEOUT_MS */
    uint32_t max_failures;      /* failed attempts that fail the job;
                                   0: COORD_DEFAULT_MAX_FAILURES */
    uint32_t max_lost;          /* lost attempts that fail the job;
                                   0: COORD_DEFAULT_MAX_LOST */
    uint64_t split_size;        /* larger files are split; 0: 64 MiB */
    uint64_t min_split_size;    /* smaller inputs are packed into map tasks
                                   of this many bytes (packs.h); 0: off */
    size_t max_conns;           /* connections served at once; 0: the RPC
                                   default, RPC_DEFAULT_MAX_CONNS */
    const uint8_t *token;       /* workers must prove they know it; NULL:
                                   none (then TCP is loopback only) */
    size_t token_len;
    /* Where outputs are committed (borrowed). NULL: the directory of the
     * first worker to join, where every other worker must run too (the
     * lab's way). */
    const char *output_dir;
    /* A dead job's files in the directory go, even when its journal
     * defines this job: start afresh rather than resume (--fresh). */
    bool fresh;
    /* coord_stop(): how long attempts running then may still report;
     * 0: COORD_DEFAULT_STOP_GRACE_MS. */
    uint64_t stop_grace_ms;
    /* --skip-bad-records: a line that kills two attempts of its map task
     * is skipped by the later ones (skips.h), at most max_skipped of
     * them in the job (if max_skipped_given, else SKIPS_DEFAULT_MAX). */
    bool skip_bad_records;
    uint32_t max_skipped;
    bool max_skipped_given;
    /* The app every worker must run (borrowed); NULL: the first worker's. */
    const struct coord_app *app;
    /* The module to give workers that bring none (GetApp), borrowed;
     * NULL: none, every worker brings its own. Its digest is the job's
     * app; name and ABI come from the first worker that brings the same
     * file (app_file.h), or from app when both are given. */
    const struct app_file *app_file;
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
    char job_id[MR_JOB_ID_LEN + 1];
    enum coord_phase phase;
    bool over;                  /* DONE or FAILED, and ended: committed,
                                   or its files given up */
    uint32_t nmap, nreduce;
    uint32_t maps_done, maps_running;
    uint32_t reduces_done, reduces_running;
    uint32_t unseen_inputs;     /* inputs handed to workers unseen */
    const char *unseen_first;   /* the first of them as named (borrowed
                                   from the file list), or NULL */
    uint64_t reassigned;        /* attempts lost to deadlines or deaths */
    uint64_t failed;            /* attempts reported failed */
    uint64_t backups;           /* backup attempts of stragglers launched */
    uint64_t backups_won;       /* tasks a backup attempt completed first */
    uint64_t input_bytes;       /* total size of the inputs seen */
    uint64_t map_bytes_in;      /* from accepted map reports */
    uint64_t map_records;       /* pairs emitted by accepted maps */
    uint64_t im_bytes;          /* intermediate bytes of accepted maps */
    uint64_t out_bytes;         /* output bytes of accepted reduces */
    uint64_t out_keys;          /* output lines of accepted reduces */
    uint64_t workers;           /* workers that joined */
};

/* Creates the coordinator for one job over files (borrowed: they must
 * outlive it): one map task per file, or per split of a larger one (see
 * splits.h). Inputs it cannot see are handed to workers whole, to open
 * from their own directory; an input that exists but cannot be read is an
 * error naming it. Touches no file. Returns NULL with err filled. */
coord *coord_create(rpc_loop *loop, const char *const *files, uint32_t nfiles,
                    const struct coord_opts *opts, char err[MR_ERR_LEN]);

/* Listens on addr (see rpc_server_listen). Returns 0 or an error with err
 * filled. */
int coord_listen(coord *c, const char *addr, char *bound, size_t boundlen,
                 char err[MR_ERR_LEN]);

/* Serves a connected socket (one end of a socketpair whose other end a
 * worker inherits); the coordinator owns fd from now on. Returns 0 or
 * -errno (fd closed). */
int coord_adopt(coord *c, int fd);

/* Starts the job: with an output_dir, takes that directory (jobdir_open).
 * Returns 0; MR_EINUSE when another job runs there (err names it); or an
 * error with err filled. Without an output_dir this happens at the first
 * join. */
int coord_start(coord *c, char err[MR_ERR_LEN]);

/* Ends the job early (the owner gives it up: its workers keep dying, say):
 * the job's private files go, the job's summary is left as its failure
 * note (jobdir_fail: DIR/mr-failed), waiting workers are told to exit and
 * on_over follows. why is kept for coord_error(). */
void coord_abort(coord *c, const char *why);
/* The same for an interrupt (SIGINT, SIGTERM): the user stopped the job
 * and knows why, so no failure note is written: nothing in the directory
 * changes. Both leave a stopped job's files alone, and end a stopping
 * job's grace now (it stays resumable: coord_stopped() follows). */
void coord_interrupt(coord *c, const char *why);

/* Stops the job before it is over, to be resumed by a later start on the
 * same job in the same directory (a time limit: mrrun and mrcoordinator
 * do it on SIGUSR1). No task is handed out from now on: workers that ask
 * wait (still serving their map outputs to the reduces that run);
 * attempts running now get coord_opts.stop_grace_ms to report, and their
 * reports are kept as usual. Then the journal is made durable, with the
 * maps whose outputs only a worker kept (they go with it) recorded as
 * undone; the job's files stay as they are; workers are told to exit
 * (TASK_EXIT, outcome NONE, why COORD_STOPPED_WHY) and on_over follows,
 * with coord_stopped() true. Does nothing once the job
 * is over or stopping. */
void coord_stop(coord *c);
/* Whether coord_stop() has run to its end: the job can be resumed. */
bool coord_stopped(const coord *c);
/* What workers told to exit by a stop hear. */
#define COORD_STOPPED_WHY \
    "the coordinator stopped the job before it was over (a time limit); " \
    "started again, it resumes"
/* The grace coord_stop() gives running attempts by default (ms). */
#define COORD_DEFAULT_STOP_GRACE_MS 60000

/* Fills st with the job's state now. */
void coord_status(const coord *c, struct coord_status *st);

/* Rows of the task table a status holds at most, whatever is asked. */
#define COORD_STATUS_MAX_TASKS 10000

/* The job as it is now, as the Status RPC answers it (Mr__StatusReply of
 * proto/mr.proto, declared in mr.pb-c.h), with at most max_tasks rows of
 * the task table (and COORD_STATUS_MAX_TASKS), RUNNING tasks first. Its strings are borrowed from c:
 * use it before the loop turns again, then coord_status_free() it.
 * Returns NULL when out of memory. */
struct Mr__StatusReply;
struct Mr__StatusReply *coord_status_build(const coord *c, uint32_t max_tasks);
void coord_status_free(struct Mr__StatusReply *reply);

/* The job's directory, once known (borrowed), else NULL. */
const char *coord_dir(const coord *c);

/* 0 when the job is DONE (its outputs are committed), else non-zero with
 * coord_error() saying why in one line (under COORD_ERROR_LEN bytes): when
 * a task failed the job, the task, its input and split, its last failed
 * attempt's worker (host and pid), the signal it died of and the first
 * line of its stderr. */
int coord_result(const coord *c);
const char *coord_error(const coord *c);

/* Stops serving (removing the Unix socket it created) and frees. Removes
 * no other file: a job not over by now leaves its files for the next job in
 * its directory to remove, as a crash would. NULL is a no-op. */
void coord_free(coord *c);

#endif
