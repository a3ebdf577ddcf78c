/* The app module digest (common/file_digest.h): known answers, the same
 * digest of a file, an open file and the bytes in memory (past one read
 * buffer too), an fd's offset left alone, and a missing file's errno. The
 * answers are those of `b2sum -l 256`. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file_digest.h"

/* Writes len bytes of data to a new temporary file, whose path goes to
 * path (PATH_MAX); the caller unlinks it. */
static void
write_file(const void *data, size_t len, char *path)
{
    int fd;

    snprintf(path, PATH_MAX, "/tmp/mr-digest-test-XXXXXX");
    fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, data, len), (ssize_t)len);
    cr_assert_eq(close(fd), 0);
}

/* The digest of path in hex, from each of the three entry points, which
 * must agree. */
static void
digest_hex_three_ways(const char *path, const void *data, size_t len,
                      char hex[FILE_DIGEST_HEX_LEN])
{
    uint8_t of_path[MR_APP_DIGEST_LEN], of_fd[MR_APP_DIGEST_LEN],
        of_bytes[MR_APP_DIGEST_LEN];
    int fd = open(path, O_RDONLY);

    cr_assert_geq(fd, 0);
    cr_assert_eq(lseek(fd, 3, SEEK_SET), 3);
    cr_assert_eq(file_digest(path, of_path), 0);
    cr_assert_eq(file_digest_fd(fd, of_fd), 0);
    cr_assert_eq(lseek(fd, 0, SEEK_CUR), 3, "the fd's offset moved");
    close(fd);
    file_digest_bytes(data, len, of_bytes);
    cr_assert_arr_eq(of_path, of_fd, MR_APP_DIGEST_LEN);
    cr_assert_arr_eq(of_path, of_bytes, MR_APP_DIGEST_LEN);
    file_digest_hex(of_path, MR_APP_DIGEST_LEN, hex);
}

Test(file_digest, known_answers)
{
    static const struct {
        const char *name;
        size_t len;             /* bytes of 'a' after "abc"; 0: none */
        const char *text;
        const char *want;       /* b2sum -l 256 */
    } cases[] = {
        {"empty", 0, "",
         "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"},
        {"abc", 0, "abc",
         "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"},
        /* longer than the 64 KiB the file is read by */
        {"many-a", 200000, NULL,
         "5d9714feafe283193f3554a956c08f5d8fbade49844b12bf3ba49ac2aa9107e3"},
    };
    char path[PATH_MAX], hex[FILE_DIGEST_HEX_LEN];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = cases[i].text ? strlen(cases[i].text) : cases[i].len;
        char *data = malloc(len + 1);

        cr_assert_not_null(data);
        if (cases[i].text)
            memcpy(data, cases[i].text, len);
        else
            memset(data, 'a', len);
        write_file(data, len, path);
        digest_hex_three_ways(path, data, len, hex);
        unlink(path);
        cr_assert_str_eq(hex, cases[i].want, "%s", cases[i].name);
        free(data);
    }
}

Test(file_digest, hex_shows_the_first_bytes)
{
    uint8_t d[MR_APP_DIGEST_LEN] = {0x0e, 0x57, 0x51, 0xc0, 0x26, 0xe5,
                                    0x43, 0xb2, 0xe8};
    char hex[2 * FILE_DIGEST_SHOWN + 1];

    file_digest_hex(d, FILE_DIGEST_SHOWN, hex);
    cr_assert_str_eq(hex, "0e5751c026e543b2");
}

Test(file_digest, a_missing_file_says_why)
{
    uint8_t d[MR_APP_DIGEST_LEN];

    cr_assert_eq(file_digest("/nonexistent/none.so", d), -ENOENT);
    cr_assert_eq(file_digest_fd(-1, d), -EBADF);
}
