/* Removing a directory tree. See remove_tree.h. */
#define _GNU_SOURCE
#include "remove_tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int
remove_tree_at(int parentfd, const char *name, int depth)
{
    int fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                    O_CLOEXEC);
    struct dirent *e;
    DIR *d;

    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;
    if ((d = fdopendir(fd)) == NULL) {
        close(fd);
        return -errno;
    }
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (unlinkat(fd, e->d_name, 0) < 0 && errno == EISDIR &&
            depth > 0)
            remove_tree_at(fd, e->d_name, depth - 1);
    }
    closedir(d);
    return unlinkat(parentfd, name, AT_REMOVEDIR) < 0 ? -errno : 0;
}
