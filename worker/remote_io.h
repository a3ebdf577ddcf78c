/* Moving a task's data through the coordinator, for a worker that cannot
 * open a map's input or write the job's directory: the split is fetched
 * into a local file (ReadInput), a reduce's output is shipped from its
 * local file to be staged by the coordinator (PutOutput). Pieces are
 * pipelined, a few in flight, so the cost is not a round trip per piece.
 *
 * Ownership: remote_input_fetch creates its out file and removes it on
 * failure; on success the caller owns (and removes) it. remote_output_ship
 * only reads its file. */
#ifndef WORKER_REMOTE_IO_H
#define WORKER_REMOTE_IO_H

#include <stdint.h>

#include "mr_err.h"
#include "rpc.h"

/* How long one piece may take before the coordinator counts as gone. */
#define REMOTE_IO_TIMEOUT_MS 60000

/* Fetches the split of attempt `attempt` of map task `map` into out: of
 * its input number `part` when the task packs several (Task.parts), else
 * part is 0. Returns 0 with *length set, or an error with err filled (the
 * coordinator's own words when it refused). */
int remote_input_fetch(rpc_client *c, uint32_t map, uint32_t attempt,
                       uint32_t part, const char *out, uint64_t *length,
                       char err[MR_ERR_LEN]);

/* Ships the file at path as the output of attempt `attempt` of reduce
 * task `reduce`. Returns 0 once the coordinator has staged it whole, or
 * an error with err filled. */
int remote_output_ship(rpc_client *c, uint32_t reduce, uint32_t attempt,
                       const char *path, char err[MR_ERR_LEN]);

#endif
