/* BLAKE2b-256 of files and bytes with libsodium. See file_digest.h. */
#define _GNU_SOURCE
#include "file_digest.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <unistd.h>

int
file_digest(const char *path, uint8_t out[MR_APP_DIGEST_LEN])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

    if (fd < 0)
        return -errno;
    rc = file_digest_fd(fd, out);
    close(fd);
    return rc;
}

int
file_digest_fd(int fd, uint8_t out[MR_APP_DIGEST_LEN])
{
    crypto_generichash_state st;
    unsigned char buf[65536];
    off_t at = 0;
    ssize_t n;

    crypto_generichash_init(&st, NULL, 0, MR_APP_DIGEST_LEN);
    while ((n = pread(fd, buf, sizeof(buf), at)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        crypto_generichash_update(&st, buf, (unsigned long long)n);
        at += n;
    }
    crypto_generichash_final(&st, out, MR_APP_DIGEST_LEN);
    return 0;
}

void
file_digest_bytes(const void *data, size_t len,
                  uint8_t out[MR_APP_DIGEST_LEN])
{
    crypto_generichash(out, MR_APP_DIGEST_LEN, data, len, NULL, 0);
}

void
file_digest_hex(const uint8_t *digest, size_t n, char *buf)
{
    for (size_t i = 0; i < n; i++)
        snprintf(buf + 2 * i, 3, "%02x", digest[i]);
    buf[2 * n] = '\0';
}
