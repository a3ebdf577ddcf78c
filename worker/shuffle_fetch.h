/* The reduce side of the shuffle: one partition of map outputs that other
 * workers keep, fetched in pieces from their shuffle servers
 * (proto/shuffle.proto) and merged as the pieces arrive. One connection
 * per worker carries the fetches of every map output it keeps; each map
 * output has one request in flight at a time, asked for as soon as the
 * previous piece is taken, so a reduce fetches from every worker at once
 * in bounded memory (about three pieces per map output). Each partition's
 * CRC-32C, as its map wrote it, is checked over the bytes that arrived
 * when the last piece comes.
 *
 * Errors: MR_EFETCH when a worker could not be reached, stopped answering
 * (FETCH_TIMEOUT_MS), or no longer has the output: the output is gone,
 * not bad; MR_EBADDATA when the bytes are not what the map wrote (the
 * checksum, or a reply that contradicts itself). Either way the culprit is
 * named in the error text and shuffle_fetch_failed_addr() says whose. */
#ifndef WORKER_SHUFFLE_FETCH_H
#define WORKER_SHUFFLE_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "imcache.h"
#include "merge.h"
#include "mr_err.h"

/* How long a fetch waits for a worker's answer before it counts as gone. */
#define FETCH_TIMEOUT_MS 10000

/* Bytes of pieces in memory for one reduce, at most (about). */
#define FETCH_BUDGET (48u << 20)

struct shuffle_fetch;

/* A fetch of partition part of job job_id; token (copied; may be NULL)
 * is proved to every worker. Returns NULL when out of memory. */
struct shuffle_fetch *shuffle_fetch_create(const char *job_id, uint32_t part,
                                           const uint8_t *token,
                                           size_t token_len);

/* When a connection cannot be made for want of descriptors, closes half
 * of files' open files (im_cache_shed) and tries once more; without it, or
 * if that fails too, the fetch fails with -EMFILE or -ENFILE (never
 * MR_EFETCH: the output is not lost). files (may be NULL) must outlive
 * f. */
void shuffle_fetch_shed_from(struct shuffle_fetch *f,
                             struct im_cache *files);

/* Adds the output of attempt `attempt` of map task `map`, kept by the
 * worker at addr (tcp:host:port), as merge input `input`; size is the
 * output file's size as its map reported it (0: unknown), which no
 * partition may exceed. Returns 0 or -ENOMEM. */
int shuffle_fetch_add(struct shuffle_fetch *f, uint32_t input,
                      const char *addr, uint32_t map, uint32_t attempt,
                      uint64_t size);

/* Asks for pieces of `bytes` (at least 1) instead of the size the fetch
 * would choose from FETCH_BUDGET: for tests, and for tuning. */
void shuffle_fetch_set_piece(struct shuffle_fetch *f, uint32_t bytes);

/* Asks every worker for the first piece of each output, then adds each
 * output to m as a streamed source once its first piece is in. Returns 0,
 * or an error (above) with err filled; m->bad_input then names the input
 * at fault. */
int shuffle_fetch_start(struct shuffle_fetch *f, struct merger *m,
                        char err[MR_ERR_LEN]);

/* After an error from start or from a refill (m->error): the text saying
 * what went wrong, and the address of the worker at fault. */
const char *shuffle_fetch_error(const struct shuffle_fetch *f);
const char *shuffle_fetch_failed_addr(const struct shuffle_fetch *f);

/* Bytes of partition data received so far. */
uint64_t shuffle_fetch_bytes(const struct shuffle_fetch *f);

/* Closes every connection and frees f (NULL is a no-op). */
void shuffle_fetch_free(struct shuffle_fetch *f);

#endif
