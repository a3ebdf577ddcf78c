/* Writing and reading intermediate files. See imfile.h for the layout. */
#define _GNU_SOURCE
#include "imfile.h"

#include "crc32c.h"
#include "varint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define FOOTER_LEN  16
#define ENTRY_LEN   32
#define PER_PART    4           /* u64s the writer keeps per partition */
#define MAGIC       "MRIM"

static void
put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void
put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t
get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t
get_u64(const unsigned char *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* ---------------------------------------------------------------- writing */

int
im_writer_open(struct im_writer *w, const char *path, uint32_t nreduce,
               char err[MR_ERR_LEN])
{
    int rc;

    memset(w, 0, sizeof(*w));
    w->nreduce = nreduce;
    w->offsets = calloc((size_t)nreduce * PER_PART, sizeof(uint64_t));
    if (w->offsets == NULL) {
        snprintf(err, MR_ERR_LEN, "out of memory");
        return -ENOMEM;
    }
    if ((rc = atomic_file_open(&w->file, path, false, err)) < 0) {
        free(w->offsets);
        w->offsets = NULL;
    }
    return rc;
}

/* Closes partitions up to (not including) part. */
static void
advance_to(struct im_writer *w, uint32_t part)
{
    while (w->part < part) {
        uint64_t *e = &w->offsets[PER_PART * w->part];
        e[1] = w->file.written - e[0];
        e[2] = w->records;
        e[3] = w->crc;
        w->records = 0;
        w->crc = 0;
        w->part++;
        if (w->part < w->nreduce)
            w->offsets[PER_PART * w->part] = w->file.written;
    }
}

void
im_writer_add(struct im_writer *w, uint32_t part, const char *key,
              size_t klen, const char *val, size_t vlen)
{
    unsigned char head[2 * VARINT_MAX_LEN];
    size_t n;

    advance_to(w, part);
    n = varint_put(head, klen);
    n += varint_put(head + n, vlen);
    atomic_file_write(&w->file, head, n);
    atomic_file_write(&w->file, key, klen);
    atomic_file_write(&w->file, val, vlen);
    w->crc = crc32c(crc32c(crc32c(w->crc, head, n), key, klen), val, vlen);
    w->records++;
}

int
im_writer_commit(struct im_writer *w, char err[MR_ERR_LEN])
{
    unsigned char entry[ENTRY_LEN], footer[FOOTER_LEN];
    int rc;

    advance_to(w, w->nreduce);
    for (uint32_t i = 0; i < w->nreduce; i++) {
        const uint64_t *e = &w->offsets[PER_PART * i];
        put_u64(entry, e[0]);
        put_u64(entry + 8, e[1]);
        put_u64(entry + 16, e[2]);
        put_u32(entry + 24, (uint32_t)e[3]);
        put_u32(entry + 28, 0);
        atomic_file_write(&w->file, entry, sizeof(entry));
    }
    put_u32(footer, w->nreduce);
    put_u32(footer + 4, IM_VERSION);
    put_u32(footer + 8, 0);
    memcpy(footer + 12, MAGIC, 4);
    atomic_file_write(&w->file, footer, sizeof(footer));
    rc = atomic_file_commit(&w->file, err);
    free(w->offsets);
    w->offsets = NULL;
    return rc;
}

void
im_writer_abort(struct im_writer *w)
{
    atomic_file_abort(&w->file);
    free(w->offsets);
    w->offsets = NULL;
}

/* ---------------------------------------------------------------- reading */

static int
bad_file(char err[MR_ERR_LEN], const char *path, const char *what)
{
    snprintf(err, MR_ERR_LEN, "%s is not a valid intermediate file: %s",
             path, what);
    return MR_EBADDATA;
}

/* Checks the footer (the last FOOTER_LEN bytes of a file of size bytes,
 * size >= FOOTER_LEN) against nreduce (0: any) and that the index fits
 * before it; sets *nr and *index_at. */
static int
check_footer(const unsigned char *footer, uint64_t size, uint32_t nreduce,
             const char *path, uint32_t *nr, uint64_t *index_at,
             char err[MR_ERR_LEN])
{
    uint64_t index_len;

    if (memcmp(footer + 12, MAGIC, 4) != 0)
        return bad_file(err, path, "no footer (truncated?)");
    if (get_u32(footer + 4) != IM_VERSION)
        return bad_file(err, path, "unknown format version");
    *nr = get_u32(footer);
    if (nreduce != 0 && *nr != nreduce)
        return bad_file(err, path, "written for another number of reduce "
                        "tasks");
    index_len = (uint64_t)*nr * ENTRY_LEN;
    if (index_len > size - FOOTER_LEN)
        return bad_file(err, path, "index larger than the file");
    *index_at = size - FOOTER_LEN - index_len;
    return 0;
}

/* Decodes index entry e; MR_EBADDATA when its bytes do not lie before the
 * index, at index_at. */
static int
decode_entry(const unsigned char *e, uint64_t index_at,
             struct im_partition *info)
{
    info->offset = get_u64(e);
    info->length = get_u64(e + 8);
    info->records = get_u64(e + 16);
    info->crc = get_u32(e + 24);
    if (info->offset > index_at || info->length > index_at - info->offset)
        return MR_EBADDATA;
    return 0;
}

/* Checks the footer of a file in memory. */
static int
check_layout(struct im_reader *r, const char *path, uint32_t nreduce,
             char err[MR_ERR_LEN])
{
    uint64_t index_at;
    int rc;

    if (r->size < FOOTER_LEN)
        return bad_file(err, path, "shorter than its footer (truncated?)");
    rc = check_footer(r->map + r->size - FOOTER_LEN, r->size, nreduce, path,
                      &r->nreduce, &index_at, err);
    if (rc == 0)
        r->index = r->map + index_at;
    return rc;
}

int
im_reader_open(struct im_reader *r, const char *path, uint32_t nreduce,
               char err[MR_ERR_LEN])
{
    struct stat st;
    int fd, rc;

    memset(r, 0, sizeof(*r));
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot open %s: %s", path,
                 strerror(errno));
        return rc;
    }
    if (fstat(fd, &st) < 0) {
        rc = -errno;
        close(fd);
        snprintf(err, MR_ERR_LEN, "cannot stat %s: %s", path,
                 strerror(-rc));
        return rc;
    }
    r->size = (size_t)st.st_size;
    if (r->size > 0) {
        void *m = mmap(NULL, r->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            rc = -errno;
            close(fd);
            snprintf(err, MR_ERR_LEN, "cannot map %s: %s", path,
                     strerror(-rc));
            return rc;
        }
        r->map = m;
        r->mapped = true;
    }
    close(fd);
    if ((rc = check_layout(r, path, nreduce, err)) < 0)
        im_reader_close(r);
    return rc;
}

int
im_reader_open_buffer(struct im_reader *r, const void *data, size_t size,
                      const char *name, uint32_t nreduce,
                      char err[MR_ERR_LEN])
{
    int rc;

    memset(r, 0, sizeof(*r));
    r->map = data;
    r->size = size;
    if ((rc = check_layout(r, name, nreduce, err)) < 0)
        im_reader_close(r);
    return rc;
}

void
im_reader_close(struct im_reader *r)
{
    if (r->map != NULL && r->mapped)
        munmap((void *)r->map, r->size);
    memset(r, 0, sizeof(*r));
}

int
im_reader_partition(const struct im_reader *r, uint32_t part,
                    struct im_cursor *cur)
{
    struct im_partition info;

    memset(cur, 0, sizeof(*cur));
    if (im_reader_partition_info(r, part, &info) < 0 ||
        crc32c(0, r->map + info.offset, (size_t)info.length) != info.crc)
        return MR_EBADDATA;
    im_cursor_start(cur, &info, r->map + info.offset);
    return 0;
}

int
im_reader_partition_info(const struct im_reader *r, uint32_t part,
                         struct im_partition *info)
{
    return decode_entry(r->index + (size_t)part * ENTRY_LEN,
                        (uint64_t)(r->index - r->map), info);
}

void
im_cursor_start(struct im_cursor *cur, const struct im_partition *info,
                const unsigned char *data)
{
    cur->p = data;
    cur->end = data + info->length;
    cur->left = info->records;
    cur->more = 0;
}

/* ------------------------------------------------- one partition at a time */

/* A short read is a file cut after its open. */
int
im_file_pread(const struct im_file *f, const char *path, uint64_t off,
              size_t len, void *buf, char err[MR_ERR_LEN])
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = pread(f->fd, (char *)buf + done, len - done,
                          (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int rc = -errno;
            snprintf(err, MR_ERR_LEN, "cannot read %s: %s", path,
                     strerror(errno));
            return rc;
        }
        if (n == 0)
            return bad_file(err, path, "shorter than when it was opened "
                            "(truncated?)");
        done += (size_t)n;
    }
    return 0;
}

int
im_file_open(struct im_file *f, const char *path, uint32_t nreduce,
             char err[MR_ERR_LEN])
{
    unsigned char footer[FOOTER_LEN];
    struct stat st;
    int rc;

    memset(f, 0, sizeof(*f));
    /* No access time to update at each read (only the file's owner may
     * ask that). */
    f->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOATIME);
    if (f->fd < 0 && errno == EPERM)
        f->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (f->fd < 0) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot open %s: %s", path,
                 strerror(errno));
        return rc;
    }
    if (fstat(f->fd, &st) < 0) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot stat %s: %s", path,
                 strerror(errno));
        goto out_close;
    }
    f->size = (uint64_t)st.st_size;
    if (f->size < FOOTER_LEN) {
        rc = bad_file(err, path, "shorter than its footer (truncated?)");
        goto out_close;
    }
    if ((rc = im_file_pread(f, path, f->size - FOOTER_LEN, FOOTER_LEN,
                            footer, err)) < 0 ||
        (rc = check_footer(footer, f->size, nreduce, path, &f->nreduce,
                           &f->index_at, err)) < 0)
        goto out_close;
    return 0;
out_close:
    im_file_close(f);
    return rc;
}

/* Reads the entries of partitions part.. into the window. */
static int
read_window(struct im_file *f, const char *path, uint32_t part,
            char err[MR_ERR_LEN])
{
    uint32_t n = f->nreduce - part;
    int rc;

    if (f->window == NULL &&
        (f->window = malloc(IM_ENTRY_WINDOW * ENTRY_LEN)) == NULL) {
        snprintf(err, MR_ERR_LEN, "out of memory");
        return -ENOMEM;
    }
    if (n > IM_ENTRY_WINDOW)
        n = IM_ENTRY_WINDOW;
    f->count = 0;
    rc = im_file_pread(f, path, f->index_at + (uint64_t)part * ENTRY_LEN,
                       (size_t)n * ENTRY_LEN, f->window, err);
    if (rc == 0) {
        f->first = part;
        f->count = n;
    }
    return rc;
}

int
im_file_entry(struct im_file *f, const char *path, uint32_t part,
              struct im_partition *info, char err[MR_ERR_LEN])
{
    int rc;

    if ((part < f->first || part - f->first >= f->count) &&
        (rc = read_window(f, path, part, err)) < 0)
        return rc;
    if (decode_entry(f->window + (size_t)(part - f->first) * ENTRY_LEN,
                     f->index_at, info) < 0)
        return bad_file(err, path, "partition outside the file");
    return 0;
}

static int
check_crc(const char *path, const struct im_partition *info,
          const void *data, char err[MR_ERR_LEN])
{
    if (crc32c(0, data, (size_t)info->length) != info->crc)
        return bad_file(err, path, "a partition fails its checksum "
                        "(corrupt intermediate data)");
    return 0;
}

int
im_file_read(const struct im_file *f, const char *path,
             const struct im_partition *info, void *buf,
             char err[MR_ERR_LEN])
{
    int rc = im_file_pread(f, path, info->offset, (size_t)info->length, buf,
                           err);

    return rc < 0 ? rc : check_crc(path, info, buf, err);
}

int
im_file_map(const struct im_file *f, const char *path,
            const struct im_partition *info, void **base, size_t *len,
            const unsigned char **data, char err[MR_ERR_LEN])
{
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    uint64_t from = info->offset - info->offset % page;
    struct stat st;
    void *m;
    int rc;

    /* Pages past the end of a file cut since its open would kill the
     * process (SIGBUS) when touched: look again first. */
    if (fstat(f->fd, &st) < 0 ||
        (uint64_t)st.st_size < info->offset + info->length)
        return bad_file(err, path, "shorter than when it was opened "
                        "(truncated?)");
    *len = (size_t)(info->offset + info->length - from);
    if (*len == 0)
        *len = 1;
    m = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, f->fd, (off_t)from);
    if (m == MAP_FAILED) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot map %s: %s", path,
                 strerror(errno));
        return rc;
    }
    /* The caller learns of the mapping only once it checks out: a failed
     * one is unmapped here, and a caller that unmaps what it was handed
     * must not unmap this address again (something else may live there). */
    if ((rc = check_crc(path, info, (const unsigned char *)m +
                        (info->offset - from), err)) < 0) {
        im_file_unmap(m, *len);
        *len = 0;
        return rc;
    }
    *base = m;
    *data = (const unsigned char *)m + (info->offset - from);
    return 0;
}

void
im_file_unmap(void *base, size_t len)
{
    if (base != NULL)
        munmap(base, len);
}

void
im_file_close(struct im_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    free(f->window);
    f->window = NULL;
    f->count = 0;
}

/* Whether a record that does not fit before cur->end may still arrive:
 * it fits in what is to come. */
static bool
may_arrive(const struct im_cursor *cur, const unsigned char *p, uint64_t kl,
           uint64_t vl)
{
    uint64_t room = (uint64_t)(cur->end - p) + cur->more;

    return cur->more > 0 && kl <= room && vl <= room - kl;
}

int
im_cursor_next(struct im_cursor *cur, const char **key, size_t *klen,
               const char **val, size_t *vlen)
{
    uint64_t kl = 0, vl = 0;
    const unsigned char *p = cur->p;

    if (cur->left == 0)
        return cur->p == cur->end && cur->more == 0 ? 0 : MR_EBADDATA;
    if (varint_get(&p, cur->end, &kl) < 0 ||
        varint_get(&p, cur->end, &vl) < 0) {
        /* Cut in its lengths: more may complete them (a varint is at
         * most 10 bytes). */
        if (cur->more > 0 && cur->end - cur->p < 20)
            return IM_NEED_MORE;
        return MR_EBADDATA;
    }
    if (kl > (uint64_t)(cur->end - p) || vl > (uint64_t)(cur->end - p) - kl)
        return may_arrive(cur, p, kl, vl) ? IM_NEED_MORE : MR_EBADDATA;
    *key = (const char *)p;
    *klen = (size_t)kl;
    *val = (const char *)p + kl;
    *vlen = (size_t)vl;
    cur->p = p + kl + vl;
    cur->left--;
    return 1;
}
