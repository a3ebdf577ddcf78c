/* gzip (zlib) and zstd (libzstd) inputs decompressed whole into memory. */
#include "decompress.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

/* A growing buffer of decompressed bytes. */
struct sink {
    char *data;
    size_t len, cap;
};

/* Room for at least want more bytes; -ENOMEM or -EFBIG. */
static int
sink_reserve(struct sink *s, size_t want)
{
    size_t cap = s->cap ? s->cap : 1 << 20;
    char *more;

    if (want > DECOMPRESS_MAX - s->len)
        return -EFBIG;
    while (cap - s->len < want)
        cap *= 2;
    if (cap > DECOMPRESS_MAX)
        cap = DECOMPRESS_MAX;
    if (cap == s->cap)
        return 0;
    if ((more = realloc(s->data, cap)) == NULL)
        return -ENOMEM;
    s->data = more;
    s->cap = cap;
    return 0;
}

static int
sink_fail(struct sink *s, int rc, const char *path, const char *kind,
          const char *why, char err[MR_ERR_LEN])
{
    if (rc == -EFBIG)
        snprintf(err, MR_ERR_LEN, "%s input %s decompresses to more than "
                 "%zu GiB, the most a map task takes", kind, path,
                 DECOMPRESS_MAX >> 30);
    else if (rc == -ENOMEM)
        snprintf(err, MR_ERR_LEN, "out of memory decompressing %s input %s",
                 kind, path);
    else
        snprintf(err, MR_ERR_LEN, "%s input %s is corrupt or truncated: %s",
                 kind, path, why);
    free(s->data);
    s->data = NULL;
    return rc;
}

/* gzread handles concatenated members, as gzip -d does, and stops at a
 * truncated end with an error gzerror() then tells. */
static int
read_gzip(int fd, const char *path, struct sink *s, char err[MR_ERR_LEN])
{
    int dupfd = dup(fd), rc = 0, errnum = Z_OK;
    const char *why = "";
    gzFile gz;

    if (dupfd < 0 || (gz = gzdopen(dupfd, "rb")) == NULL) {
        if (dupfd >= 0)
            close(dupfd);
        return sink_fail(s, -ENOMEM, path, "gzip", "", err);
    }
    gzbuffer(gz, 256 << 10);
    for (;;) {
        int n;
        if ((rc = sink_reserve(s, 1 << 20)) < 0)
            break;
        n = gzread(gz, s->data + s->len, 1u << 20);
        if (n <= 0) {
            why = gzerror(gz, &errnum);
            if (strncmp(why, "<fd:", 4) == 0 && strstr(why, ": ") != NULL)
                why = strstr(why, ": ") + 2;    /* zlib's name of the fd */
            if (errnum == Z_ERRNO)
                rc = -errno, why = strerror(errno);
            else if (errnum != Z_OK)
                rc = -EINVAL;
            break;
        }
        s->len += (size_t)n;
    }
    if (rc < 0)
        rc = sink_fail(s, rc, path, "gzip", why, err);
    gzclose(gz);
    return rc;
}

/* One ZSTD_decompressStream() call into s: *left is its hint (0: a frame
 * ended and all of it is out), *produced the bytes it wrote. */
static int
zstd_step(ZSTD_DCtx *dctx, ZSTD_inBuffer *in, struct sink *s, size_t *left,
          size_t *produced, const char *path, char err[MR_ERR_LEN])
{
    ZSTD_outBuffer out;
    int rc;

    if ((rc = sink_reserve(s, 1 << 20)) < 0)
        return sink_fail(s, rc, path, "zstd", "", err);
    out.dst = s->data + s->len;
    out.size = s->cap - s->len;
    out.pos = 0;
    *left = ZSTD_decompressStream(dctx, &out, in);
    if (ZSTD_isError(*left))
        return sink_fail(s, -EINVAL, path, "zstd", ZSTD_getErrorName(*left),
                         err);
    s->len += out.pos;
    *produced = out.pos;
    return 0;
}

/* Frames one after another, as zstd -d reads them. */
static int
read_zstd(int fd, const char *path, struct sink *s, char err[MR_ERR_LEN])
{
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    size_t inbuf_len = ZSTD_DStreamInSize(), left = 0, produced;
    char *inbuf = malloc(inbuf_len);
    int rc = 0;

    if (dctx == NULL || inbuf == NULL) {
        rc = sink_fail(s, -ENOMEM, path, "zstd", "", err);
        goto out;
    }
    for (;;) {
        ssize_t n = read(fd, inbuf, inbuf_len);
        ZSTD_inBuffer in = {inbuf, n > 0 ? (size_t)n : 0, 0};
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            snprintf(err, MR_ERR_LEN, "cannot read zstd input %s: %s", path,
                     strerror(errno));
            free(s->data);
            s->data = NULL;
            goto out;
        }
        if (n == 0)
            break;
        while (in.pos < in.size)
            if ((rc = zstd_step(dctx, &in, s, &left, &produced, path,
                                err)) < 0)
                goto out;
    }
    /* The input is all read: flush what the context still holds; a frame
     * that cannot finish was cut short. */
    while (left != 0) {
        ZSTD_inBuffer none = {inbuf, 0, 0};
        if ((rc = zstd_step(dctx, &none, s, &left, &produced, path,
                            err)) < 0)
            goto out;
        if (produced == 0 && left != 0) {
            rc = sink_fail(s, -EINVAL, path, "zstd",
                           "unexpected end of file", err);
            goto out;
        }
    }
out:
    free(inbuf);
    ZSTD_freeDCtx(dctx);
    return rc;
}

int
decompress_read(int fd, const char *path, enum compressed_kind kind,
                char **data, size_t *len, char err[MR_ERR_LEN])
{
    struct sink s = {NULL, 0, 0};
    int rc = kind == COMPRESSED_GZIP ? read_gzip(fd, path, &s, err)
                                     : read_zstd(fd, path, &s, err);

    *data = NULL;
    *len = 0;
    if (rc < 0)
        return rc;
    if (s.data == NULL && (s.data = malloc(1)) == NULL) {
        snprintf(err, MR_ERR_LEN, "out of memory");
        return -ENOMEM;
    }
    *data = s.data;
    *len = s.len;
    return 0;
}
