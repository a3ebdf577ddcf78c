/* A job's output file as the reduce task and mrsequential write it: an
 * app's output (struct mr_output, what reduce writes its value to) that
 * appends to an atomic file, and the one function that writes an output
 * line around a reduce call. */
#ifndef WORKER_FILE_OUTPUT_H
#define WORKER_FILE_OUTPUT_H

#include "atomic_file.h"
#include "counter_table.h"
#include "mrapp.h"

struct file_output {
    struct mr_output base;      /* first: what the app is handed */
    struct atomic_file *file;   /* borrowed */
    struct counter_table *counters;     /* borrowed: what reduce's
                                   mr_count calls add to; NULL: dropped */
};

static inline void
file_output_write(struct mr_output *o, const char *bytes, size_t len)
{
    atomic_file_write(((struct file_output *)o)->file, bytes, len);
}

/* A refused count stays in the table (counter_table_failed), which the
 * caller checks after each reduce call. */
static inline void
file_output_count(struct mr_output *o, const char *name, uint64_t n,
                  bool literal)
{
    struct counter_table *t = ((struct file_output *)o)->counters;

    if (t != NULL)
        counter_table_add(t, name, n, literal);
}

/* An output writing to file, its counts going to counters (may be
 * NULL). */
static inline struct file_output
file_output_to(struct atomic_file *file, struct counter_table *counters)
{
    struct file_output fo = {{file_output_write, file_output_count}, file,
                             counters};

    return fo;
}

/* Writes one output line, "key SPACE <what reduce writes> NEWLINE", by
 * calling app->reduce on the key's values. The line's format is part of
 * the contract: mrsequential's output, the reference, is compared with the
 * reduce tasks'. Returns what reduce returned, or MR_EAPP when a count of
 * its was refused; when that is not 0 the line is left unfinished, and
 * the caller aborts the file. */
static inline int
file_output_line(struct file_output *fo, const struct mr_app *app,
                 const char *key, size_t klen, struct mr_values *values)
{
    struct atomic_file *file = fo->file;
    int rc;

    atomic_file_write(file, key, klen);
    atomic_file_write(file, " ", 1);
    rc = app->reduce(key, klen, values, &fo->base);
    if (rc == 0 && fo->counters != NULL && counter_table_failed(fo->counters))
        rc = MR_EAPP;
    if (rc == 0)
        atomic_file_write(file, "\n", 1);
    return rc;
}

#endif
