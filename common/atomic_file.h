/* Files that appear whole or not at all: written under a temporary name in
 * the destination's directory, then renamed over the final name. Writes are
 * buffered; a crash or an error leaves no partial file under the final
 * name. */
#ifndef MR_ATOMIC_FILE_H
#define MR_ATOMIC_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mr_err.h"

/* Temporary names start with this; they never match "mr-out*". */
#define ATOMIC_TMP_PREFIX "mr-tmp-"

struct atomic_file {
    int fd;                     /* of the temporary file, -1 when closed */
    char tmp_path[4096];
    char final_path[4096];
    unsigned char *buf;         /* write buffer */
    size_t len, cap;
    uint64_t written;           /* bytes accepted so far */
    int error;                  /* first write error, sticky */
    bool durable;               /* fsync file and directory at commit */
};

/* Creates the temporary file beside final_path. durable asks for fsync of
 * the file and its directory at commit. Returns 0, or -errno with err
 * filled. */
int atomic_file_open(struct atomic_file *af, const char *final_path,
                     bool durable, char err[MR_ERR_LEN]);

/* Appends bytes. Errors are remembered and reported by commit. */
void atomic_file_write(struct atomic_file *af, const void *p, size_t len);

/* Flushes, (fsyncs,) and renames onto the final name. Returns 0, or an
 * error with err filled, in which case the temporary file is removed and
 * the final name untouched. Always closes. */
int atomic_file_commit(struct atomic_file *af, char err[MR_ERR_LEN]);

/* Removes the temporary file without touching the final name. Safe after
 * commit and on a closed file. */
void atomic_file_abort(struct atomic_file *af);

/* Makes the name of the file at path durable: fsyncs the directory it is
 * in. Returns 0 or -errno. */
int atomic_file_sync_dir(const char *path);

#endif
