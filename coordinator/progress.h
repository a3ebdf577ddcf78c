/* A job's live progress, as mrrun shows it: a redrawn bar of map and
 * reduce tasks on a terminal, plain lines at each quarter of a phase
 * otherwise. In the coordinator layer so that every program that runs a
 * coordinator can draw it. */
#ifndef COORD_PROGRESS_H
#define COORD_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "coord.h"

struct progress {
    FILE *out;
    bool tty;                   /* redraw one line in place */
    uint64_t start_ms;
    uint64_t last_draw_ms;
    unsigned last_quarter[2];   /* plain mode: quarters printed per phase */
    bool drawn;                 /* a bar is on screen */
    bool ended;                 /* progress_end() ran: updates are ignored */
    bool hidden;                /* taken off for a log line: draw again */
    struct coord_status last;   /* what the bar shows */
};

/* Starts showing progress on out. On a terminal, log lines (log.h) take
 * the bar off its line and it is drawn again below them, until
 * progress_end(); p must stay where it is until then. */
void progress_init(struct progress *p, FILE *out);
/* Shows the state of the job: redrawn at most every 100 ms on a terminal,
 * except that the job's end is always drawn. */
void progress_update(struct progress *p, const struct coord_status *s);
/* Ends the bar's line, if one is drawn; log lines are plain again, and
 * later updates draw nothing. */
void progress_end(struct progress *p);

#endif
