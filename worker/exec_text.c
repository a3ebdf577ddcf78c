/* Hadoop Streaming's text protocol for executable apps, and the piece
 * queue both protocols fill the child's stdin from (exec_proto.h). */
#define _GNU_SOURCE
#include "exec_proto.h"

#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- pieces */

void
exec__pieces_clear(struct exec_pieces *ps)
{
    ps->n = ps->i = 0;
    ps->off = 0;
}

void
exec__pieces_add(struct exec_pieces *ps, const char *p, size_t len)
{
    if (len == 0)
        return;
    ps->v[ps->n].p = p;
    ps->v[ps->n].len = len;
    ps->n++;
}

size_t
exec__pieces_copy(struct exec_pieces *ps, char *buf, size_t cap)
{
    size_t done = 0;

    while (ps->i < ps->n && done < cap) {
        size_t left = ps->v[ps->i].len - ps->off;
        size_t n = left < cap - done ? left : cap - done;
        memcpy(buf + done, ps->v[ps->i].p + ps->off, n);
        done += n;
        ps->off += n;
        if (ps->off == ps->v[ps->i].len) {
            ps->i++;
            ps->off = 0;
        }
    }
    return done;
}

/* ---------------------------------------------------------------- text */

void
exec__text_line(struct exec_pieces *ps, const char *key, size_t klen,
                const char *val, size_t vlen)
{
    exec__pieces_clear(ps);
    exec__pieces_add(ps, key, klen);
    exec__pieces_add(ps, "\t", 1);
    exec__pieces_add(ps, val, vlen);
    exec__pieces_add(ps, "\n", 1);
}

ssize_t
exec__text_parse(const char *buf, size_t len, bool at_end, uint64_t at,
                 struct exec_record *rec, const char *who,
                 char err[MR_ERR_LEN])
{
    const char *nl = memchr(buf, '\n', len), *tab;
    size_t line = nl ? (size_t)(nl - buf) : len;

    if (nl == NULL && (!at_end || len == 0)) {
        if (len > EXEC_RECORD_MAX) {
            snprintf(err, MR_ERR_LEN, "%s wrote a line of more than %u MiB "
                     "at byte %llu", who, EXEC_RECORD_MAX >> 20,
                     (unsigned long long)at);
            return MR_EAPP;
        }
        return 0;
    }
    tab = memchr(buf, '\t', line);
    rec->key = buf;
    rec->has_val = tab != NULL;
    rec->klen = tab ? (size_t)(tab - buf) : line;
    rec->val = tab ? tab + 1 : buf + line;
    rec->vlen = tab ? line - rec->klen - 1 : 0;
    return (ssize_t)(nl ? line + 1 : line);
}
