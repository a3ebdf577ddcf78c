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
 * checks the footer, the bounds of the index and of each partition's entry
 * as it reads that partition, each partition's checksum before reading it,
 * and every record's bounds, so a truncated or corrupt file is reported
 * (MR_EBADDATA) rather than misread. Opening a file and reading one of its
 * partitions costs the same whatever the number of partitions: a reduce
 * reads one partition of every map output (im_file below). */
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

/* Maps path and checks its footer and the index's bounds against nreduce
 * (0: take the file's); each entry is checked when its partition is read.
 * Returns 0, -errno, or MR_EBADDATA, with err filled. */
int im_reader_open(struct im_reader *r, const char *path, uint32_t nreduce,
                   char err[MR_ERR_LEN]);
/* Reads an intermediate file already in memory (not copied; data must
 * outlive the reader). Same checks and errors; name is for messages. */
int im_reader_open_buffer(struct im_reader *r, const void *data, size_t size,
                          const char *name, uint32_t nreduce,
                          char err[MR_ERR_LEN]);
void im_reader_close(struct im_reader *r);

/* Checks partition part's entry and checksum and positions cur at its
 * start. Returns 0, or MR_EBADDATA when the entry points outside the file
 * or the bytes are not what was written (cur is then empty). */
int im_reader_partition(const struct im_reader *r, uint32_t part,
                        struct im_cursor *cur);

/* Partition part's index entry (part < r->nreduce). Returns 0, or
 * MR_EBADDATA when it points outside the file. */
int im_reader_partition_info(const struct im_reader *r, uint32_t part,
                             struct im_partition *info);

/* ------------------------------------------------- one partition at a time */

/* An intermediate file opened to read single partitions with a cost that
 * does not grow with the number of partitions: the open reads and checks
 * the footer (open, fstat, one pread), im_file_entry() checks one index
 * entry, read with the next IM_ENTRY_WINDOW - 1 ones (one pread, none
 * when the entry was read with an earlier one), im_file_read() one
 * partition's bytes (one pread, none for an empty one). A reader that
 * keeps the file open reads partition after partition for about one
 * system call each. The file is read through its descriptor: one
 * truncated after the open is caught by a short read (MR_EBADDATA), one
 * changed in place by the checksums. */
struct im_file {
    int fd;                     /* -1: closed */
    uint64_t size;              /* at the open */
    uint64_t index_at;          /* where the index starts */
    uint32_t nreduce;
    unsigned char *window;      /* index entries read at once; owned */
    uint32_t first, count;      /* the partitions whose entries it holds */
};

/* Entries read at once: partitions are mostly read in increasing order
 * (reduce tasks are handed out so), and a window is 1 KB per open file. */
#define IM_ENTRY_WINDOW 32

/* Opens path (O_CLOEXEC) and checks its footer against nreduce (0: take
 * the file's). Returns 0, -errno (-ENOENT: no such file), or MR_EBADDATA,
 * with err filled; f is closed (fd -1) on failure. */
int im_file_open(struct im_file *f, const char *path, uint32_t nreduce,
                 char err[MR_ERR_LEN]);
/* Partition part's index entry (part < f->nreduce), from the window or
 * read now, checked to lie within the file. Returns 0, -errno, or
 * MR_EBADDATA (-ENOMEM: no window), with err filled (path names the
 * file). */
int im_file_entry(struct im_file *f, const char *path, uint32_t part,
                  struct im_partition *info, char err[MR_ERR_LEN]);
/* Reads the partition info describes (from im_file_entry) into buf, which
 * has room for info->length bytes, and checks its checksum. Returns 0,
 * -errno, or MR_EBADDATA, with err filled. */
int im_file_read(const struct im_file *f, const char *path,
                 const struct im_partition *info, void *buf,
                 char err[MR_ERR_LEN]);
/* Reads exactly len bytes at off into buf: for a piece of a partition.
 * Returns 0, -errno, or MR_EBADDATA (the file is shorter), with err
 * filled. */
int im_file_pread(const struct im_file *f, const char *path, uint64_t off,
                  size_t len, void *buf, char err[MR_ERR_LEN]);
/* Maps only the pages of the partition info describes, read-only, and
 * checks its checksum: for large partitions. Sets *data to its first
 * byte; release it with im_file_unmap(*base, *len). Returns 0, -errno, or
 * MR_EBADDATA (then nothing stays mapped and *base, *data are left as
 * they were), with err filled. */
int im_file_map(const struct im_file *f, const char *path,
                const struct im_partition *info, void **base, size_t *len,
                const unsigned char **data, char err[MR_ERR_LEN]);
void im_file_unmap(void *base, size_t len);
/* Closes f; a closed one (fd -1) is a no-op. */
void im_file_close(struct im_file *f);

/* Positions cur at the start of a partition whose bytes (checked) are at
 * data. */
void im_cursor_start(struct im_cursor *cur, const struct im_partition *info,
                     const unsigned char *data);

/* Reads the next record. Returns 1 with key/value set (pointing into the
 * mapping), 0 at the end of the partition, IM_NEED_MORE when cur->more
 * bytes are still to come and the record is cut by cur->end (append them
 * after cur->end, keeping cur->p's bytes, and call again), or
 * MR_EBADDATA. */
int im_cursor_next(struct im_cursor *cur, const char **key, size_t *klen,
                   const char **val, size_t *vlen);

#endif
