/* The one rule by which every program (mrrun, mrworker, mrsequential,
 * mrcoordinator) turns what a person typed for an app into a module's
 * path. */
#ifndef MR_APP_NAME_H
#define MR_APP_NAME_H

#include <stddef.h>

/* Room for the message of a name not found: it lists every app there is. */
#define APP_NAME_ERR_LEN 1024

/* Where the apps are, relative to the directory of the running program:
 * next to it in a build (build/mrrun, build/apps/wc.so), or under lib/ in
 * an install (PREFIX/bin/mrrun, PREFIX/lib/mapreduce/apps/wc.so). */
#define APP_NAME_BUILD_DIR   "apps"
#define APP_NAME_INSTALL_DIR "lib/mapreduce/apps"

/* The rule, for spec as typed:
 *   1. a path (it holds a '/') is used as it is;
 *   2. a bare file name that names a file in the current directory is
 *      used (the lab's `mrworker wc.so SOCK`);
 *   3. otherwise spec, less a ".so" suffix, is an app's name, NAME, looked
 *      up as <exe dir>/apps/NAME.so, then <exe dir>/../lib/mapreduce/apps/
 *      NAME.so (exe dir: the directory of the running program).
 * On success copies the module's path into path (len bytes) and returns 0;
 * whether it loads is the loader's to say. Returns -ENOENT when rule 3
 * finds nothing, with err naming what was tried and the apps there are,
 * or -ENAMETOOLONG / -EINVAL (an empty spec) with err filled. */
int app_name_resolve(const char *spec, char *path, size_t len,
                     char err[APP_NAME_ERR_LEN]);

/* As app_name_resolve, with the program's directory given (for tests). */
int app_name_resolve_in(const char *spec, const char *exe_dir, char *path,
                        size_t len, char err[APP_NAME_ERR_LEN]);

/* The directory of the running program (/proc/self/exe, symbolic links
 * resolved) into buf. Returns 0, or -errno (buf then empty). */
int app_name_exe_dir(char *buf, size_t len);

#endif
