/* Reading --token-file. See token.h. */
#define _GNU_SOURCE
#include "token.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
token_read(const char *path, struct token *t, char err[MR_ERR_LEN])
{
    struct stat st;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

    t->len = 0;
    if (fd < 0) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "token file %s: %s", path,
                 strerror(errno));
        return rc;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, MR_ERR_LEN, "token file %s is not a regular file",
                 path);
        rc = -EINVAL;
    } else if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        snprintf(err, MR_ERR_LEN, "token file %s is open to other users; "
                 "run: chmod 600 %s", path, path);
        rc = -EACCES;
    } else if (st.st_size > TOKEN_MAX_LEN) {
        snprintf(err, MR_ERR_LEN, "token file %s is over %d bytes; a token "
                 "of 32 to 64 bytes is plenty", path, TOKEN_MAX_LEN);
        rc = -EFBIG;
    } else if ((n = read(fd, t->bytes, sizeof(t->bytes))) < 0) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "token file %s: %s", path,
                 strerror(errno));
    } else {
        t->len = (size_t)n;
        if (t->len > 0 && t->bytes[t->len - 1] == '\n')
            t->len--;
        if (t->len < TOKEN_MIN_LEN) {
            snprintf(err, MR_ERR_LEN, "token file %s holds %zu bytes; use "
                     "at least %d random ones, e.g. head -c 32 /dev/urandom "
                     "| base64 > %s", path, t->len, TOKEN_MIN_LEN, path);
            rc = -EINVAL;
        }
    }
    close(fd);
    if (rc != 0)
        token_forget(t);
    return rc;
}

void
token_forget(struct token *t)
{
    explicit_bzero(t->bytes, sizeof(t->bytes));
    t->len = 0;
}
