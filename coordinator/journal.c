/* The journal's file: framing, checksums, appending durably, and reading
 * back the valid prefix. See journal.h. */
#define _GNU_SOURCE
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "crc32c.h"

#define MAGIC       "MRJRNL1\n"
#define MAGIC_LEN   JOURNAL_MAGIC_LEN
#define FRAME_HEAD  8           /* length, crc */

struct journal {
    int fd;
    uint8_t *pending;           /* packed frames not yet written */
    size_t len, cap;
    bool broken;                /* a write failed: no more appends */
};

static void
put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t
get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* The frame's checksum: over the length's bytes and the payload, so that
 * a flipped length is caught too. */
static uint32_t
frame_crc(const uint8_t *head, const uint8_t *payload, size_t len)
{
    return crc32c(crc32c(0, head, 4), payload, len);
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* ---------------------------------------------------------------- read */

/* The whole file, malloc()ed, or NULL with errno set. */
static uint8_t *
slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    uint8_t *buf = NULL;
    size_t got = 0;
    int saved;

    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) < 0)
        goto fail;
    if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        goto fail;
    }
    if ((buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1)) == NULL)
        goto fail;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto fail;
        if (n == 0)
            break;              /* shrank while read: what is there */
        got += (size_t)n;
    }
    close(fd);
    *len = got;
    return buf;
fail:
    saved = errno;
    free(buf);
    close(fd);
    errno = saved;
    return NULL;
}

static int
keep_record(struct journal_contents *c, Mrj__Record *rec, size_t *cap)
{
    if (c->n == *cap) {
        size_t more = *cap ? *cap * 2 : 64;
        Mrj__Record **r = realloc(c->records, more * sizeof(*r));
        if (r == NULL)
            return -ENOMEM;
        c->records = r;
        *cap = more;
    }
    c->records[c->n++] = rec;
    return 0;
}

int
journal_read(const char *path, struct journal_contents *out,
             char err[MR_ERR_LEN])
{
    size_t len = 0, off = MAGIC_LEN, cap = 0;
    uint8_t *buf = slurp(path, &len);

    memset(out, 0, sizeof(*out));
    if (buf == NULL) {
        int rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot read the journal %s: %s", path,
                 strerror(errno));
        return rc;
    }
    out->file_bytes = len;
    if (len < MAGIC_LEN || memcmp(buf, MAGIC, MAGIC_LEN) != 0) {
        snprintf(err, MR_ERR_LEN, "%s is not a journal of this build (its "
                 "first bytes are not the journal's)", path);
        free(buf);
        return MR_EBADDATA;
    }
    while (off < len) {
        uint32_t n;
        Mrj__Record *rec;

        if (len - off >= FRAME_HEAD &&
            get_u32(buf + off) > JOURNAL_MAX_RECORD) {
            out->end = JOURNAL_CORRUPT;
            snprintf(out->damage, sizeof(out->damage), "a record of an "
                     "impossible length at byte %zu", off);
            break;
        }
        if (len - off < FRAME_HEAD ||
            len - off - FRAME_HEAD < (n = get_u32(buf + off))) {
            out->end = JOURNAL_TORN;
            snprintf(out->damage, sizeof(out->damage), "a torn record at "
                     "byte %zu", off);
            break;
        }
        if (frame_crc(buf + off, buf + off + FRAME_HEAD, n) !=
            get_u32(buf + off + 4)) {
            out->end = JOURNAL_CORRUPT;
            snprintf(out->damage, sizeof(out->damage), "a record that fails "
                     "its checksum at byte %zu", off);
            break;
        }
        rec = mrj__record__unpack(NULL, n, buf + off + FRAME_HEAD);
        if (rec == NULL || rec->what_case == MRJ__RECORD__WHAT__NOT_SET) {
            if (rec != NULL)
                mrj__record__free_unpacked(rec, NULL);
            out->end = JOURNAL_CORRUPT;
            snprintf(out->damage, sizeof(out->damage), "a record of an "
                     "unknown kind at byte %zu", off);
            break;
        }
        if (keep_record(out, rec, &cap) < 0) {
            mrj__record__free_unpacked(rec, NULL);
            journal_contents_free(out);
            free(buf);
            snprintf(err, MR_ERR_LEN, "out of memory reading %s", path);
            return -ENOMEM;
        }
        off += FRAME_HEAD + n;
    }
    out->valid_bytes = off;
    free(buf);
    return 0;
}

void
journal_contents_free(struct journal_contents *c)
{
    for (size_t i = 0; i < c->n; i++)
        mrj__record__free_unpacked(c->records[i], NULL);
    free(c->records);
    memset(c, 0, sizeof(*c));
}

/* ---------------------------------------------------------------- write */

int
journal_open(const char *path, uint64_t keep_bytes, journal **out,
             char err[MR_ERR_LEN])
{
    journal *j = calloc(1, sizeof(*j));
    int flags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW;
    int rc = 0;

    *out = NULL;
    if (j == NULL) {
        snprintf(err, MR_ERR_LEN, "out of memory");
        return -ENOMEM;
    }
    if (keep_bytes == 0)
        flags |= O_CREAT | O_EXCL;
    if ((j->fd = open(path, flags, 0600)) < 0) {
        rc = -errno;
    } else if (keep_bytes == 0) {
        if ((rc = write_all(j->fd, (const uint8_t *)MAGIC, MAGIC_LEN)) == 0 &&
            fdatasync(j->fd) < 0)
            rc = -errno;
        if (rc == 0)
            rc = atomic_file_sync_dir(path);
    } else if (ftruncate(j->fd, (off_t)keep_bytes) < 0 ||
               fdatasync(j->fd) < 0) {
        rc = -errno;
    }
    if (rc < 0) {
        snprintf(err, MR_ERR_LEN, "cannot %s the journal %s: %s",
                 keep_bytes ? "open" : "create", path, strerror(-rc));
        if (j->fd >= 0)
            close(j->fd);
        free(j);
        return rc;
    }
    *out = j;
    return 0;
}

int
journal_append(journal *j, const Mrj__Record *rec)
{
    size_t n = mrj__record__get_packed_size(rec);

    if (n > JOURNAL_MAX_RECORD)
        return MR_ETOOBIG;
    if (j->cap - j->len < FRAME_HEAD + n) {
        size_t cap = j->cap ? j->cap : 4096;
        uint8_t *p;
        while (cap - j->len < FRAME_HEAD + n)
            cap *= 2;
        if ((p = realloc(j->pending, cap)) == NULL)
            return -ENOMEM;
        j->pending = p;
        j->cap = cap;
    }
    put_u32(j->pending + j->len, (uint32_t)n);
    mrj__record__pack(rec, j->pending + j->len + FRAME_HEAD);
    put_u32(j->pending + j->len + 4,
            frame_crc(j->pending + j->len, j->pending + j->len + FRAME_HEAD,
                      n));
    j->len += FRAME_HEAD + n;
    return 0;
}

bool
journal_dirty(const journal *j)
{
    return j != NULL && j->len > 0;
}

int
journal_sync(journal *j, char err[MR_ERR_LEN])
{
    int rc;

    if (j->broken) {
        snprintf(err, MR_ERR_LEN, "the journal stopped at an earlier "
                 "error");
        return -EIO;
    }
    if (j->len == 0)
        return 0;
    rc = write_all(j->fd, j->pending, j->len);
    if (rc == 0 && fdatasync(j->fd) < 0)
        rc = -errno;
    j->len = 0;
    if (rc < 0) {
        j->broken = true;
        snprintf(err, MR_ERR_LEN, "cannot write the journal: %s",
                 strerror(-rc));
    }
    return rc;
}

void
journal_close(journal *j)
{
    if (j == NULL)
        return;
    close(j->fd);
    free(j->pending);
    free(j);
}
