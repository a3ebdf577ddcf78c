/* The job's tasks and their state machine, free of I/O and of clocks: every
 * call that needs the time is given `now` (ms), so tests drive it with a
 * fake clock. The coordinator (coord.c) is the glue to RPCs and timers.
 *
 *                                tasks_assign_backup(): one more
 *                                live attempt; it stays RUNNING
 *                                        +--+
 *            tasks_assign()              |  v        tasks_complete()
 *   IDLE ----------------------------> RUNNING ---------------------> DONE
 *    ^ ^ ^                              |   |                         ^  |
 *    | | +-- tasks_expire(), -----------+   |                         |  |
 *    | |     tasks_retry()                  |   tasks_complete() by an   |
 *    | +---- tasks_fail(),                  |   earlier attempt, while   |
 *    |       tasks_release_owner() ---------+   IDLE or RUNNING          |
 *    +------ tasks_redo_map(): a reduce found this map's output bad;     |
 *            tasks_lose_output(): the worker keeping it is gone  --------+
 *
 * The job's phase moves only inside this module (set_phase() asserts each
 * move), and to FAILED from outside only through tasks_end_failed():
 *
 *          all maps DONE               all reduces DONE
 *    MAP ------------------> REDUCE ---------------------> DONE
 *     |  <------------------   |                             |
 *     |    tasks_redo_map()    |                             |
 *     |                        |   a task over its limits,   |
 *     +------------------------+-- tasks_end_failed() -------+--> FAILED
 *
 * (A job with no map task starts in REDUCE.) A map redone during the
 * REDUCE phase sends the job back to the MAP phase until it is DONE again.
 * The first completion of a task wins; any later report for it is stale and
 * changes nothing. A task that fails max_failures times fails the job (an
 * attempt fails when its worker reports so, or dies of a fatal signal while
 * running it); so does a task lost max_lost times (its worker disconnected
 * while running it): a task that kills every worker ends the job rather
 * than being retried forever (with --skip-bad-records, a crash on a
 * record that the job then skips does not count: tasks_fail_skipping();
 * nor does one blamed on a guessed record that an exact report cleared:
 * tasks_fail_refunding()).
 * Lost attempts have their own, higher limit because workers also vanish
 * for reasons of their own (the lab's crash app kills a third of them). A
 * deadline that passes reassigns the task without counting against it:
 * the late attempt may still win, and a task longer than the timeout is no
 * reason to fail a job.
 *
 * Each task remembers which owner (connection) it handed each of its newest
 * attempts to, TASK_HANDOUTS of them, one per owner: a completion is
 * believed only from the owner its attempt was handed to. A slot is reused
 * first by the same owner (a worker asks for work only once it has reported
 * its last task), then when empty (tasks_release_owner() empties an owner's
 * slots), else the oldest attempt's is: its report is refused from then on
 * and that work is repeated, which takes more than TASK_HANDOUTS owners
 * running attempts of one task at once.
 *
 * Backup attempts, the MapReduce paper's cure for stragglers: when no task
 * of the current phase is IDLE, a worker that asks for work may be handed,
 * by tasks_assign_backup(), one more attempt of a RUNNING task, which
 * stays RUNNING with two live attempts: the original (backed_up) and the
 * backup (the running attempt, the newest as always). The first to
 * complete wins as above; each writes files named by its own attempt, so
 * the loser never touches the winner's output. The rule, all of it in
 * backup_threshold() and pick_backup() in tasks.c: a candidate is a
 * RUNNING task of the current phase with no backup running, whose owner
 * is not the asker, that has run (since its running attempt was handed
 * out) TASK_BACKUP_SLOWER_PCT percent of the median duration of the
 * finished tasks of its kind (one at least must have finished) and at
 * least TASK_BACKUP_MIN_MS, so that tasks of a few ms do not all get one;
 * the one that has run longest goes first; at most max(1,
 * TASK_BACKUP_SHARE_PCT percent of its kind's tasks) backups are launched
 * per kind in a job. Three times the median, where Spark speculates at 1.5:
 * the lab's job_count test fails when a map runs twice, and its maps sleep
 * 2 to 5 s, which 1.5 times the median backs up in about one run of four;
 * a worker slowed to a tenth of a CPU is ten times slower.
 *
 * A backup brings the task a new deadline, its own. Its worker vanishing,
 * its failure, its retry or its missed deadline requeue the task as for
 * any running attempt (the original may still complete it); the original's
 * worker vanishing only forgets that attempt, and the task runs on with
 * the backup; a report of failure from the original is stale. A task's
 * duration is its winning attempt's, from handout to completion; an
 * attempt the task no longer follows (its task was requeued and handed out
 * again) that completes it brings none. */
#ifndef COORD_TASKS_H
#define COORD_TASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "median.h"
#include "mr_err.h"

enum task_kind { KIND_MAP, KIND_REDUCE };
enum task_state { TASK_IDLE, TASK_RUNNING, TASK_DONE };
enum job_phase { PHASE_MAP, PHASE_REDUCE, PHASE_DONE, PHASE_FAILED };

/* Attempts per task whose owner is remembered; see above. */
#define TASK_HANDOUTS 8

/* Backup attempts, see above: a task may get one once it has run
 * TASK_BACKUP_SLOWER_PCT percent of the median duration of its kind's
 * finished tasks, and TASK_BACKUP_MIN_MS at least; TASK_BACKUP_SHARE_PCT
 * percent of a kind's tasks (one at least) may get one in a job. */
#define TASK_BACKUP_SLOWER_PCT  300
#define TASK_BACKUP_MIN_MS      100
#define TASK_BACKUP_SHARE_PCT   5

struct coord_task {
    enum task_kind kind;
    uint32_t id;                /* map index or reduce partition */
    enum task_state state;
    uint32_t attempts;          /* attempts handed out so far */
    uint32_t failures;          /* attempts reported failed */
    uint32_t lost;              /* attempts whose worker vanished */
    uint32_t running_attempt;   /* while RUNNING: the newest attempt */
    uint32_t done_attempt;      /* once DONE: the attempt whose output counts */
    uint64_t deadline;          /* while RUNNING: when it is reassigned */
    uint64_t owner;             /* while RUNNING: the worker's connection */
    uint64_t started;           /* when running_attempt was handed out */
    uint32_t running_slot;      /* while RUNNING: its index in
                                   coord_tasks.running_tasks[kind] */
    struct coord_task *older, *newer;   /* while RUNNING with no backup
                                   (a backup candidate): its neighbours in
                                   coord_tasks.candidates[kind] */
    bool candidate;             /* in that list */
    bool timed;                 /* DONE, and duration is known */
    uint64_t duration;          /* if timed: the winning attempt's run, ms */
    struct task_backed_up {     /* while a backup runs: the attempt it
                                   backs up, still live */
        uint32_t attempt;       /* 0: no backup runs */
        uint64_t owner;
        uint64_t started;       /* when it was handed out */
    } backed_up;
    struct task_handout {       /* who was handed which recent attempt */
        uint32_t attempt;
        bool backup;            /* by tasks_assign_backup() */
        uint64_t owner;         /* 0: an empty slot */
    } handouts[TASK_HANDOUTS];
};

struct coord_tasks {
    struct coord_task *maps, *reduces;
    uint32_t nmap, nreduce;
    uint32_t maps_done, reduces_done;
    uint64_t maps_changed;      /* bumped whenever a map's done_attempt
                                   changes (what reduces are told) */
    uint32_t running[2];        /* RUNNING tasks, by enum task_kind */
    enum job_phase phase;
    uint64_t timeout_ms;        /* the silence allowed: a RUNNING attempt's
                                   deadline is its hand-out, or its
                                   worker's last heartbeat, plus this */
    uint32_t max_failures;
    uint32_t max_lost;
    struct task_queue {         /* tasks that became IDLE, oldest first;
                                   entries no longer IDLE are skipped */
        struct coord_task **ring;
        size_t head, len, cap;
    } queues[2];                /* by enum task_kind */
    struct coord_task **running_tasks[2];   /* the RUNNING tasks, by enum
                                   task_kind, running[kind] of them, in no
                                   order */
    struct task_list {          /* by enum task_kind: the RUNNING tasks
                                   with no backup, by when their attempt
                                   was handed out (started), oldest first:
                                   whom backups are picked from */
        struct coord_task *oldest, *newest;
    } candidates[2];
    struct task_timing {        /* by enum task_kind */
        uint32_t timed;         /* DONE tasks whose duration is known */
        struct median durations;    /* theirs, unless median_stale */
        bool median_stale;      /* one of them left the set (a map run
                                   again): durations is rebuilt, once */
        uint32_t backups;       /* backup attempts launched */
    } timing[2];
    uint64_t reassigned;        /* attempts lost to deadlines or deaths */
    uint64_t failed;            /* attempts reported failed */
    uint64_t failed_by_kind[2]; /* the same, by enum task_kind */
    uint64_t stale;             /* reports that came too late */
    uint32_t attempt_base;      /* resumed: attempts up to this one were
                                   handed out by earlier coordinators */
    uint64_t backups;           /* backup attempts launched */
    uint64_t backups_won;       /* tasks completed by a backup attempt */
    uint64_t killed;            /* attempts still running when another
                                   attempt completed their task: their
                                   work is thrown away */
    /* Appends to a task's name in messages ("map task 3" + " (input
     * a.txt)"); may be NULL. */
    void (*describe)(const struct coord_task *task, char *buf, size_t len,
                     void *arg);
    void *describe_arg;
    const struct coord_task *failed_task;   /* the one that failed the job */
    char why_failed[MR_ERR_LEN];
};

/* Sets up nmap map and nreduce reduce tasks, all IDLE. Returns 0 or
 * -ENOMEM. */
int tasks_init(struct coord_tasks *t, uint32_t nmap, uint32_t nreduce,
               uint64_t timeout_ms, uint32_t max_failures,
               uint32_t max_lost);
void tasks_free(struct coord_tasks *t);

/* Hands out the oldest IDLE task of the current phase to owner: it becomes
 * RUNNING with a new attempt and deadline now + timeout. Returns NULL when
 * none is IDLE (all running, or the job is over). */
struct coord_task *tasks_assign(struct coord_tasks *t, uint64_t now,
                                uint64_t owner);

/* When no task of the current phase is IDLE, hands owner a backup attempt
 * of the RUNNING task the rule above picks: a new attempt, the task's
 * newest, with a deadline now + timeout, while the attempt it backs up
 * stays live and the task RUNNING. Returns NULL when no task qualifies
 * (none has run long enough, the budget is spent, the job is over...). */
struct coord_task *tasks_assign_backup(struct coord_tasks *t, uint64_t now,
                                       uint64_t owner);

/* When the next RUNNING task will qualify for a backup as time alone
 * passes (ms, later than now; for an asker other than its own worker), or
 * 0 when none will until something else changes: a task completes, is
 * handed out, requeued or released. */
uint64_t tasks_backup_due(struct coord_tasks *t, uint64_t now);

/* The median duration (ms) of the finished tasks of kind that the rule
 * above compares with. Returns false when no duration is known. */
bool tasks_median_ms(struct coord_tasks *t, enum task_kind kind,
                     uint64_t *ms);

/* The task (kind, id) by index, or NULL when out of range. */
struct coord_task *tasks_find(struct coord_tasks *t, enum task_kind kind,
                              uint32_t id);

/* True when attempt `attempt` of task was handed to owner and is still
 * remembered (one of the task's newest TASK_HANDOUTS). */
bool task_was_handed_to(const struct coord_task *task, uint32_t attempt,
                        uint64_t owner);

/* Owner says attempt `attempt` finished, at now. Returns 0 when it is the
 * first completion (the task is DONE, with its duration if known, a backup
 * that won is counted, and the phase may advance), MR_ESTALE when the task
 * was already DONE, -EINVAL for an attempt never handed out, and -EPERM
 * when that attempt was not handed to owner (or is no longer remembered):
 * nothing changes then. */
int tasks_complete(struct coord_tasks *t, struct coord_task *task,
                   uint32_t attempt, uint64_t owner, uint64_t now);

/* Attempt `attempt` failed with why. The task becomes IDLE again if that
 * was its running attempt. Returns 0, MR_ESTALE (nothing changed), or
 * MR_EAPP when the task has now failed max_failures times: the job is
 * FAILED and why_failed says so. */
int tasks_fail(struct coord_tasks *t, struct coord_task *task,
               uint32_t attempt, const char *why);

/* As tasks_fail, after `refund` of the task's earlier failures stop
 * counting against it (--skip-bad-records: attempts whose crashes were
 * blamed on guessed records that an exact report cleared, skips.h). */
int tasks_fail_refunding(struct coord_tasks *t, struct coord_task *task,
                         uint32_t attempt, uint32_t refund, const char *why);

/* Attempt `attempt` died on a record the job skips from now on
 * (--skip-bad-records): a failed attempt that does not count against the
 * task, and neither do `refund` of its earlier failures (the record's
 * earlier crashes): a bad record costs attempts, but the job's limit on
 * skipped records bounds them, not max_failures. With over non-NULL, the
 * job would skip more records than its limit: the job is FAILED instead,
 * why_failed the task's name and over. Returns 0, MR_ESTALE (nothing
 * changed) or MR_EAPP (over). */
int tasks_fail_skipping(struct coord_tasks *t, struct coord_task *task,
                        uint32_t attempt, uint32_t refund, const char *over);

/* Attempt `attempt` stopped through no fault of its own (its input was bad):
 * the task becomes IDLE again without counting a failure. Returns 0 or
 * MR_ESTALE when that attempt was no longer the running one. */
int tasks_retry(struct coord_tasks *t, struct coord_task *task,
                uint32_t attempt);

/* A reduce task found map task `map`'s output corrupt or missing: a DONE map
 * becomes IDLE, to be run again, and the job returns to the MAP phase. This
 * counts as a failure of the map. Returns 0, MR_ESTALE when the map is not
 * DONE (already being redone), -EINVAL for no such map, or MR_EAPP when
 * the map has now failed max_failures times (the job is FAILED). */
int tasks_redo_map(struct coord_tasks *t, uint32_t map, const char *why);

/* The worker that kept map task `map`'s output is gone, or did not
 * answer a reduce that fetched it: a DONE map becomes IDLE, to be run
 * again, and the job returns to the MAP phase. Counts as a lost attempt
 * (max_lost), not a failure. Returns 0, MR_ESTALE when the map is not
 * DONE, -EINVAL for no such map, or MR_EAPP when the map has now been lost
 * max_lost times (the job is FAILED; why says how the last one was). */
int tasks_lose_output(struct coord_tasks *t, uint32_t map, const char *why);

/* The deadline of a RUNNING task passed: it becomes IDLE (its late attempt
 * may still complete it). Returns true if it was requeued. */
bool tasks_expire(struct coord_tasks *t, struct coord_task *task,
                  uint64_t now);

/* The worker behind owner is gone: its RUNNING tasks become IDLE, each one
 * more lost attempt (at max_lost the job is FAILED), and no attempt is
 * remembered as its any more. A task whose backup runs elsewhere while
 * owner ran the original stays RUNNING, with the backup alone. Calls each
 * (may be NULL) for every task requeued; returns how many. */
size_t tasks_release_owner(struct coord_tasks *t, uint64_t owner,
                           void (*each)(struct coord_task *, void *),
                           void *arg);

/* The job is FAILED for a reason outside its tasks (the owner aborted it,
 * or its outputs could not be committed); the caller keeps the reason.
 * Does nothing to a FAILED job. */
void tasks_end_failed(struct coord_tasks *t);

/* Resuming a job after a crash, before anything else: attempts handed out
 * from now on are numbered above base, so that none is taken for one the
 * earlier coordinators handed out (attempts name files). */
void tasks_number_from(struct coord_tasks *t, uint32_t base);

/* Attempt `attempt` (<= attempt_base: an earlier coordinator's) finished
 * task, IDLE or RUNNING: it is DONE, as by tasks_complete(), whichever
 * attempt runs now. Used for what the journal says was done and for the
 * late reports of the earlier coordinators' workers. Returns 0, MR_ESTALE
 * when the task is DONE already or the job is over, -EINVAL for an attempt
 * above attempt_base. */
int tasks_complete_earlier(struct coord_tasks *t, struct coord_task *task,
                           uint32_t attempt);

/* True when the job is over, DONE or FAILED. */
bool tasks_are_over(const struct coord_tasks *t);

/* Checks every invariant, walking every task (counts match states, phase
 * matches counts, the running lists match the RUNNING tasks, a backed-up
 * attempt is older than its backup and remembered, the backup budgets
 * hold): O(tasks). For tests, and for builds with MR_FULL_CHECKS, where
 * tasks.c asserts it after every change. */
bool tasks_check(const struct coord_tasks *t);

/* Checks in O(1) what a change to task can break: its own invariants
 * (attempts, handouts, the attempt a backup backs up, its slot in the
 * RUNNING list while RUNNING) and the job's (counts within bounds, the
 * phase matching them, the backup counters). task NULL: the job's alone.
 * tasks.c asserts it after every change, in every build where assert()
 * is on; a corrupted task elsewhere goes unseen until tasks_check(). */
bool tasks_check_task(const struct coord_tasks *t,
                      const struct coord_task *task);

const char *task_kind_name(enum task_kind kind);

#endif
