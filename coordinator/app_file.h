/* The job's app module as a coordinator given one (mrcoordinator --app
 * PATH) keeps it, to give to workers started without one (GetApp): the
 * file's bytes, read once at start-up, with their size and digest, so
 * that what is served is what was hashed even if the file changes later.
 * The coordinator never loads it (it runs no app code and may not use
 * worker/'s loader): it knows the module's digest, not its name or ABI,
 * which the first worker that brings the same file tells it (coord.h). */
#ifndef COORD_APP_FILE_H
#define COORD_APP_FILE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "mr_err.h"
#include "protocol.h"

struct app_file {
    uint8_t *data;              /* owned: the module's bytes */
    size_t size;                /* 1 to MR_APP_MAX_SIZE */
    uint8_t digest[MR_APP_DIGEST_LEN];  /* of data (file_digest.h) */
    char path[PATH_MAX];        /* as given, for messages */
    char label[128];            /* its file name less ".so": what the job
                                   calls the app until a worker names it */
};

/* Reads the module at path into f. Returns 0, or -errno or MR_EBADAPP
 * with err saying what is wrong and what to do: it cannot be read, is not
 * a regular file, is empty or larger than MR_APP_MAX_SIZE, or does not
 * start as an ELF file does. Free f with app_file_free either way. */
int app_file_read(const char *path, struct app_file *f,
                  char err[MR_ERR_LEN]);

/* Frees the bytes; f may be zeroed or already freed. */
void app_file_free(struct app_file *f);

#endif
