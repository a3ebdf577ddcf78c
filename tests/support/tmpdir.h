/* Temporary directories for tests: each test gets a fresh one under /tmp
 * and removes it, with everything in it, when it ends. */
#ifndef TEST_TMPDIR_H
#define TEST_TMPDIR_H

#include <stddef.h>

/* Creates /tmp/mr-<what>-XXXXXX and writes its path to dir. Returns 0 or
 * -errno. */
int tmpdir_create(char *dir, size_t len, const char *what);

/* Removes dir and everything below it. Returns 0 or -1. */
int tmpdir_remove(const char *dir);

#endif
