/* A finished job's summary for people: what `mrstatus --summary DIR`
 * prints. The summary is the JSON document a job leaves in its directory
 * when it ends: the success marker mr-success (coordinator/summary.c), or
 * mr-failed for a job that failed (the same members, with "outcome" and
 * "why"). Every member is printed, whatever it is, as aligned "name: value"
 * lines: a few known ones first (job, outcome, why, app, directory,
 * seconds), nested objects indented, arrays of objects as numbered
 * blocks. */
#ifndef LAUNCHER_SUMMARY_VIEW_H
#define LAUNCHER_SUMMARY_VIEW_H

#include <stdio.h>

#include "mr_err.h"

/* The failed job's summary, beside where its outputs would have been. */
#define SUMMARY_FAILED_NAME "mr-failed"

/* Prints the summary in dir on out: the newer of mr-success and mr-failed
 * when both are there, saying that the other is too. Returns 0, or -1 with
 * err saying what is wrong (no such directory, no summary in it, a file
 * that cannot be read or is not a JSON object) and nothing printed. */
int summary_view_print(FILE *out, const char *dir, char err[MR_ERR_LEN]);

#endif
