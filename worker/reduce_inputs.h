/* A reduce task's inputs, one partition of every map output, put under a
 * merge: an output is read in place when this worker sees its file, which
 * it checks by size, and fetched from the worker that serves it otherwise
 * (shuffle_fetch.h). Read in place, a partition costs the same whatever
 * the number of partitions: the file stays open in the worker's cache
 * (imcache.h) between reduces, and each reduce reads its index entry and
 * its bytes, into memory (small ones, up to READ_BUDGET in all) or
 * mapped. */
#ifndef WORKER_REDUCE_INPUTS_H
#define WORKER_REDUCE_INPUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "imcache.h"
#include "imfile.h"
#include "merge.h"
#include "mr_err.h"
#include "shuffle_fetch.h"

/* Where one map output is. */
struct reduce_input {
    const char *path;           /* absolute; "" when unknown */
    const char *addr;           /* who serves it; "" when nobody */
    uint64_t size;              /* 0: unknown (do not check) */
    uint32_t map, attempt;
};

/* A partition read in place. */
struct reduce_held {
    bool in_place;
    void *map;                  /* its mapping, when mapped; else NULL */
    size_t map_len;
};

struct reduce_inputs {
    const struct reduce_input *in;      /* borrowed */
    uint32_t n;
    struct im_cache *files;     /* borrowed: the worker's open outputs */
    struct reduce_held *held;   /* per input */
    struct arena bytes;         /* the partitions read into memory */
    uint64_t bytes_read;        /* of which, in bytes */
    struct shuffle_fetch *fetch;        /* the fetched ones; may be NULL */
    uint64_t bytes_in;          /* partition bytes read in place */
};

/* The fetching side's identity: the job, and the token it proves. */
struct reduce_fetch_id {
    const char *job_id;
    const uint8_t *token;
    size_t token_len;
};

/* Opens in[0..n) for partition part of nreduce and adds each to m (which
 * has room for n); the files read in place are kept open in files (which
 * must outlive ri). Returns 0, or an error with err filled and
 * m->bad_input naming the input at fault: MR_EBADDATA (bad data),
 * MR_EFETCH (an output that can be neither read here nor fetched), or
 * another -errno: -EMFILE, -ENFILE (out of descriptors even after the
 * cache shed half of its files), -ENOMEM, which lose no output. */
int reduce_inputs_open(struct reduce_inputs *ri,
                       const struct reduce_input *in, uint32_t n,
                       uint32_t part, uint32_t nreduce,
                       const struct reduce_fetch_id *id,
                       struct im_cache *files, struct merger *m,
                       char err[MR_ERR_LEN]);

/* After the merge failed with m->error: says what went wrong with input
 * m->bad_input in err. */
void reduce_inputs_explain(const struct reduce_inputs *ri,
                           const struct merger *m, char err[MR_ERR_LEN]);

/* The address to blame for an MR_EFETCH: who serves the input at fault
 * ("" for an output nobody serves). */
const char *reduce_inputs_blame(const struct reduce_inputs *ri,
                                const struct merger *m);

/* Whether input i was read in place (else it was fetched, or neither). */
bool reduce_inputs_in_place(const struct reduce_inputs *ri, uint32_t i);

/* Partition bytes read so far, in place and fetched. */
uint64_t reduce_inputs_bytes(const struct reduce_inputs *ri);

void reduce_inputs_close(struct reduce_inputs *ri);

#endif
