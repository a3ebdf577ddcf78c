/* The one rule for naming an app module, shared by every program that takes
 * one. See app_name.h. */
#define _GNU_SOURCE
#include "app_name.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SO_SUFFIX ".so"
#define MAX_LISTED 64           /* app names the message lists at most */

static bool
is_file(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Whether name ends in ".so" with something before it. */
static bool
has_so_suffix(const char *name, size_t n)
{
    return n > strlen(SO_SUFFIX) &&
           strcmp(name + n - strlen(SO_SUFFIX), SO_SUFFIX) == 0;
}

/* The two directories rule 3 looks in, for exe_dir: dirs[0] the build's,
 * dirs[1] the install's (exe_dir's parent, lexically, then lib/...). */
static void
app_dirs(const char *exe_dir, char dirs[2][PATH_MAX])
{
    const char *slash = strrchr(exe_dir, '/');
    int parent = slash != NULL ? (int)(slash - exe_dir) : -1;

    snprintf(dirs[0], PATH_MAX, "%s/" APP_NAME_BUILD_DIR, exe_dir);
    if (parent >= 0)
        snprintf(dirs[1], PATH_MAX, "%.*s/" APP_NAME_INSTALL_DIR, parent,
                 exe_dir);
    else
        snprintf(dirs[1], PATH_MAX, "%s/../" APP_NAME_INSTALL_DIR, exe_dir);
}

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the app names in dir (its NAME.so files) to names[*n..]. */
static void
collect_names(const char *dir, char **names, size_t *n)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t len;

    if (d == NULL)
        return;
    while (*n < MAX_LISTED && (e = readdir(d)) != NULL) {
        len = strlen(e->d_name);
        if (e->d_name[0] == '.' || !has_so_suffix(e->d_name, len))
            continue;
        names[*n] = strndup(e->d_name, len - strlen(SO_SUFFIX));
        if (names[*n] != NULL)
            (*n)++;
    }
    closedir(d);
}

/* Appends "a, b, c" (the apps in dirs, sorted, each once) to out, or what
 * to do when there are none. */
static void
list_apps(char dirs[2][PATH_MAX], char *out, size_t len)
{
    char *names[2 * MAX_LISTED];
    size_t n = 0, used = strlen(out);

    collect_names(dirs[0], names, &n);
    collect_names(dirs[1], names, &n);          /* after the first's */
    if (n == 0) {
        snprintf(out + used, len - used, "none (build them with 'make')");
        return;
    }
    qsort(names, n, sizeof(names[0]), compare_names);
    for (size_t i = 0; i < n; i++)
        if ((i == 0 || strcmp(names[i], names[i - 1]) != 0) && used < len)
            used += (size_t)snprintf(out + used, len - used, "%s%s",
                                     i ? ", " : "", names[i]);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
}

int
app_name_resolve_in(const char *spec, const char *exe_dir, char *path,
                    size_t len, char err[APP_NAME_ERR_LEN])
{
    char dirs[2][PATH_MAX], tried[2][PATH_MAX + 64];
    size_t n = strlen(spec);

    if (n == 0) {
        snprintf(err, APP_NAME_ERR_LEN, "the app's name is empty: give a "
                 "name such as wc, or the path to a .so");
        return -EINVAL;
    }
    if (strchr(spec, '/') != NULL || is_file(spec)) {       /* rules 1, 2 */
        if ((size_t)snprintf(path, len, "%s", spec) >= len)
            goto out_too_long;
        return 0;
    }
    if (has_so_suffix(spec, n))
        n -= strlen(SO_SUFFIX);
    app_dirs(exe_dir, dirs);
    for (int i = 0; i < 2; i++) {                           /* rule 3 */
        snprintf(tried[i], sizeof(tried[i]), "%s/%.*s" SO_SUFFIX, dirs[i],
                 (int)n, spec);
        if (is_file(tried[i])) {
            if ((size_t)snprintf(path, len, "%s", tried[i]) >= len)
                goto out_too_long;
            return 0;
        }
    }
    snprintf(err, APP_NAME_ERR_LEN, "no app module '%s': not ./%s, nor %s, "
             "nor %s; give the path to a .so, or one of the apps there: ",
             spec, spec, tried[0], tried[1]);
    list_apps(dirs, err, APP_NAME_ERR_LEN);
    return -ENOENT;
out_too_long:
    snprintf(err, APP_NAME_ERR_LEN, "app module '%.64s...': the path is too "
             "long", spec);
    return -ENAMETOOLONG;
}

int
app_name_exe_dir(char *buf, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", buf, len - 1);
    char *slash;

    if (n <= 0 || (size_t)n >= len - 1) {
        buf[0] = '\0';
        return n < 0 ? -errno : -ENAMETOOLONG;
    }
    buf[n] = '\0';
    slash = strrchr(buf, '/');
    if (slash == buf)           /* a program in / */
        buf[1] = '\0';
    else if (slash != NULL)
        *slash = '\0';
    return 0;
}

int
app_name_resolve(const char *spec, char *path, size_t len,
                 char err[APP_NAME_ERR_LEN])
{
    char dir[PATH_MAX];
    int rc;

    if ((rc = app_name_exe_dir(dir, sizeof(dir))) < 0 &&
        strchr(spec, '/') == NULL && !is_file(spec)) {
        snprintf(err, APP_NAME_ERR_LEN, "app module '%s': cannot find this "
                 "program's directory to look for apps in (%s): give the "
                 "path to a .so", spec, strerror(-rc));
        return rc;
    }
    return app_name_resolve_in(spec, dir, path, len, err);
}
