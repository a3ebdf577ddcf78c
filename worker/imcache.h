/* Map outputs a worker keeps open between its reduce tasks, so that each
 * reduce reads its partition of an output it has seen before for two
 * preads (imfile.h's im_file) and no open, stat, mapping or close. A
 * reduce reads every map output, and a worker runs many reduces in turn:
 * without this every (map, reduce) pair opened, stat'ed, mapped and
 * unmapped a file.
 *
 * Files are kept by path; a map that runs again writes under a new name
 * (its attempt is in it), so a kept file is never a stale copy of a newer
 * one. At most a fixed number stay open (a quarter of RLIMIT_NOFILE, which
 * im_cache_create raises to its hard limit: the rest is headroom for the
 * process's sockets and other files), the least recently used closed
 * first; and when the process runs out of descriptors anyway (EMFILE,
 * ENFILE), the cache gives up half of its own and the open is tried once
 * more. */
#ifndef WORKER_IMCACHE_H
#define WORKER_IMCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "imfile.h"
#include "mr_err.h"

struct im_cache;

/* A cache keeping up to cap files open (0: a quarter of the process's
 * file limit, after raising its soft limit to the hard one). Returns NULL
 * when out of memory. */
struct im_cache *im_cache_create(size_t cap);

/* Puts back the soft RLIMIT_NOFILE the process had before the first
 * im_cache_create raised it (nothing if none did): for a child about to
 * exec a command, which should see the limit the worker started with.
 * Async-signal-safe. */
void im_cache_restore_nofile(void);

/* The file kept for path, or NULL; one noted absent (im_cache_absent) has
 * fd -1. Owned by the cache: valid until the next im_cache_open(),
 * im_cache_absent(), im_cache_drop() or im_cache_shed(). */
struct im_file *im_cache_find(struct im_cache *c, const char *path);

/* The file kept for path, or else path opened now (im_file_open against
 * nreduce) and kept, closing the least recently used one when full.
 * Returns it (owned as above), or NULL with *rc and err set to
 * im_file_open's error. On EMFILE or ENFILE it sheds (below) and opens
 * once more: *rc is -EMFILE or -ENFILE only when that failed too, a
 * shortage, never a sign the file is missing. */
struct im_file *im_cache_open(struct im_cache *c, const char *path,
                              uint32_t nreduce, int *rc,
                              char err[MR_ERR_LEN]);

/* Notes that path is not on this host (an output another worker serves),
 * so that the reduces to come fetch it without looking again; it takes a
 * place like an open file, but no descriptor. Out of memory, notes
 * nothing. */
void im_cache_absent(struct im_cache *c, const char *path);

/* Closes path's file if it is kept (it was found bad, or changed), or
 * forgets that it is absent. */
void im_cache_drop(struct im_cache *c, const char *path);

/* Closes the least recently used half of the open files (at least one
 * when any is open), for a process out of descriptors: an open, socket or
 * accept that failed with EMFILE or ENFILE may then be tried again.
 * Returns how many it closed. */
size_t im_cache_shed(struct im_cache *c);

/* Files kept now, open or noted absent. */
size_t im_cache_count(const struct im_cache *c);

/* Closes every file and frees c (NULL is a no-op). */
void im_cache_free(struct im_cache *c);

#endif
