/* The workers that joined the job, by the connection they joined on: who
 * they are (pid, host) for log lines and status, and whether a connection
 * may ask for tasks at all. An open-addressing table: lookups are O(1) at
 * any number of workers. */
#ifndef COORD_MEMBERS_H
#define COORD_MEMBERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct member {
    uint64_t conn;              /* 0: an empty slot */
    uint32_t pid;
    char host[64];
    char addr[96];              /* where it serves map outputs; "": none
                                   known */
    uint64_t heard_ms;          /* monotonic: its last call or heartbeat */
    uint32_t tasks_done;        /* completions of its that won */
};

struct members {
    struct member *slots;
    size_t cap, n, tombstones;
    uint64_t joined;            /* connections that ever joined */
};

/* Adds conn (not 0), replacing an entry of the same connection. Returns
 * the entry, or NULL when out of memory. */
struct member *members_add(struct members *m, uint64_t conn, uint32_t pid,
                           const char *host);

/* The entry of conn, or NULL. */
struct member *members_find(const struct members *m, uint64_t conn);

/* Whether slot e of the table holds a worker (not empty, not forgotten). */
bool members_is_entry(const struct member *e);

/* Forgets conn; a no-op when it never joined. */
void members_remove(struct members *m, uint64_t conn);

void members_free(struct members *m);

#endif
