/* An executable app's description and identity. See exec_app.h. */
#define _GNU_SOURCE
#include "exec_app.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file_digest.h"

/* The table's callbacks: markers, never meant to be called. A caller that
 * does (an unforeseen path) gets a failure, not a wrong answer. */
static int
exec_map_marker(const char *filename, const char *data, size_t len,
                struct mr_emitter *out)
{
    (void)filename, (void)data, (void)len, (void)out;
    fprintf(stderr, "an executable app's map runs only through its task\n");
    return 1;
}

static int
exec_reduce_marker(const char *key, size_t klen, struct mr_values *values,
                   struct mr_output *out)
{
    (void)key, (void)klen, (void)values, (void)out;
    fprintf(stderr, "an executable app's reduce runs only through its "
            "task\n");
    return 1;
}

const struct exec_app *
exec_app_of(const struct mr_app *app)
{
    if (app == NULL || app->map != exec_map_marker)
        return NULL;
    return (const struct exec_app *)app;
}

/* The canonical description the digest is taken over: one field a line,
 * each command's length before it so that no command can imitate a field
 * boundary. */
static void
identify(const struct exec_app *x, uint8_t digest[MR_APP_DIGEST_LEN])
{
    const char *comb = x->combiner ? x->combiner : "";
    size_t mlen = strlen(x->mapper), rlen = strlen(x->reducer);
    size_t clen = strlen(comb), cap = mlen + rlen + clen + 128;
    char *desc = malloc(cap);
    int n;

    if (desc == NULL) {         /* caller checked sizes: cannot happen */
        memset(digest, 0, MR_APP_DIGEST_LEN);
        return;
    }
    n = snprintf(desc, cap, "mr exec app 1\nprotocol %s\nmapper %zu %s\n"
                 "reducer %zu %s\ncombiner %zu %s\n%s",
                 x->framed ? "framed" : "text", mlen, x->mapper, rlen,
                 x->reducer, clen, comb,
                 x->table.builtin_combiner == MR_COMBINER_SUM ? "summing\n"
                                                              : "");
    file_digest_bytes(desc, (size_t)n, digest);
    free(desc);
}

int
exec_app_load(const struct exec_spec *spec, struct app_module *m,
              char err[MR_ERR_LEN])
{
    size_t mlen = strlen(spec->mapper), rlen = strlen(spec->reducer);
    size_t clen = spec->combiner ? strlen(spec->combiner) : 0;
    struct exec_app *x;

    memset(m, 0, sizeof(*m));
    if (mlen == 0 || rlen == 0 || (spec->combiner != NULL && clen == 0)) {
        snprintf(err, MR_ERR_LEN, "--%s is empty: give a command, such as "
                 "'python3 %s.py'", mlen == 0 ? "mapper" :
                 rlen == 0 ? "reducer" : "combiner",
                 mlen == 0 ? "map" : rlen == 0 ? "reduce" : "combine");
        return MR_EBADAPP;
    }
    x = calloc(1, sizeof(*x) + mlen + rlen + clen + 3);
    if (x == NULL) {
        snprintf(err, MR_ERR_LEN, "out of memory");
        return -ENOMEM;
    }
    x->table.abi_version = MR_APP_ABI_VERSION;
    x->table.name = EXEC_APP_NAME;
    x->table.map = exec_map_marker;
    x->table.reduce = exec_reduce_marker;
    x->table.builtin_combiner = spec->sum ? MR_COMBINER_SUM
                                          : MR_COMBINER_APP;
    x->framed = spec->framed;
    x->timeout_ms = spec->timeout_ms;
    memcpy(x->text, spec->mapper, mlen + 1);
    memcpy(x->text + mlen + 1, spec->reducer, rlen + 1);
    x->mapper = x->text;
    x->reducer = x->text + mlen + 1;
    if (spec->combiner != NULL) {
        memcpy(x->text + mlen + rlen + 2, spec->combiner, clen + 1);
        x->combiner = x->text + mlen + rlen + 2;
    }
    identify(x, m->digest);
    snprintf(m->path, sizeof(m->path), "%smapper `%s`, reducer `%s`%s%s%s%s",
             x->framed ? "framed " : "", x->mapper, x->reducer,
             x->combiner ? ", combiner `" : "",
             x->combiner ? x->combiner : "", x->combiner ? "`" : "",
             spec->sum ? ", values summed" : "");
    m->exec = x;
    m->app = &x->table;
    m->table = x->table;
    return 0;
}
