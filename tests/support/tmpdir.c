/* Temporary directories for tests. See tmpdir.h. */
#define _GNU_SOURCE
#include "tmpdir.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int
tmpdir_create(char *dir, size_t len, const char *what)
{
    snprintf(dir, len, "/tmp/mr-%s-XXXXXX", what);
    return mkdtemp(dir) ? 0 : -errno;
}

static int
remove_one(const char *path, const struct stat *st, int type,
           struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

int
tmpdir_remove(const char *dir)
{
    return nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}
