/* The framed protocol of executable apps: length-prefixed keys and values,
 * binary-safe (docs/exec-apps.md draws it). */
#define _GNU_SOURCE
#include "exec_proto.h"

#include <stdio.h>
#include <string.h>

static void
put_u32(char *p, uint32_t v)
{
    p[0] = (char)(v >> 24);
    p[1] = (char)(v >> 16);
    p[2] = (char)(v >> 8);
    p[3] = (char)v;
}

static uint32_t
get_u32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;

    return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 |
           (uint32_t)u[2] << 8 | u[3];
}

/* Queues a length prefix kept in small[slot]. */
static void
add_length(struct exec_pieces *ps, unsigned slot, uint32_t len)
{
    put_u32(ps->small[slot], len);
    ps->v[ps->n].p = ps->small[slot];   /* even a zero length is sent */
    ps->v[ps->n].len = 4;
    ps->n++;
}

void
exec__framed_record(struct exec_pieces *ps, const char *key, size_t klen,
                    const char *val, size_t vlen)
{
    exec__pieces_clear(ps);
    add_length(ps, 0, (uint32_t)klen);
    exec__pieces_add(ps, key, klen);
    add_length(ps, 1, (uint32_t)vlen);
    exec__pieces_add(ps, val, vlen);
}

void
exec__framed_line(struct exec_pieces *ps, uint64_t offset, const char *line,
                  size_t len)
{
    int n;

    exec__pieces_clear(ps);
    n = snprintf(ps->small[2], sizeof(ps->small[2]), "%llu",
                 (unsigned long long)offset);
    add_length(ps, 0, (uint32_t)n);
    exec__pieces_add(ps, ps->small[2], (size_t)n);
    add_length(ps, 1, (uint32_t)len);
    exec__pieces_add(ps, line, len);
}

void
exec__framed_key(struct exec_pieces *ps, const char *key, size_t klen)
{
    exec__pieces_clear(ps);
    add_length(ps, 0, (uint32_t)klen);
    exec__pieces_add(ps, key, klen);
}

void
exec__framed_value(struct exec_pieces *ps, const char *val, size_t vlen)
{
    exec__pieces_clear(ps);
    add_length(ps, 0, (uint32_t)vlen);
    exec__pieces_add(ps, val, vlen);
}

void
exec__framed_end(struct exec_pieces *ps)
{
    exec__pieces_clear(ps);
    add_length(ps, 0, EXEC_FRAMED_END);
}

/* Checks the length at buf[off] (byte at + off of the output). */
static int
check_length(const char *buf, size_t off, uint64_t at, const char *what,
             const char *who, uint32_t *len, char err[MR_ERR_LEN])
{
    *len = get_u32(buf + off);
    if (*len <= EXEC_RECORD_MAX)
        return 0;
    snprintf(err, MR_ERR_LEN, "%s wrote malformed framing: at byte %llu a "
             "%s length of %lu, more than the %u MiB a record may hold",
             who, (unsigned long long)(at + off), what, (unsigned long)*len,
             EXEC_RECORD_MAX >> 20);
    return MR_EAPP;
}

ssize_t
exec__framed_parse(const char *buf, size_t len, bool at_end, uint64_t at,
                   struct exec_record *rec, const char *who,
                   char err[MR_ERR_LEN])
{
    uint32_t klen = 0, vlen = 0;
    bool whole = false;

    /* Each length is checked as soon as it is there, so that a bad one is
     * refused before waiting for the bytes it claims. */
    if (len >= 4) {
        if (check_length(buf, 0, at, "key", who, &klen, err) < 0)
            return MR_EAPP;
        if (len >= 8 + (size_t)klen) {
            if (check_length(buf, 4 + klen, at, "value", who, &vlen,
                             err) < 0)
                return MR_EAPP;
            whole = len >= 8 + (size_t)klen + vlen;
        }
    }
    if (!whole) {
        if (!at_end || len == 0)
            return 0;
        snprintf(err, MR_ERR_LEN, "%s wrote malformed framing: its output "
                 "ends at byte %llu inside the record that starts at byte "
                 "%llu (truncated)", who, (unsigned long long)(at + len),
                 (unsigned long long)at);
        return MR_EAPP;
    }
    rec->key = buf + 4;
    rec->klen = klen;
    rec->val = buf + 8 + klen;
    rec->vlen = vlen;
    rec->has_val = true;
    return (ssize_t)(8 + (size_t)klen + vlen);
}
