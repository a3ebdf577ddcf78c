/* Reading the shared secret of --token-file: the whole file, less one
 * trailing newline, at least TOKEN_MIN_LEN bytes, readable by its owner
 * alone. Make one with: head -c 32 /dev/urandom | base64 > FILE; chmod 600
 * FILE. */
#ifndef MR_TOKEN_H
#define MR_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "mr_err.h"

#define TOKEN_MIN_LEN 16
#define TOKEN_MAX_LEN 4096

struct token {
    uint8_t bytes[TOKEN_MAX_LEN];
    size_t len;
};

/* Reads path into *t. Returns 0, or an error with err saying what is wrong
 * and what to do. */
int token_read(const char *path, struct token *t, char err[MR_ERR_LEN]);

/* Overwrites the secret. */
void token_forget(struct token *t);

#endif
