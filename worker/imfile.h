/* The intermediate file a map task writes and reduce tasks read: one file per
 * map task holding every partition, each sorted by key, followed by an index
 * saying where each partition starts, so that the number of files grows with
 * map tasks, not map x reduce tasks.
 *
 *   [partition 0 records][partition 1 records]...[index][footer]
 *   record:  varint key_len, varint value_len, key bytes, value bytes
 *   index:   n_reduce entries of {u64 offset, u64 length, u64 records,
 *            u32 CRC-32C of the partition's bytes, u32 reserved}
 *   footer:  u32 n_reduce, u32 format version, u32 reserved, "MRIM"
 *
 * Integers are little-endian; varints are LEB128 (varint.h). A reader
 * checks the footer, the index bounds, each partition's checksum before
 * reading it, and every record's bounds, so a truncated or corrupt file is
 * reported (MR_EBADDATA) rather than misread. */
#ifndef WORKER_IMFILE_H
#define WORKER_IMFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "atomic_file.h"

#define IM_VERSION 2

/* ---------------------------------------------------------------- writing */

struct im_writer {
    struct atomic_file file;
    uint32_t nreduce;
    uint32_t part;              /* partition being written */
    uint32_t crc;               /* of the partition being written */
    uint64_t *offsets;          /* per partition: start, length, records,
                                   checksum */
    uint64_t records;
};

/* Starts writing path (atomically: nothing appears until commit). Returns 0
 * or -errno with err filled. */
int im_writer_open(struct im_writer *w, const char *path, uint32_t nreduce,
                   char err[MR_ERR_LEN]);
/* Appends a record to partition part; partitions must come in increasing
 * order, and keys sorted within one. */
void im_writer_add(struct im_writer *w, uint32_t part, const char *key,
                   size_t klen, const char *val, size_t vlen);
/* Writes index and footer and renames into place. Returns 0 or an error
 * with err filled; the writer is closed either way. */
int im_writer_commit(struct im_writer *w, char err[MR_ERR_LEN]);
/* Drops the file being written. */
void im_writer_abort(struct im_writer *w);

/* ---------------------------------------------------------------- reading */

struct im_reader {
    const unsigned char *map;   /* the whole file, mapped read-only */
    size_t size;
    bool mapped;                /* map came from mmap, not the caller */
    uint32_t nreduce;
    const unsigned char *index;
};

struct im_cursor {
    const unsigned char *p, *end;
    uint64_t left;              /* records not yet read */
    uint64_t more;              /* bytes of the run still to come after
                                   end (a run fetched in pieces); 0 when
                                   end is the run's end */
};

/* One partition's index entry. */
struct im_partition {
    uint64_t offset, length;    /* its bytes in the file */
    uint64_t records;
    uint32_t crc;               /* CRC-32C of those bytes */
};

/* im_cursor_next(): the next record is cut by end and more is to come. */
#define IM_NEED_MORE 2

/* Maps path and checks its footer and index against nreduce (0: take the
 * file's). Returns 0, -errno, or MR_EBADDATA, with err filled. */
int im_reader_open(struct im_reader *r, const char *path, uint32_t nreduce,
                   char err[MR_ERR_LEN]);
/* Reads an intermediate file already in memory (not copied; data must
 * outlive the reader). Same checks and errors; name is for messages. */
int im_reader_open_buffer(struct im_reader *r, const void *data, size_t size,
                          const char *name, uint32_t nreduce,
                          char err[MR_ERR_LEN]);
void im_reader_close(struct im_reader *r);

/* Checks partition part's checksum and positions cur at its start.
 * Returns 0, or MR_EBADDATA when the bytes are not what was written (cur
 * is then empty). */
int im_reader_partition(const struct im_reader *r, uint32_t part,
                        struct im_cursor *cur);

/* Partition part's index entry, unchecked (part < r->nreduce). */
void im_reader_partition_info(const struct im_reader *r, uint32_t part,
                              struct im_partition *info);

/* Reads the next record. Returns 1 with key/value set (pointing into the
 * mapping), 0 at the end of the partition, IM_NEED_MORE when cur->more
 * bytes are still to come and the record is cut by cur->end (append them
 * after cur->end, keeping cur->p's bytes, and call again), or
 * MR_EBADDATA. */
int im_cursor_next(struct im_cursor *cur, const char **key, size_t *klen,
                   const char **val, size_t *vlen);

#endif
