/* The joined workers, in an open-addressing table with linear probing.
 * See members.h. */
#include "members.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A removed entry: probes go past it, inserts may reuse it. */
#define TOMBSTONE UINT64_MAX

static size_t
slot_of(uint64_t conn, size_t cap)
{
    conn ^= conn >> 33;                 /* ids are sequential: mix them */
    conn *= 0xff51afd7ed558ccdull;
    conn ^= conn >> 33;
    return (size_t)conn & (cap - 1);
}

static int
grow(struct members *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    struct member *old = m->slots, *slots;

    if (m->n * 4 < m->cap)              /* mostly tombstones: same size */
        cap = m->cap;
    slots = calloc(cap, sizeof(*slots));
    if (slots == NULL)
        return -1;
    for (size_t i = 0; i < m->cap; i++) {
        size_t j;
        if (old[i].conn == 0 || old[i].conn == TOMBSTONE)
            continue;
        for (j = slot_of(old[i].conn, cap); slots[j].conn != 0;)
            j = (j + 1) & (cap - 1);
        slots[j] = old[i];
    }
    free(old);
    m->slots = slots;
    m->cap = cap;
    m->tombstones = 0;
    return 0;
}

struct member *
members_find(const struct members *m, uint64_t conn)
{
    if (m->cap == 0 || conn == 0 || conn == TOMBSTONE)
        return NULL;
    for (size_t i = slot_of(conn, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->slots[i].conn == conn)
            return &m->slots[i];
        if (m->slots[i].conn == 0)
            return NULL;
    }
}

struct member *
members_add(struct members *m, uint64_t conn, uint32_t pid, const char *host)
{
    struct member *e = members_find(m, conn);
    size_t i;

    if (e == NULL) {
        /* At most half full, counting tombstones, so probes end. */
        if ((m->n + m->tombstones + 1) * 2 > m->cap && grow(m) < 0)
            return NULL;
        for (i = slot_of(conn, m->cap); m->slots[i].conn != 0 &&
                                        m->slots[i].conn != TOMBSTONE;)
            i = (i + 1) & (m->cap - 1);
        if (m->slots[i].conn == TOMBSTONE)
            m->tombstones--;
        e = &m->slots[i];
        m->n++;
        m->joined++;
    }
    memset(e, 0, sizeof(*e));
    e->conn = conn;
    e->pid = pid;
    snprintf(e->host, sizeof(e->host), "%s", host ? host : "");
    return e;
}

bool
members_is_entry(const struct member *e)
{
    return e->conn != 0 && e->conn != TOMBSTONE;
}

void
members_remove(struct members *m, uint64_t conn)
{
    struct member *e = members_find(m, conn);

    if (e == NULL)
        return;
    e->conn = TOMBSTONE;
    m->n--;
    m->tombstones++;
}

void
members_free(struct members *m)
{
    free(m->slots);
    memset(m, 0, sizeof(*m));
}
