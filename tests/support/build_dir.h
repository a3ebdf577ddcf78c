/* Where the build is, for tests that load what it built (the modules in
 * build/apps and build/tests/apps): found from the test binary's own path, so that a
 * test runs the same from any directory and with any BUILD. */
#ifndef TEST_BUILD_DIR_H
#define TEST_BUILD_DIR_H

#include <stddef.h>

/* Writes the build directory (the parent of the folder holding this
 * binary: build/ for build/tests/unit_tests) to dir. Returns 0, or -1
 * when the binary's path cannot be read or does not fit. */
int build_dir_find(char *dir, size_t len);

#endif
