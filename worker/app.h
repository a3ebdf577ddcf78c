/* Loading app modules (.so files built against include/mrapp.h). */
#ifndef WORKER_APP_H
#define WORKER_APP_H

#include <limits.h>
#include <stdint.h>

#include "mr_err.h"
#include "mrapp.h"
#include "protocol.h"

struct exec_app;

struct app_module {
    void *handle;               /* from dlopen; NULL when not loaded */
    const struct mr_app *app;   /* &table once loaded */
    struct mr_app table;        /* the module's table, fields its ABI
                                   version lacks zeroed */
    char path[PATH_MAX];        /* as given, or as shown (app_load_as) */
    /* Identifies the module to the coordinator: BLAKE2b-256 of its file
     * (file_digest.h), taken before it is loaded. */
    uint8_t digest[MR_APP_DIGEST_LEN];
    struct exec_app *exec;      /* owned: an executable app's commands
                                   (exec_app.h), app pointing into it;
                                   NULL for a module */
};

/* Loads the module at path (a bare name is taken relative to the current
 * directory, not the library search path) and checks its entry point, ABI
 * version and callbacks. Returns 0, or MR_EBADAPP / -ENOENT with err
 * filled: every message says what is wrong and includes dlerror() where
 * the dynamic loader failed. */
int app_load(const char *path, struct app_module *m, char err[MR_ERR_LEN]);

/* As app_load, for a module whose path means nothing to a person (the
 * job's module fetched into memory, /proc/self/fd/N): messages and m->path
 * name it as shown ("the job's module from tcp:host:port"). */
int app_load_as(const char *path, const char *shown, struct app_module *m,
                char err[MR_ERR_LEN]);

/* Unloads (frees an exec app); safe on a module that failed to load. */
void app_unload(struct app_module *m);

#endif
