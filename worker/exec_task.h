/* The map and reduce of an executable app (exec_app.h): the explicit path
 * a task takes when exec_app_of(app) is not NULL. The map streams its
 * split through the mapper and emits the mapper's records into the task's
 * usual emitter, so partitioning, combining, spills and the shuffle are
 * the same as for a module. The reduce streams the whole partition's
 * groups, in key order, through one reducer process and writes its
 * output records as the task's output lines. The combine streams a
 * spill's groups through the combiner, as the reducer gets them, and
 * emits its records as the mapper's are (spill_combine.c sorts them). */
#ifndef WORKER_EXEC_TASK_H
#define WORKER_EXEC_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "atomic_file.h"
#include "exec_app.h"
#include "exec_lines.h"
#include "mr_err.h"
#include "mrapp.h"
#include "record_in_hand.h"

/* The reducer's input: next() starts the next key's group (ending the
 * previous one) and returns false at the end or on an error the caller
 * knows about (exec_reduce then returns error(), with err left for the
 * caller to fill). key and values stay valid until the next call. */
struct exec_groups {
    bool (*next)(void *arg, const char **key, size_t *klen,
                 struct mr_values **values);
    int (*error)(void *arg);    /* 0, or why next() stopped early */
    void *arg;
};

/* Runs the mapper over data[0..len), the split that starts at byte offset
 * of its file, emitting what it writes into out. out_error, if not NULL,
 * is out's sticky error (a map output that failed, say in a combiner):
 * once it is non-zero the mapper is killed and its value returned, err
 * then empty for the caller to fill. Returns 0, or an error with err
 * filled (MR_EAPP: the mapper failed, wrote malformed framing or a
 * too-long record; -ETIMEDOUT: it was silent too long). */
int exec_map(const struct exec_app *x, uint64_t offset, const char *data,
             size_t len, struct mr_emitter *out, const int *out_error,
             char err[MR_ERR_LEN]);

/* A mapper run for --skip-bad-records: lines left out, and the line it
 * had when it died of a signal. */
struct exec_map_watch {
    struct exec_split split;    /* in: the split, the lines to leave out
                                   (split.framed is the app's, set here) */
    bool one_at_a_time;         /* in: give it a line only once it has
                                   read the last (Task.one_line_at_a_time):
                                   the line blamed is then exact, else a
                                   guess, and a line costs 50 us or more */
    uint64_t skipped;           /* out: lines left out */
    int signo;                  /* out: the signal it died of (a shell's
                                   128 + N too), 0: none */
    bool blamed;                /* out, with signo: the line it had, below:
                                   the one holding the last byte it read
                                   of its stdin */
    bool guessed;               /* out, with blamed: it was fed in bulk,
                                   so it may have died on an earlier line
                                   it had read (not one_at_a_time) */
    uint64_t offset;            /* of that line in its file */
    char head[RECORD_HEAD_MAX]; /* its first head_len bytes */
    size_t head_len;
};

/* exec_map over w->split, watched as said above; out_error as exec_map's
 * (a mapper stopped by it is not blamed). */
int exec_map_watched(const struct exec_app *x, struct exec_map_watch *w,
                     struct mr_emitter *out, const int *out_error,
                     char err[MR_ERR_LEN]);

/* Runs the reducer over in's groups, appending its output lines to out
 * (a record "k TAB v" becomes "k v"); *lines counts them. Returns 0, or an
 * error as exec_map's, or in's error (err then empty: the caller says). */
int exec_reduce(const struct exec_app *x, const struct exec_groups *in,
                struct atomic_file *out, uint64_t *lines,
                char err[MR_ERR_LEN]);

/* Runs the combiner (x->combiner, not NULL) over in's groups, emitting
 * what it writes into out as records, in the order it writes them.
 * Returns 0, or an error as exec_map's (naming the combiner), or in's
 * error (err then empty: the caller says). */
int exec_combine(const struct exec_app *x, const struct exec_groups *in,
                 struct mr_emitter *out, char err[MR_ERR_LEN]);

#endif
