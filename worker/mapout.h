/* A map task's output on its way to disk: the pairs the app emits are
 * copied into one arena, sorted by (partition, key), optionally combined
 * key by key, and written as one intermediate file (imfile.h). */
#ifndef WORKER_MAPOUT_H
#define WORKER_MAPOUT_H

#include <stddef.h>
#include <stdint.h>

#include "mr_err.h"
#include "mrapp.h"

struct mapout_rec {
    uint64_t off;               /* key at data + off, value right after */
    uint32_t part;
    uint32_t klen;
    uint32_t vlen;
};

struct mapout {
    struct mr_emitter emitter;  /* first: what the app's map emits into */
    uint32_t nreduce;
    char *data;                 /* arena of key and value bytes */
    size_t len, cap;
    struct mapout_rec *recs;
    size_t nrecs, reccap;
    int error;                  /* sticky: -ENOMEM or -E2BIG */
};

void mapout_init(struct mapout *mo, uint32_t nreduce);
void mapout_free(struct mapout *mo);

/* Records emitted so far. */
static inline size_t
mapout_records(const struct mapout *mo)
{
    return mo->nrecs;
}

/* Sorts, combines with combine (may be NULL) and writes path atomically.
 * Returns 0 with the records and bytes written, or an error with err
 * filled (nothing is left at path). */
int mapout_write(struct mapout *mo, const char *path, mr_reduce_fn *combine,
                 uint64_t *records_out, uint64_t *bytes_out,
                 char err[MR_ERR_LEN]);

#endif
