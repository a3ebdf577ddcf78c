/* App module loading with dlopen: one entry symbol returning a table that
 * carries an ABI version, checked before anything is called. */
#define _GNU_SOURCE
#include "app.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

typedef const struct mr_app *entry_fn(void);

static int
refuse(struct app_module *m, char err[MR_ERR_LEN], const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
refuse(struct app_module *m, char err[MR_ERR_LEN], const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, MR_ERR_LEN, fmt, ap);
    va_end(ap);
    app_unload(m);
    return MR_EBADAPP;
}

/* The digest of the file at path. Returns 0 or -errno. */
static int
digest_file(const char *path, uint8_t out[MR_APP_DIGEST_LEN])
{
    crypto_generichash_state st;
    unsigned char buf[65536];
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;
    ssize_t n;

    if (fd < 0)
        return -errno;
    crypto_generichash_init(&st, NULL, 0, MR_APP_DIGEST_LEN);
    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            break;
        }
        crypto_generichash_update(&st, buf, (unsigned long long)n);
    }
    crypto_generichash_final(&st, out, MR_APP_DIGEST_LEN);
    close(fd);
    return rc;
}

void
app_digest_hex(const uint8_t *digest, size_t n, char *buf)
{
    for (size_t i = 0; i < n; i++)
        snprintf(buf + 2 * i, 3, "%02x", digest[i]);
    buf[2 * n] = '\0';
}

int
app_load(const char *path, struct app_module *m, char err[MR_ERR_LEN])
{
    char local[4096];
    struct stat st;
    const struct mr_app *app;
    entry_fn *entry;
    const char *why;
    int rc;

    memset(m, 0, sizeof(*m));
    if (stat(path, &st) < 0) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "app module %s: %s (build the apps with "
                 "'make', or give the path to a .so)", path, strerror(errno));
        return rc;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, MR_ERR_LEN, "app module %s is not a regular file",
                 path);
        return MR_EBADAPP;
    }
    snprintf(m->path, sizeof(m->path), "%s", path);
    if ((rc = digest_file(path, m->digest)) < 0) {
        snprintf(err, MR_ERR_LEN, "app module %s cannot be read: %s", path,
                 strerror(-rc));
        return rc;
    }
    if (strchr(path, '/') == NULL) {
        snprintf(local, sizeof(local), "./%s", path);
        path = local;
    }
    m->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (m->handle == NULL)
        return refuse(m, err, "%s is not a loadable app module: %s", path,
                      dlerror());
    dlerror();
    entry = (entry_fn *)dlsym(m->handle, MR_APP_ENTRY_SYMBOL);
    if (entry == NULL) {
        why = dlerror();
        return refuse(m, err, "%s has no " MR_APP_ENTRY_SYMBOL "() (is it an "
                      "app built against include/mrapp.h?): %s", path,
                      why ? why : "symbol is NULL");
    }
    app = entry();
    if (app == NULL)
        return refuse(m, err, "%s: " MR_APP_ENTRY_SYMBOL "() returned NULL",
                      path);
    if (app->abi_version < 1 || app->abi_version > MR_APP_ABI_VERSION)
        return refuse(m, err, "%s was built for app ABI version %u; this "
                      "worker runs versions 1 to %u: rebuild it against this "
                      "include/mrapp.h", path, app->abi_version,
                      MR_APP_ABI_VERSION);
    /* Copy only the fields the module's version has: an older module's
     * table is shorter. */
    if (app->abi_version == 1)
        memcpy(&m->table, app, offsetof(struct mr_app, builtin_combiner));
    else
        m->table = *app;
    m->app = &m->table;
    if (m->app->builtin_combiner > MR_COMBINER_SUM)
        return refuse(m, err, "%s asks for built-in combiner %u, which this "
                      "worker does not have", path,
                      m->app->builtin_combiner);
    if (m->app->map == NULL || m->app->reduce == NULL)
        return refuse(m, err, "%s: the app table lacks a map or reduce "
                      "callback", path);
    return 0;
}

void
app_unload(struct app_module *m)
{
    if (m->handle != NULL)
        dlclose(m->handle);
    m->handle = NULL;
    m->app = NULL;
}
