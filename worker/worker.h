/* The worker's life: ask the coordinator for a task, run it, report it,
 * until told the job is done or the coordinator is gone for good. */
#ifndef WORKER_WORKER_H
#define WORKER_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "mrapp.h"

struct worker_opts {
    const char *addr;           /* coordinator address */
    int connect_timeout_ms;     /* how long to keep trying to reach it */
    const uint8_t *token;       /* the coordinator's shared secret, or NULL */
    size_t token_len;
};

/* Returns 0 when the job is done (or the coordinator went away after
 * having served us), 1 when the coordinator was never reachable. */
int worker_run(const struct mr_app *app, const struct worker_opts *opts);

#endif
