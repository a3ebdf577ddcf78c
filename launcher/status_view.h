/* The job's status (Mr__StatusReply, proto/mr.proto) for people: what
 * `mrstatus` prints without --json. A few aligned lines: the job, its
 * phase and time, the tasks of each phase, the workers and what each runs,
 * the running tasks, the recent failures and the counters. */
#ifndef LAUNCHER_STATUS_VIEW_H
#define LAUNCHER_STATUS_VIEW_H

#include <stdio.h>

#include "mr.pb-c.h"

/* Prints s on out. Text that came from workers (hosts, reasons, their
 * stderr) is printed with control characters replaced, so that it cannot
 * drive the terminal. */
void status_view_print(FILE *out, const Mr__StatusReply *s);

#endif
