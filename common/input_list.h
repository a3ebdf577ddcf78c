/* A job's inputs as given on a command line, made into the list of files
 * the job reads: a directory stands for the regular files in it (Hadoop's
 * rule), and a file given twice is refused rather than counted twice. */
#ifndef MR_INPUT_LIST_H
#define MR_INPUT_LIST_H

#include <stddef.h>

#include "mr_err.h"

struct input_list {
    char **files;               /* owned: the inputs, in order */
    size_t n;
};

/* Makes the list from args[0..nargs): a regular file stays as given; a
 * directory becomes the regular files directly in it, "DIR/NAME" sorted by
 * name, leaving out hidden names (starting with '.' or '_', as Hadoop does:
 * _SUCCESS, .lock) and not descending into subdirectories (each one left
 * out is said in a warn line); a name this process cannot see is kept as
 * given (a networked job's workers may see it). Refuses, with err saying
 * what to pass instead: a directory with no file to read, and a file
 * given twice (the same file, by device and inode, under any name).
 * Returns 0, -EINVAL with err filled, or -ENOMEM. On error *list is
 * empty. */
int input_list_make(const char *const *args, size_t nargs,
                    struct input_list *list, char err[MR_ERR_LEN]);

void input_list_free(struct input_list *list);

#endif
