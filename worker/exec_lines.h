/* A mapper's split as the lines it is given: which lines are left out
 * (Task.skip, --skip-bad-records), how many bytes each takes on the
 * mapper's stdin in either protocol, and so which line a byte of that
 * stream came from: the line a mapper had when it died is the one
 * holding the last byte it read (exec_task.c). Pure functions, no I/O. */
#ifndef WORKER_EXEC_LINES_H
#define WORKER_EXEC_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A split: its bytes, where they start in their file, the lines to leave
 * out. */
struct exec_split {
    const char *data;           /* borrowed */
    size_t len;
    uint64_t origin;            /* offset in the file of data[0] */
    const uint64_t *skip;       /* offsets in the file of lines left out,
                                   ascending; borrowed */
    size_t nskip;
    bool framed;                /* the framed protocol (else text) */
};

/* A line of a split. */
struct exec_line {
    size_t at;                  /* of its first byte in data */
    size_t len;                 /* without its '\n' */
    size_t next;                /* where the next line starts in data */
    uint64_t offset;            /* of its first byte in the file */
};

/* The line that starts at data[at] (at < len). */
void exec_line_at(const struct exec_split *s, size_t at,
                  struct exec_line *line);

/* Whether the line at offset in the file is left out; *k is a cursor into
 * skip (start it at 0), for lines asked in ascending order. */
bool exec_line_skipped(const struct exec_split *s, uint64_t offset,
                       size_t *k);

/* The bytes line takes on the mapper's stdin: text, the line and its
 * '\n' as they are in data; framed, a record keyed by the decimal
 * offset (exec_proto.h). */
uint64_t exec_line_stream_len(const struct exec_split *s,
                              const struct exec_line *line);

/* The line, not left out, that holds byte `consumed - 1` of the stream
 * the split makes (the last byte a mapper that read `consumed` bytes
 * read). Returns false when consumed is 0 or past the stream's end. */
bool exec_line_holding(const struct exec_split *s, uint64_t consumed,
                       struct exec_line *line);

#endif
