/* The job's failed and lost attempts, each as a record of what is known
 * of it (the task, its input, the worker, the signal it died of, why, its
 * last lines on stderr, when), the newest FAILURES_KEPT of them and how
 * many in all: for the status (mrstatus, the status page), the final
 * error line and the job's summary. Memory only; the caller fills each
 * record (coord_failures.c). */
#ifndef COORD_FAILURES_H
#define COORD_FAILURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mr_err.h"
#include "tasks.h"

#define FAILURES_KEPT       32
/* A record's stderr tail: the worker sends at most STDERR_TAIL_BYTES
 * (worker/stderr_ring.h); more is cut. */
#define FAILURE_STDERR_MAX  2048

struct failure {
    enum task_kind kind;
    uint32_t task, attempt;
    const char *input;          /* map: the input as named, or "N files
                                   from A to B" for a packed task
                                   (borrowed from the job's splits or
                                   packs); else NULL */
    uint64_t offset, length;    /* map: its split; length 0: all of it */
    char host[64];              /* the worker's; "": unknown */
    uint32_t pid;               /* the worker's; 0: unknown */
    uint32_t signal;            /* the worker died of it; 0: none known */
    char reason[MR_ERR_LEN];    /* one line */
    char stderr_tail[FAILURE_STDERR_MAX + 1];  /* lines; "": none */
    uint64_t at_ms;             /* since the job started */
};

struct failure_log {
    struct failure *ring;       /* FAILURES_KEPT of them, from the first */
    size_t next;                /* the slot the next record takes */
    size_t kept;                /* records in the ring */
    uint64_t total;             /* records ever added */
};

/* Counts one more failure and returns its record, the newest, zeroed for
 * the caller to fill; the oldest kept one goes when FAILURES_KEPT are
 * kept. Returns NULL when out of memory (the failure is still counted). */
struct failure *failures_add(struct failure_log *l);

/* The i-th record kept, oldest first (i < l->kept), or NULL. */
const struct failure *failures_at(const struct failure_log *l, size_t i);

/* The newest record kept of task (kind, id), or NULL. */
const struct failure *failures_last_of(const struct failure_log *l,
                                       enum task_kind kind, uint32_t id);

/* Copies peer text into buf (len bytes, NUL-terminated, cut to fit):
 * control bytes become '?', but newlines when lines is true. */
void failures_copy_text(char *buf, size_t len, const char *text, bool lines);

/* Frees the records; l is empty after. */
void failures_free(struct failure_log *l);

#endif
