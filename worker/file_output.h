/* An app's output (struct mr_output, what reduce writes its value to) that
 * appends to an atomic file: the reduce task's and mrsequential's. */
#ifndef WORKER_FILE_OUTPUT_H
#define WORKER_FILE_OUTPUT_H

#include "atomic_file.h"
#include "mrapp.h"

struct file_output {
    struct mr_output base;      /* first: what the app is handed */
    struct atomic_file *file;   /* borrowed */
};

static inline void
file_output_write(struct mr_output *o, const char *bytes, size_t len)
{
    atomic_file_write(((struct file_output *)o)->file, bytes, len);
}

/* An output writing to file. */
static inline struct file_output
file_output_to(struct atomic_file *file)
{
    struct file_output fo = {{file_output_write}, file};

    return fo;
}

#endif
