/* The job's status (Mr__StatusReply, proto/mr.proto) as JSON: the one
 * document behind `mrstatus --json` and the status page's /status.json.
 * docs/status.md describes its members. */
#ifndef COORD_STATUS_JSON_H
#define COORD_STATUS_JSON_H

#include <stddef.h>
#include <stdio.h>

#include "mr.pb-c.h"

/* Returns the document (malloc()ed, NUL-terminated: free it) and its
 * length in *len, or NULL when out of memory. */
char *status_json(const Mr__StatusReply *s, size_t *len);

/* Writes one failure as the document's "failures" hold it: {"task": "map
 * 3", "attempt", "input", "offset", "length", "host", "pid", "signal"
 * ("SIGSEGV", or null), "reason", "stderr", "at_seconds"}; the job's
 * summary (summary.h) writes the same objects. */
void status_json_failure(FILE *f, const Mr__Failure *x);

/* Writes one skipped record as the document's "skipped_records" hold it:
 * {"input", "offset", "head"}, head its first bytes as printable_escape()
 * shows them; the job's summary writes the same objects. */
void status_json_skipped(FILE *f, const Mr__BadRecord *x);

/* "map", "reduce", or "" for any other kind. */
const char *status_kind_name(Mr__TaskKind kind);

#endif
