/* The worker's life: join the coordinator's job (saying which app it runs,
 * or taking the job's, and where it runs), then ask for a task, run it,
 * report it, until told how the job ended or the coordinator is gone for
 * good. Every file it writes goes to the job's private directory, which
 * the coordinator names. */
#ifndef WORKER_WORKER_H
#define WORKER_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "app.h"

/* How long a worker keeps trying to reach its coordinator by default. */
#define WORKER_DEFAULT_CONNECT_MS 5000
/* How long a joined worker waits for a coordinator that went away. */
#define WORKER_DEFAULT_RECONNECT_MS 30000

struct worker_opts {
    const char *addr;           /* coordinator address */
    int connect_timeout_ms;     /* how long to keep trying to reach it */
    uint64_t reconnect_ms;      /* once joined, how long to wait for it
                                   to come back when it goes away (a
                                   restarted coordinator resumes the job) */
    const uint8_t *token;       /* the coordinator's shared secret, or NULL */
    size_t token_len;
    size_t map_buffer;          /* bytes a map task buffers before it
                                   spills; 0: the default (map_run) */
    const char *scratch;        /* keep files local, under this root
                                   (scratch.h); NULL: only when the job's
                                   directory cannot be written from here,
                                   under the default root */
    const char *shuffle_addr;   /* where to serve map outputs; NULL: on
                                   this host's address toward the
                                   coordinator, any port */
};

/* Runs for the coordinator at opts->addr with the loaded module mod
 * (borrowed: the caller unloads it), or, when mod is NULL, with the job's
 * module, fetched from the coordinator once joined (app_fetch.h), which
 * worker_run loads and unloads. Returns the exit status (exit_codes.h):
 * MR_EXIT_OK when the job it served finished, MR_EXIT_FAILED when the job
 * failed, MR_EXIT_LOST when the coordinator was never reachable or went
 * away before the job was over and did not come back within
 * opts->reconnect_ms (a task finished meanwhile is reported to the one that
 * comes back, which may use it), MR_EXIT_REFUSED when the coordinator
 * refused this worker, the worker cannot keep or serve its files, or
 * the fetched module is not the one announced, MR_EXIT_USAGE when the
 * fetched module does not load. Prints one line on stderr saying why for
 * every status but MR_EXIT_OK. */
int worker_run(const struct app_module *mod, const struct worker_opts *opts);

#endif
