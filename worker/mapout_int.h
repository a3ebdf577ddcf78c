/* What the two halves of a map task's output share, and no one else uses:
 * mapout.c (collecting and combining in memory) and spill.c (sorting,
 * spilling and merging), with spill_combine.c (an executable app's
 * --combiner over a spill, for spill.c). The small helpers are static inline because the
 * sort-and-write loop in spill.c calls them once per key. */
#ifndef WORKER_MAPOUT_INT_H
#define WORKER_MAPOUT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "aggtable.h"
#include "imfile.h"
#include "keys.h"
#include "mapout.h"
#include "mrapp.h"

/* A key's values waiting for the app's combiner, in the arena. */
struct value_block {
    uint32_t used, cap;         /* bytes of data */
    uint32_t count;             /* values in data */
    char data[];                /* varint-prefixed values */
};

/* One pair, plain mode. */
struct mapout_rec {
    const char *key;            /* key then value, in the arena */
    uint32_t klen, vlen;
    uint32_t part;
};

/* An output that appends to mo->scratch: what a combine call writes. */
struct scratch_output {
    struct mr_output base;
    struct mapout *mo;
};

/* ---------------------------------------------------------------- helpers */

/* Records the first error and its message; later ones are dropped. */
static inline void
mapout__set_error(struct mapout *mo, int rc, const char *msg)
{
    if (mo->error == 0) {
        mo->error = rc;
        snprintf(mo->errmsg, sizeof(mo->errmsg), "%s", msg);
    }
}

/* True when pairs go to the table of distinct keys, not the records. */
static inline bool
mapout__combining(const struct mapout *mo)
{
    return mo->sum || mo->combine != NULL;
}

/* Orders records by (partition, key): a run's order. */
static inline int
mapout__rec_compare(const void *a, const void *b)
{
    const struct mapout_rec *x = a, *y = b;

    if (x->part != y->part)
        return x->part < y->part ? -1 : 1;
    return key_compare(x->key, x->klen, y->key, y->klen);
}

/* ---------------------------------------------------------------- mapout.c */

/* struct scratch_output's write; on running out of memory sets mo->error
 * to -ENOMEM. */
void mapout__scratch_write(struct mr_output *o, const char *bytes,
                           size_t len);

/* struct scratch_output's count: the app's combiner counting. */
void mapout__scratch_count(struct mr_output *o, const char *name,
                           uint64_t n, bool literal);

/* Looks up the queued pairs and adds their values to their keys; errors
 * go to mo->error. */
void mapout__add_queued(struct mapout *mo);

/* Combines values into one, left in mo->scratch: the built-in sum, or a
 * call to the app's combiner. Returns 0 or mo->error (MR_EAPP, -ENOMEM). */
int mapout__combine_values(struct mapout *mo, const char *key, size_t klen,
                           struct mr_values *values);

/* Replaces an entry's values by their combination. Returns 0 or
 * mo->error. */
int mapout__combine_block(struct mapout *mo, struct agg_entry *e);

/* --------------------------------------------------------- spill_combine.c */

/* Runs mo->exec_combiner over the buffered records (sorting them by key
 * first) and adds what it writes to w, sorted by (partition, key), adding
 * their number to *records. Leaves the buffer for the caller to empty.
 * Errors go to mo->error: the command's (MR_EAPP, -ETIMEDOUT, naming it),
 * -ENOMEM. */
void mapout__exec_combine(struct mapout *mo, struct im_writer *w,
                          uint64_t *records);

#endif
