/* Executable apps: a mapper and a reducer given as shell commands
 * (mrrun/mrworker/mrsequential --mapper CMD --reducer CMD [--framed])
 * instead of an app module, speaking Hadoop Streaming's text protocol or
 * our framed one over pipes (docs/exec-apps.md).
 *
 * Such an app is still a struct app_module (app.h), with no dlopen handle:
 * its table is the `table` member of a struct exec_app, whose map and
 * reduce callbacks are markers that are never called through the table.
 * A task that finds exec_app_of(app) non-NULL takes the explicit exec
 * path instead (maptask.c, reducetask.c, sequential.c: exec_task.h).
 *
 * Its identity toward the coordinator: the name "exec", this ABI version,
 * and the BLAKE2b digest of a canonical description (protocol and the
 * three command strings, an absent combiner as an empty one; not the
 * timeout), so that workers with the same
 * commands join one job and others are refused as another app. */
#ifndef WORKER_EXEC_APP_H
#define WORKER_EXEC_APP_H

#include <stdbool.h>

#include "app.h"
#include "mr_err.h"
#include "mrapp.h"

#define EXEC_APP_NAME "exec"
/* The default of --exec-timeout: a command silent this long is killed. */
#define EXEC_DEFAULT_TIMEOUT_MS 60000u

/* What the user gave. */
struct exec_spec {
    const char *mapper;         /* required */
    const char *reducer;        /* required */
    const char *combiner;       /* --combiner, or NULL: none */
    bool sum;                   /* --sum-combiner: values are counts the
                                   worker adds up (MR_COMBINER_SUM) */
    bool framed;                /* --framed: the binary-safe protocol */
    unsigned timeout_ms;        /* silence limit per command; 0: none */
};

struct exec_app {
    struct mr_app table;        /* first: what the tasks are handed */
    bool framed;
    unsigned timeout_ms;
    const char *mapper;         /* into text[] below */
    const char *reducer;
    const char *combiner;       /* NULL: none (map output is shuffled as
                                   the mapper wrote it, or summed: then
                                   table.builtin_combiner is
                                   MR_COMBINER_SUM) */
    char text[];                /* the commands, NUL-terminated */
};

/* Makes m an exec app for spec (m->exec owns it; app_unload frees it),
 * with m->path a description for people ("mapper `a`, reducer `b`",
 * then ", combiner `c`" with one) and m->digest its identity. Returns 0,
 * or MR_EBADAPP (an empty command) or
 * -ENOMEM with err filled. */
int exec_app_load(const struct exec_spec *spec, struct app_module *m,
                  char err[MR_ERR_LEN]);

/* The exec app behind a table, or NULL for a loaded module's. */
const struct exec_app *exec_app_of(const struct mr_app *app);

#endif
