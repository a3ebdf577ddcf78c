/* Finding the build directory from /proc/self/exe. See build_dir.h. */
#define _GNU_SOURCE
#include "build_dir.h"

#include <string.h>
#include <unistd.h>

int
build_dir_find(char *dir, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", dir, len - 1);
    char *slash;

    if (n <= 0 || (size_t)n >= len - 1)
        return -1;
    dir[n] = '\0';
    for (int up = 0; up < 2; up++) {        /* the binary, then tests/ */
        if ((slash = strrchr(dir, '/')) == NULL)
            return -1;
        *slash = '\0';
    }
    return 0;
}
