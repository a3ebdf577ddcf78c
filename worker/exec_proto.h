/* The two protocols of executable apps (docs/exec-apps.md), shared by the
 * files of the exec engine: how records are laid out on the child's stdin
 * (pieces of bytes copied into the pump's chunks, never a whole split or
 * partition at once) and how the child's stdout is cut into records.
 * exec_text.c is Hadoop Streaming's text protocol, exec_framed.c ours. */
#ifndef WORKER_EXEC_PROTO_H
#define WORKER_EXEC_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mr_err.h"

/* The longest key, value or text line a child may write: longer fails
 * the attempt (a reader keeps at most one partial record). */
#define EXEC_RECORD_MAX (64u << 20)
/* Framed: the reducer input's end-of-group marker, where a value's
 * length would be. */
#define EXEC_FRAMED_END 0xffffffffu

/* Bytes queued for the child's stdin: up to 5 pieces, borrowed, and room
 * for the small ones the encoders make (lengths, a decimal offset). */
struct exec_pieces {
    struct {
        const char *p;
        size_t len;
    } v[5];
    unsigned n, i;              /* pieces queued, the one being copied */
    size_t off;                 /* into v[i] */
    char small[3][24];          /* owned bytes some pieces point to */
};

static inline bool
exec__pieces_empty(const struct exec_pieces *ps)
{
    return ps->i == ps->n;
}

/* Empties the queue; pieces added next start at v[0]. */
void exec__pieces_clear(struct exec_pieces *ps);
void exec__pieces_add(struct exec_pieces *ps, const char *p, size_t len);
/* Copies what fits of the queue into buf. Returns the bytes copied. */
size_t exec__pieces_copy(struct exec_pieces *ps, char *buf, size_t cap);

/* ---------------------------------------------------------------- input */

/* Text: one "key TAB value NEWLINE" line of a reducer's input. */
void exec__text_line(struct exec_pieces *ps, const char *key, size_t klen,
                     const char *val, size_t vlen);
/* Framed: a record, "u32 klen, key, u32 vlen, value" (big-endian). */
void exec__framed_record(struct exec_pieces *ps, const char *key,
                         size_t klen, const char *val, size_t vlen);
/* Framed: a mapper's input record for the line at byte offset: the key
 * is the offset in decimal. */
void exec__framed_line(struct exec_pieces *ps, uint64_t offset,
                       const char *line, size_t len);
/* Framed reducer input: a group's key ("u32 klen, key"), each value
 * ("u32 vlen, value"), and the end (EXEC_FRAMED_END). */
void exec__framed_key(struct exec_pieces *ps, const char *key, size_t klen);
void exec__framed_value(struct exec_pieces *ps, const char *val,
                        size_t vlen);
void exec__framed_end(struct exec_pieces *ps);

/* ---------------------------------------------------------------- output */

/* A record read from a child's stdout; pointers into the reader's buffer,
 * valid until the next parse. */
struct exec_record {
    const char *key, *val;
    size_t klen, vlen;
    bool has_val;               /* text: the line had a TAB */
};

/* Cuts one record from buf[0..len), which is the child's output from its
 * byte `at`. at_end: the child exited and wrote nothing more. Returns the
 * bytes the record took, 0 when buf holds no whole record (at_end: buf is
 * empty), or MR_EAPP with err saying what is wrong and at which byte
 * (who names the child: "mapper `cmd`"). */
typedef ssize_t exec_parse_fn(const char *buf, size_t len, bool at_end,
                              uint64_t at, struct exec_record *rec,
                              const char *who, char err[MR_ERR_LEN]);

/* Text: a line is one record, cut at its first TAB; a last line without
 * its NEWLINE counts. */
exec_parse_fn exec__text_parse;
/* Framed: "u32 klen, key, u32 vlen, value", lengths checked against
 * EXEC_RECORD_MAX before anything waits for the bytes. */
exec_parse_fn exec__framed_parse;

#endif
