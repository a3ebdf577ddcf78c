/* Loading app modules (.so files built against include/mrapp.h). */
#ifndef WORKER_APP_H
#define WORKER_APP_H

#include <limits.h>
#include <stdint.h>

#include "mr_err.h"
#include "mrapp.h"
#include "protocol.h"

struct app_module {
    void *handle;               /* from dlopen; NULL when not loaded */
    const struct mr_app *app;   /* &table once loaded */
    struct mr_app table;        /* the module's table, fields its ABI
                                   version lacks zeroed */
    char path[PATH_MAX];        /* as given */
    /* Identifies the module to the coordinator: BLAKE2b-256 of its file,
     * taken before it is loaded. */
    uint8_t digest[MR_APP_DIGEST_LEN];
};

/* Loads the module at path (a bare name is taken relative to the current
 * directory, not the library search path) and checks its entry point, ABI
 * version and callbacks. Returns 0, or MR_EBADAPP / -ENOENT with err
 * filled: every message says what is wrong and includes dlerror() where
 * the dynamic loader failed. */
int app_load(const char *path, struct app_module *m, char err[MR_ERR_LEN]);

/* The digest's first bytes in hex, for messages: buf holds 2 * n + 1. */
void app_digest_hex(const uint8_t *digest, size_t n, char *buf);

/* Unloads; safe on a module that failed to load. */
void app_unload(struct app_module *m);

#endif
