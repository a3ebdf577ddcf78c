/* The coordinator's journal: an append-only file in the job's private
 * directory (JOURNAL_NAME) holding what a coordinator started again on the
 * same job must not forget (proto/journal.proto: the job's definition, each
 * start, each task that finished with the attempt that won and where its
 * output is). Knows nothing of tasks: coord_journal.c decides what goes in
 * and what a record means.
 *
 * The file: an 8-byte magic, then one frame per record:
 *
 *   +----------------+----------------+-------------------------+
 *   | length (u32 LE)| crc (u32 LE)   | payload: a mrj.Record   |
 *   +----------------+----------------+-------------------------+
 *     crc = CRC-32C of the length's 4 bytes and the payload
 *
 * Records are only appended; a crash at any byte leaves a readable prefix
 * (a torn last frame fails its length or its CRC), and a reader uses the
 * frames before the first one that does not check, nothing after it.
 * Appending is in two steps: journal_append() keeps a record in memory,
 * journal_sync() writes every kept one and makes them durable (one
 * fdatasync for all the records of one loop iteration). */
#ifndef COORD_JOURNAL_H
#define COORD_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "journal.pb-c.h"
#include "mr_err.h"

#define JOURNAL_NAME        "mr-journal"
#define JOURNAL_FORMAT      1
#define JOURNAL_MAGIC_LEN   8
/* A record larger than this is damage, not a record. */
#define JOURNAL_MAX_RECORD  (64u << 20)

typedef struct journal journal;

/* How a journal's valid prefix ends. */
enum journal_end {
    JOURNAL_WHOLE,              /* at the end of the file */
    JOURNAL_TORN,               /* at a frame cut short: a crash while
                                   appending */
    JOURNAL_CORRUPT,            /* at a frame whose bytes changed (it fails
                                   its checksum or does not unpack) */
};

/* A journal as read: the records of its valid prefix, in order. */
struct journal_contents {
    Mrj__Record **records;      /* owned */
    size_t n;
    uint64_t valid_bytes;       /* the prefix's length, magic included */
    uint64_t file_bytes;
    enum journal_end end;
    /* Why reading stopped before the end of the file ("" when it did
     * not): "a torn record at byte 1234", "a record that fails its
     * checksum at byte 99". */
    char damage[160];
};

/* Reads the journal at path. Returns 0 with *out filled (free it with
 * journal_contents_free), -ENOENT when there is none, MR_EBADDATA when the
 * file is not a journal (its magic is wrong), or another -errno with err
 * filled. A damaged tail is not an error: out->damage says where the valid
 * prefix ends. */
int journal_read(const char *path, struct journal_contents *out,
                 char err[MR_ERR_LEN]);
void journal_contents_free(struct journal_contents *c);

/* Opens the journal at path for appending: creates it (durably, with its
 * magic) when keep_bytes is 0, else cuts it to its first keep_bytes (a
 * valid prefix, journal_contents.valid_bytes), dropping a damaged tail.
 * Returns 0 with *out set, or -errno with err filled. */
int journal_open(const char *path, uint64_t keep_bytes, journal **out,
                 char err[MR_ERR_LEN]);

/* Keeps rec (packed now; rec is not kept) for the next journal_sync().
 * Returns 0, -ENOMEM or MR_ETOOBIG. */
int journal_append(journal *j, const Mrj__Record *rec);

/* True while records are kept that are not yet durable. */
bool journal_dirty(const journal *j);

/* Writes the kept records and makes them durable. Returns 0, or -errno
 * with err filled: the file then ends with a torn frame at worst, which
 * readers drop, and the journal refuses every later append and sync (the
 * records after it would be unreadable). */
int journal_sync(journal *j, char err[MR_ERR_LEN]);

/* Closes (unsynced records are dropped). NULL is a no-op. The file stays:
 * it goes with the private directory. */
void journal_close(journal *j);

#endif
