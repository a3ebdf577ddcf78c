/* mrrun's closing summary: time, throughput, tasks and retries, the
 * records skipped, and for
 * word counts the most frequent words found in mr-out-*. */
#ifndef LAUNCHER_REPORT_H
#define LAUNCHER_REPORT_H

#include <stdio.h>

#include "coord.h"
#include "mr.pb-c.h"

struct run_totals {
    double seconds;
    int workers;
    int worker_restarts;
};

/* The summary of a finished job whose outputs are committed in dir. */
void report_summary(FILE *out, const struct coord_status *s, const char *dir,
                    const struct run_totals *rt);

/* The records --skip-bad-records left out, as the status lists them: a
 * line saying how many, then one per record (input, offset, its first
 * bytes escaped). Nothing when none was. */
void report_skipped(FILE *out, const Mr__StatusReply *s);

/* Prints the top `top` words of a word count's outputs ("word count"
 * lines in dir/mr-out-0 .. mr-out-<nreduce-1>). */
void report_top_words(FILE *out, const char *dir, unsigned nreduce,
                      unsigned top);

#endif
