/* The job's status (Mr__StatusReply, proto/mr.proto) as JSON: the one
 * document behind `mrstatus --json` and the status page's /status.json.
 * docs/status.md describes its members. */
#ifndef COORD_STATUS_JSON_H
#define COORD_STATUS_JSON_H

#include <stddef.h>

#include "mr.pb-c.h"

/* Returns the document (malloc()ed, NUL-terminated: free it) and its
 * length in *len, or NULL when out of memory. */
char *status_json(const Mr__StatusReply *s, size_t *len);

/* "map", "reduce", or "" for any other kind. */
const char *status_kind_name(Mr__TaskKind kind);

#endif
