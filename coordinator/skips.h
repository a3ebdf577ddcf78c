/* Bad records, the MapReduce paper's mechanism (its section 3.7), behind
 * --skip-bad-records: a map worker that dies of a fatal signal names the
 * record (a line of an MR_APP_LINES app) its app had in hand; a record
 * named by two failed attempts of its map task is skipped by every later
 * attempt of that task (Task.skip), and the job lists it. More than `max`
 * records skipped fail the job instead. Free of I/O: the coordinator
 * (coord_report.c) feeds it reports and asks it for Task.skip.
 *
 * A report is exact (the app had that record in hand: a C app's, or an
 * executable mapper's fed one line at a time) or a guess (an executable
 * mapper fed in bulk dies having read up to that line; it may have died
 * on an earlier one it had read: BadRecord.guessed). A guess counts for
 * nothing by itself: it makes its task a suspect, so that the next
 * attempt goes one line at a time and names the line exactly. An exact
 * report of the guessed line confirms the guess, which then counts as one
 * of the line's crashes; an exact report of another line drops the task's
 * unconfirmed guesses, and the failed attempts that made them are
 * refunded to the task (*refund). */
#ifndef COORD_SKIPS_H
#define COORD_SKIPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Records a job may skip unless told otherwise (--max-skipped-records). */
#define SKIPS_DEFAULT_MAX 10
/* Crashed attempts that make a record skipped. */
#define SKIPS_CRASHES 2
/* Bytes of a record's beginning kept (the worker sends at most this). */
#define SKIPS_HEAD_MAX 32

/* A record some attempt died on. */
struct bad_record {
    uint32_t map;               /* the map task */
    uint64_t offset;            /* of the line in the input file */
    char *file;                 /* the input as the app saw it (owned) */
    uint8_t head[SKIPS_HEAD_MAX];   /* its first bytes */
    size_t head_len;
    uint32_t crashes;           /* attempts that died on it: exact
                                   reports, and a confirmed guess */
    uint32_t guesses;           /* bulk attempts that died having read it
                                   last, not (yet) confirmed by an exact
                                   report: no crash */
    uint32_t skipped_as;        /* 0: not skipped; else its rank among the
                                   skipped, 1 for the first */
};

struct skips {
    bool on;                    /* --skip-bad-records */
    uint32_t max;               /* records that may be skipped */
    struct bad_record *v;       /* in the order first seen */
    size_t n, cap;
    uint32_t skipped;           /* records skipped */
    uint64_t *scratch;          /* skips_of()'s answer */
    size_t scratch_cap;
};

/* What a crash on a record means. */
enum skip_verdict {
    SKIP_GUESSED,               /* a guess: retry, one line at a time */
    SKIP_NOTED,                 /* its first crash: retry as always */
    SKIP_NOW,                   /* skipped from this one on */
    SKIP_ALREADY,               /* skipped already (an attempt handed out
                                   before it was) */
    SKIP_OVER,                  /* skipping it would pass max: fail */
};

/* Off (on false) or on, skipping at most max records. */
void skips_init(struct skips *s, bool on, uint32_t max);
void skips_free(struct skips *s);

/* An attempt of map died on the record at offset of file (head: its first
 * hlen bytes, cut to SKIPS_HEAD_MAX), exactly or, with guessed, as a guess
 * (see the top). Returns a verdict with *rec the record (valid until the
 * next note) and *refund the task's earlier failed attempts that no
 * longer count against it: the guesses an exact report dropped and, with
 * SKIP_NOW, the record's earlier crashes. Or -ENOMEM (nothing noted,
 * *refund 0). */
int skips_note(struct skips *s, uint32_t map, const char *file,
               uint64_t offset, const uint8_t *head, size_t hlen,
               bool guessed, const struct bad_record **rec,
               uint32_t *refund);

/* A record skipped by an earlier coordinator of the job (its journal):
 * skipped again, in the order restored. Returns 0 or -ENOMEM. */
int skips_restore(struct skips *s, uint32_t map, const char *file,
                  uint64_t offset, const uint8_t *head, size_t hlen);

/* The offsets of map's skipped records, ascending, in *offsets (valid
 * until the next call). Returns how many; 0 when out of memory too. */
size_t skips_of(struct skips *s, uint32_t map, uint64_t **offsets);
/* The same, only file's (one of the files a packed map task reads). */
size_t skips_of_file(struct skips *s, uint32_t map, const char *file,
                     uint64_t **offsets);

/* Whether an attempt of map died on a record not skipped (yet), by an
 * exact report or an unconfirmed guess: its next attempt had better name
 * its record exactly (Task.one_line_at_a_time). */
bool skips_has_suspect(const struct skips *s, uint32_t map);

/* The skipped records in the order they were skipped: the k-th (from 1)
 * or NULL past the last. */
const struct bad_record *skips_nth(const struct skips *s, uint32_t k);

#endif
