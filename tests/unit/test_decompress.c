/* Compressed inputs (worker/decompress.c, common/compressed.h): gzip and
 * zstd files, made here with zlib and libzstd, read back whole; gzip
 * members and zstd frames one after another; a truncated or corrupt file
 * refused with a sentence naming it; an empty result. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "decompress.h"

static char path[PATH_MAX];

static void
make_path(void)
{
    int fd;

    snprintf(path, sizeof(path), "/tmp/mr-decompress-test-XXXXXX");
    cr_assert_geq(fd = mkstemp(path), 0);
    close(fd);
}

static void
remove_path(void)
{
    unlink(path);
}

TestSuite(decompress, .init = make_path, .fini = remove_path);

/* Some text that compresses, n bytes of it, different per seed. */
static char *
text(size_t n, unsigned seed)
{
    char *t = malloc(n + 1);

    for (size_t i = 0; i < n; i++)
        t[i] = (i + seed) % 61 == 0 ? '\n' : (char)('a' + (i * 7 + seed) % 26);
    return t;
}

/* Appends one gzip member holding data to the file at path. */
static void
append_gzip(const char *data, size_t len)
{
    gzFile gz = gzopen(path, "ab");

    cr_assert_not_null(gz);
    cr_assert_eq(gzwrite(gz, data, (unsigned)len), (int)len);
    cr_assert_eq(gzclose(gz), Z_OK);
}

static void
append_zstd(const char *data, size_t len)
{
    size_t cap = ZSTD_compressBound(len), n;
    char *buf = malloc(cap);
    FILE *f = fopen(path, "ab");

    n = ZSTD_compress(buf, cap, data, len, 3);
    cr_assert(!ZSTD_isError(n));
    cr_assert_eq(fwrite(buf, 1, n, f), n);
    fclose(f);
    free(buf);
}

/* Reads path back; returns decompress_read's code. */
static int
read_back(char **data, size_t *len, char err[MR_ERR_LEN])
{
    unsigned char head[4];
    int fd = open(path, O_RDONLY), rc;
    ssize_t n = read(fd, head, sizeof(head));
    enum compressed_kind kind = compressed_kind(head, n > 0 ? (size_t)n : 0);

    cr_assert_neq(kind, COMPRESSED_NONE, "not seen as compressed");
    lseek(fd, 0, SEEK_SET);
    rc = decompress_read(fd, path, kind, data, len, err);
    close(fd);
    return rc;
}

static void
truncate_by(off_t cut)
{
    int fd = open(path, O_RDWR);
    off_t size = lseek(fd, 0, SEEK_END);

    cr_assert_eq(ftruncate(fd, size - cut), 0);
    close(fd);
}

Test(decompress, kinds_are_told_by_their_first_bytes)
{
    cr_assert_eq(compressed_kind((const unsigned char *)"\x1f\x8b\x08", 3),
                 COMPRESSED_GZIP);
    cr_assert_eq(compressed_kind((const unsigned char *)"\x28\xb5\x2f\xfd",
                                 4), COMPRESSED_ZSTD);
    cr_assert_eq(compressed_kind((const unsigned char *)"\x28\xb5", 2),
                 COMPRESSED_NONE);
    cr_assert_eq(compressed_kind((const unsigned char *)"the ", 4),
                 COMPRESSED_NONE);
    cr_assert_eq(compressed_kind((const unsigned char *)"", 0),
                 COMPRESSED_NONE);
}

/* Two members of 3 MB each: more than one read buffer, and the second
 * member is not dropped. */
static void
check_two_parts(void (*append)(const char *, size_t))
{
    size_t n = 3u << 20, len;
    char *a = text(n, 1), *b = text(n, 2), *data, err[MR_ERR_LEN];

    append(a, n);
    append(b, n);
    cr_assert_eq(read_back(&data, &len, err), 0, "%s", err);
    cr_assert_eq(len, 2 * n);
    cr_assert(memcmp(data, a, n) == 0 && memcmp(data + n, b, n) == 0);
    free(data);
    free(a);
    free(b);
}

Test(decompress, gzip_members_in_a_row) { check_two_parts(append_gzip); }
Test(decompress, zstd_frames_in_a_row) { check_two_parts(append_zstd); }

Test(decompress, empty_content)
{
    char *data, err[MR_ERR_LEN];
    size_t len = 1;

    append_gzip("", 0);
    cr_assert_eq(read_back(&data, &len, err), 0, "%s", err);
    cr_assert_eq(len, 0);
    cr_assert_not_null(data);
    free(data);
}

static void
check_truncated(void (*append)(const char *, size_t), const char *kind)
{
    size_t n = 1u << 20, len;
    char *a = text(n, 3), *data, err[MR_ERR_LEN] = "";

    append(a, n);
    truncate_by(100);
    cr_assert_eq(read_back(&data, &len, err), -EINVAL);
    cr_assert_null(data);
    cr_assert(strstr(err, kind) && strstr(err, path) &&
              strstr(err, "corrupt or truncated"), "%s", err);
    free(a);
}

Test(decompress, truncated_gzip_is_refused)
{
    check_truncated(append_gzip, "gzip");
}

Test(decompress, truncated_zstd_is_refused)
{
    check_truncated(append_zstd, "zstd");
}

Test(decompress, corrupt_gzip_is_refused)
{
    size_t n = 1u << 16, len;
    char *a = text(n, 4), *data, err[MR_ERR_LEN] = "";
    int fd;

    append_gzip(a, n);
    fd = open(path, O_RDWR);
    cr_assert_eq(pwrite(fd, "\xff\xff\xff\xff\xff\xff", 6, 40), 6);
    close(fd);
    cr_assert_eq(read_back(&data, &len, err), -EINVAL);
    cr_assert(strstr(err, "gzip input") != NULL, "%s", err);
    free(a);
}
