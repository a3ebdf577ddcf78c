/* A k-way merge of sorted runs of records (partitions of intermediate
 * files), grouped by key in byte order: the reduce task reads its partition
 * of every map output through it, and a map task that spilled merges its
 * runs through it. Values of one key are streamed, never gathered. */
#ifndef WORKER_MERGE_H
#define WORKER_MERGE_H

#include <stdbool.h>
#include <stdint.h>

#include "imfile.h"
#include "mrapp.h"

/* A run that arrives in pieces (merger_add_stream): refill is called when
 * the cursor needs the bytes still to come (im_cursor_next() said
 * IM_NEED_MORE). It must append at least one more piece after the unread
 * bytes (cur->p may move), and keep every byte it handed out before valid
 * until release is called: the values of a key must stay valid for the
 * whole reduce call (include/mrapp.h), and they may span many pieces. The
 * merger calls release at the start of each key's group, for the sources
 * refilled since the last. refill returns 0, or an error: MR_EFETCH when
 * the bytes could not be fetched, MR_EBADDATA when they are not what the
 * map wrote. */
typedef int merge_refill_fn(void *arg, struct im_cursor *cur);
typedef void merge_release_fn(void *arg);

struct merge_source {
    struct im_cursor cur;
    const char *key, *val;      /* the current record */
    size_t klen, vlen;
    uint32_t input;             /* the caller's index, for messages */
    merge_refill_fn *refill;    /* NULL: cur holds the whole run */
    merge_release_fn *release;
    void *refill_arg;
    bool refilled;              /* since the last release */
};

struct merger {
    struct merge_source *src;   /* every source */
    struct merge_source **heap; /* those not exhausted: a min-heap on key */
    uint32_t n, cap;
    int error;                  /* MR_EBADDATA once a record is bad, or
                                   a refill's error */
    uint32_t bad_input;         /* the source it came from */
    uint64_t records;           /* records read */
    uint32_t streams;           /* sources that arrive in pieces */
    uint32_t *refilled;         /* their indexes, refilled since the last
                                   group began */
    uint32_t nrefilled;
    char *keybuf;               /* with streams: the group's key, copied */
    size_t keycap;
};

/* The values of the current key, as an app's reduce or combine sees them. */
struct merge_group {
    struct mr_values base;
    struct merger *m;
    const char *key;            /* valid until the next group */
    size_t klen;
};

/* Room for up to cap sources. Returns 0 or -ENOMEM. */
int merger_init(struct merger *m, uint32_t cap);
void merger_free(struct merger *m);

/* Adds a source positioned at the start of a run; input names it. */
void merger_add(struct merger *m, uint32_t input, const struct im_cursor *cur);

/* Adds a source whose run arrives in pieces: cur holds the first one (its
 * more says how many bytes are to come), refill(arg, cur) brings the
 * rest, release(arg) lets go of what the previous groups used. */
void merger_add_stream(struct merger *m, uint32_t input,
                       const struct im_cursor *cur, merge_refill_fn *refill,
                       merge_release_fn *release, void *arg);

/* Starts the next key's group; false when every source is exhausted or a
 * record was bad or could not be fetched (see m->error). Call
 * merger_end_group() after using it. */
bool merger_next_group(struct merger *m, struct merge_group *g);

/* Skips the values of the group that were not read. */
void merger_end_group(struct merge_group *g);

#endif
