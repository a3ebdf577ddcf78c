/* The BLAKE2b-256 digest that identifies an app module (common/protocol.h):
 * of a file, of an open file, of bytes in memory, and its hex for
 * messages. One implementation for the worker that loads a module and the
 * coordinator that serves one. Needs libsodium (crypto_generichash). */
#ifndef MR_FILE_DIGEST_H
#define MR_FILE_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "protocol.h"

/* Room for the whole digest in hex, with its NUL. */
#define FILE_DIGEST_HEX_LEN (2 * MR_APP_DIGEST_LEN + 1)
/* Bytes of a digest shown in messages: 16 hex digits. */
#define FILE_DIGEST_SHOWN 8

/* The digest of the file at path into out. Returns 0, or -errno (out is
 * then undefined). */
int file_digest(const char *path, uint8_t out[MR_APP_DIGEST_LEN]);

/* The digest of all of the open file fd, from its offset 0 to its end,
 * read with pread: fd's own offset does not move. Returns 0 or -errno. */
int file_digest_fd(int fd, uint8_t out[MR_APP_DIGEST_LEN]);

/* The digest of len bytes at data: the same as of a file holding them. */
void file_digest_bytes(const void *data, size_t len,
                       uint8_t out[MR_APP_DIGEST_LEN]);

/* The first n bytes of digest in hex into buf, which holds 2 * n + 1
 * (FILE_DIGEST_HEX_LEN for all of it). */
void file_digest_hex(const uint8_t *digest, size_t n, char *buf);

#endif
