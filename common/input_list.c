/* Command-line inputs to the list of files a job reads. */
#define _GNU_SOURCE
#include "input_list.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* Where each file seen so far lives, to catch one given twice. */
struct seen {
    dev_t dev;
    ino_t ino;
    size_t index;               /* in the list */
};

struct builder {
    struct input_list *list;
    size_t cap;
    struct seen *seen;
    size_t nseen;
};

static int
append(struct builder *b, char *file)
{
    if (b->list->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 16;
        char **f = realloc(b->list->files, cap * sizeof(*f));
        struct seen *s = realloc(b->seen, cap * sizeof(*s));
        if (f != NULL)
            b->list->files = f;
        if (s != NULL)
            b->seen = s;
        if (f == NULL || s == NULL) {
            free(file);
            return -ENOMEM;
        }
        b->cap = cap;
    }
    b->list->files[b->list->n++] = file;
    return 0;
}

/* Adds file (owned), which st describes, unless it is already there. */
static int
add_file(struct builder *b, char *file, const struct stat *st,
         char err[MR_ERR_LEN])
{
    for (size_t i = 0; i < b->nseen; i++)
        if (b->seen[i].dev == st->st_dev && b->seen[i].ino == st->st_ino) {
            const char *first = b->list->files[b->seen[i].index];
            if (strcmp(first, file) == 0)
                snprintf(err, MR_ERR_LEN, "input %s is given twice: give "
                         "each file once", file);
            else
                snprintf(err, MR_ERR_LEN, "input %s is given twice (as %s "
                         "and as %s): give each file once", file, first,
                         file);
            free(file);
            return -EINVAL;
        }
    if (append(b, file) < 0)
        return -ENOMEM;
    b->seen[b->nseen].dev = st->st_dev;    /* append() made room */
    b->seen[b->nseen].ino = st->st_ino;
    b->seen[b->nseen].index = b->list->n - 1;
    b->nseen++;
    return 0;
}

static int
by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The visible names in dir, sorted; *n of them. NULL with err on error. */
static char **
visible_names(const char *dir, size_t *n, char err[MR_ERR_LEN])
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t cap = 0;

    *n = 0;
    if (d == NULL) {
        snprintf(err, MR_ERR_LEN, "input directory %s cannot be read: %s",
                 dir, strerror(errno));
        return NULL;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || e->d_name[0] == '_')
            continue;
        if (*n == cap) {
            char **more = realloc(names, (cap = cap ? 2 * cap : 16) *
                                  sizeof(*more));
            if (more == NULL)
                goto nomem;
            names = more;
        }
        if ((names[*n] = strdup(e->d_name)) == NULL)
            goto nomem;
        (*n)++;
    }
    closedir(d);
    if (*n > 0)
        qsort(names, *n, sizeof(*names), by_name);
    if (names == NULL && (names = malloc(sizeof(*names))) == NULL)
        goto nomem_closed;
    return names;
nomem:
    closedir(d);
nomem_closed:
    for (size_t i = 0; i < *n; i++)
        free(names[i]);
    free(names);
    snprintf(err, MR_ERR_LEN, "out of memory");
    return NULL;
}

static int
add_directory(struct builder *b, const char *dir, char err[MR_ERR_LEN])
{
    size_t n, before = b->list->n;
    size_t dlen = strlen(dir);
    bool slash = dlen > 0 && dir[dlen - 1] == '/';
    char **names = visible_names(dir, &n, err);
    int rc = 0;

    if (names == NULL)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        char *path;
        if (rc < 0 || asprintf(&path, "%s%s%s", dir, slash ? "" : "/",
                               names[i]) < 0) {
            rc = rc < 0 ? rc : -ENOMEM;
        } else if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
            bool isdir = access(path, F_OK) == 0 && S_ISDIR(st.st_mode);
            mr_warn("input directory %s: leaving out %s (%s)", dir, names[i],
                    isdir ? "a directory: inputs are not read recursively"
                          : "not a regular file");
            free(path);
        } else {
            rc = add_file(b, path, &st, err);
        }
        free(names[i]);
    }
    free(names);
    if (rc == -ENOMEM)
        snprintf(err, MR_ERR_LEN, "out of memory");
    if (rc == 0 && b->list->n == before) {
        snprintf(err, MR_ERR_LEN, "input directory %s holds no file to read "
                 "(names starting with '.' or '_' are left out); give the "
                 "files to read", dir);
        rc = -EINVAL;
    }
    return rc;
}

int
input_list_make(const char *const *args, size_t nargs,
                struct input_list *list, char err[MR_ERR_LEN])
{
    struct builder b = {list, 0, NULL, 0};
    int rc = 0;

    list->files = NULL;
    list->n = 0;
    for (size_t i = 0; i < nargs && rc == 0; i++) {
        struct stat st;
        char *copy;
        if (stat(args[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            rc = add_directory(&b, args[i], err);
        } else if ((copy = strdup(args[i])) == NULL) {
            rc = -ENOMEM;
            snprintf(err, MR_ERR_LEN, "out of memory");
        } else if (stat(args[i], &st) == 0) {
            rc = add_file(&b, copy, &st, err);
        } else {
            rc = append(&b, copy);      /* unseen here: kept as given */
            if (rc < 0)
                snprintf(err, MR_ERR_LEN, "out of memory");
        }
    }
    free(b.seen);
    if (rc < 0)
        input_list_free(list);
    return rc;
}

void
input_list_free(struct input_list *list)
{
    for (size_t i = 0; i < list->n; i++)
        free(list->files[i]);
    free(list->files);
    list->files = NULL;
    list->n = 0;
}
