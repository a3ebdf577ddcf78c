/* App module loading with dlopen: one entry symbol returning a table that
 * carries an ABI version, checked before anything is called. */
#define _GNU_SOURCE
#include "app.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_digest.h"

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

/* Whether the module at path holds a C++ (mangled) name of the entry
 * point, such as _ZN5myapp12mr_app_entryEv (one defined in a namespace,
 * or with a signature other than the header's): copies the first into
 * name. Reads the file's string tables as bytes; false when it cannot. */
static bool
find_cxx_entry(const char *path, char *name, size_t len)
{
    static const char mangled[] = "12" MR_APP_ENTRY_SYMBOL;
    struct stat st;
    const char *data, *hit, *start, *end;
    bool found = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return false;
    if (fstat(fd, &st) < 0 || st.st_size == 0 ||
        (data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
                     0)) == MAP_FAILED) {
        close(fd);
        return false;
    }
    close(fd);
    end = data + st.st_size;
    for (hit = data; !found && (hit = memmem(hit, (size_t)(end - hit),
                                             mangled, sizeof(mangled) - 1));
         hit++) {
        for (start = hit; start > data && start[-1] > ' ' &&
                          start[-1] < 0x7f; start--)
            ;
        /* _ZZ...: a local of the function (its static table), not it. */
        found = end - start > 2 && start[0] == '_' && start[1] == 'Z' &&
                start[2] != 'Z';
        if (found)
            snprintf(name, len, "%.*s",
                     (int)strnlen(start, (size_t)(end - start)), start);
    }
    munmap((void *)data, (size_t)st.st_size);
    return found;
}

int
app_load(const char *path, struct app_module *m, char err[MR_ERR_LEN])
{
    return app_load_as(path, path, m, err);
}

int
app_load_as(const char *path, const char *shown, struct app_module *m,
            char err[MR_ERR_LEN])
{
    char local[4096], cxx_name[128];
    struct stat st;
    const struct mr_app *app;
    entry_fn *entry;
    const char *why;
    int rc;

    memset(m, 0, sizeof(*m));
    if (stat(path, &st) < 0) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "app module %s: %s (build the apps with "
                 "'make', or give the path to a .so)", shown, strerror(errno));
        return rc;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, MR_ERR_LEN, "app module %s is not a regular file",
                 shown);
        return MR_EBADAPP;
    }
    snprintf(m->path, sizeof(m->path), "%s", shown);
    if ((rc = file_digest(path, m->digest)) < 0) {
        snprintf(err, MR_ERR_LEN, "app module %s cannot be read: %s", shown,
                 strerror(-rc));
        return rc;
    }
    if (strchr(path, '/') == NULL) {
        snprintf(local, sizeof(local), "./%s", path);
        if (shown == path)
            shown = local;
        path = local;
    }
    m->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (m->handle == NULL)
        return refuse(m, err, "%s is not a loadable app module: %s", shown,
                      dlerror());
    dlerror();
    entry = (entry_fn *)dlsym(m->handle, MR_APP_ENTRY_SYMBOL);
    if (entry == NULL && find_cxx_entry(path, cxx_name, sizeof(cxx_name)))
        return refuse(m, err, "%s has no " MR_APP_ENTRY_SYMBOL "() with C "
                      "linkage, only a C++ one, %.60s: define it with "
                      "MR_APP(...), or after #include \"mrapp.h\" at file "
                      "scope, not in a namespace", shown, cxx_name);
    if (entry == NULL) {
        why = dlerror();
        return refuse(m, err, "%s has no " MR_APP_ENTRY_SYMBOL "() (is it an "
                      "app built against include/mrapp.h?): %s", shown,
                      why ? why : "symbol is NULL");
    }
    app = entry();
    if (app == NULL)
        return refuse(m, err, "%s: " MR_APP_ENTRY_SYMBOL "() returned NULL",
                      shown);
    if (app->abi_version < 1 || app->abi_version > MR_APP_ABI_VERSION)
        return refuse(m, err, "%s was built for app ABI version %u; this "
                      "worker runs versions 1 to %u: rebuild it against this "
                      "include/mrapp.h", shown, app->abi_version,
                      MR_APP_ABI_VERSION);
    /* Copy only the fields the module's version has: an older module's
     * table is shorter. */
    if (app->abi_version == 1)
        memcpy(&m->table, app, offsetof(struct mr_app, builtin_combiner));
    else if (app->abi_version < 4)
        memcpy(&m->table, app, offsetof(struct mr_app, map_line));
    else
        m->table = *app;
    m->app = &m->table;
    if (m->app->builtin_combiner > MR_COMBINER_SUM)
        return refuse(m, err, "%s asks for built-in combiner %u, which this "
                      "worker does not have", shown,
                      m->app->builtin_combiner);
    if (m->app->map == NULL && m->app->map_line == NULL)
        return refuse(m, err, "%s: the app table has no map callback (set "
                      "map, or map_line with MR_APP_LINES)", shown);
    if (m->app->map != NULL && m->app->map_line != NULL)
        return refuse(m, err, "%s: the app table has both map and map_line; "
                      "an app maps whole inputs or lines, not both", shown);
    if (m->app->reduce == NULL)
        return refuse(m, err, "%s: the app table lacks a reduce callback",
                      shown);
    return 0;
}

void
app_unload(struct app_module *m)
{
    if (m->handle != NULL)
        dlclose(m->handle);
    m->handle = NULL;
    m->app = NULL;
    free(m->exec);
    m->exec = NULL;
}
