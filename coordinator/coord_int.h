/* Inside the coordinator: the struct shared by its files (coord.c: life
 * cycle, handing out tasks and timers; coord_join.c: who may join;
 * coord_report.c: task reports; coord_heartbeat.c: workers saying they
 * are alive; coord_end.c: the job's end; coord_app.c: the app module the
 * job runs and gives out; coord_describe.c: naming tasks; coord_journal.c:
 * writing the journal; coord_resume.c: resuming from it;
 * coord_counters.c: the job's counters) and the
 * functions they call in each other. Nothing outside coordinator/
 * includes this. */
#ifndef COORD_INT_H
#define COORD_INT_H

#include <limits.h>
#include <stdbool.h>
#include <time.h>

#include "app_file.h"
#include "coord.h"
#include "failures.h"
#include "job_counters.h"
#include "jobdir.h"
#include "journal.h"
#include "log.h"
#include "members.h"
#include "mr.pb-c.h"
#include "rpc.h"
#include "skips.h"
#include "packs.h"
#include "splits.h"
#include "tasks.h"

/* A worker's ask for a task: a GetTask call, or a report that asks for
 * its next task (TaskReport.ask), answered with one in ReportReply.next;
 * held in c->waiters until a task is free. */
struct waiter {
    rpc_call *call;
    Mr__Task_Closure closure;   /* GetTask's; NULL for a report's */
    Mr__ReportReply_Closure report_closure;     /* a report's */
    bool accepted;              /* a report's: whether its completion
                                   counts (ReportReply.accepted) */
    struct waiter *next;
};

/* The deadline timer of one task's running attempt. */
struct deadline {
    coord *c;
    struct coord_task *task;
    rpc_timer *timer;           /* armed while the task is RUNNING */
};

/* Figures from accepted reports, for the summary. */
struct coord_stats {
    uint64_t input_bytes;       /* total size of the input files seen */
    uint64_t map_bytes_in;      /* from accepted map reports */
    uint64_t map_records;       /* pairs emitted by accepted maps */
    uint64_t im_bytes;          /* intermediate bytes of accepted maps */
    uint64_t out_bytes;         /* output bytes of accepted reduces */
    uint64_t out_keys;          /* output lines of accepted reduces */
};

/* Where a DONE map's output is: in the job's private directory (shared;
 * its worker may also serve it at addr), or kept by the worker on
 * connection conn, which serves it at addr. */
struct map_location {
    uint64_t conn;              /* the worker that reported it */
    char *addr;                 /* owned; NULL: in the private directory */
    char *path;                 /* owned; absolute on that worker's host */
    uint64_t size;              /* bytes */
    bool shared;                /* in the private directory: outlives its
                                   worker */
    uint64_t bytes_in, records, bytes_out;  /* its report's figures, taken
                                   back out of the job's if it is lost */
};

/* When the job's phases ended, for the summary (coord__phase_clock). */
struct phase_clock {
    enum job_phase seen;        /* the phase at the last look */
    uint64_t work_ms;           /* the first attempt handed out; 0: none */
    uint64_t maps_ms;           /* every map became done (the last time);
                                   0: not now (never, or sent back) */
    uint64_t reduces_ms;        /* every reduce became done; 0: not yet */
};

struct upload;                  /* coord_status.c: the Status handler. */
void coord__status(Mr__Coordinator_Service *service,
                   const Mr__StatusRequest *req,
                   Mr__StatusReply_Closure closure, void *closure_data);

/* coord_data.c */
struct held_report;             /* coord_journal.c */

/* The app the job runs, once known: from the owner (coord_opts.app), from
 * the module it gives out (coord_opts.app_file: the digest only, until a
 * worker that brings the same file names it), or from the first worker. */
struct job_app {
    bool known;                 /* digest and path are */
    bool named;                 /* name and abi are too */
    char name[128];             /* until named: the file's (app_file.h) */
    uint32_t abi;
    uint8_t digest[MR_APP_DIGEST_LEN];
    char path[PATH_MAX];
    const struct app_file *file;    /* borrowed: the module workers that
                                       bring none take (GetApp); or NULL */
};

struct coord {
    Mr__Coordinator_Service service;    /* first: handlers cast back */
    rpc_loop *loop;
    rpc_server *srv;
    char job_id[MR_JOB_ID_LEN + 1];
    const char *const *inputs;  /* borrowed: the files as named */
    uint32_t ninputs;
    struct split *splits;       /* the inputs' splits, in order */
    uint32_t nsplits;
    struct pack *packs;         /* map task i reads packs[i]'s splits
                                   (--min-split-size); NULL: split i */
    uint32_t npacks;            /* of packs */
    uint64_t min_split_size;    /* in force: part of the job's definition */
    uint32_t unseen;            /* inputs handed to workers unseen */
    const char *unseen_first;   /* the first of them, as named; or NULL */
    struct coord_tasks tasks;   /* timeout_ms: the silence allowed, L of
                                   the silence rule (coord.h) */
    uint64_t heartbeat_ms;      /* H of the rule: JoinReply.heartbeat_ms */
    struct deadline *map_deadlines, *reduce_deadlines;
    struct waiter *waiters, **waiters_tail;
    struct coord_stats stats;
    struct job_counters counters;   /* each DONE task's, its winning
                                   attempt's: map m's at m, reduce r's at
                                   nmap + r (coord_counters.c) */
    struct members members;     /* joined workers, by connection */
    struct job_app app;
    const char *output_dir;     /* borrowed; NULL: the first worker's */
    jobdir *jd;                 /* the job's directory, while held */
    char dir[PATH_MAX];         /* its path, once known */
    struct coord_map_attempts { /* reduce Task.map_attempts, packed
                                   (coord_map_attempts.c) */
        ProtobufCMessageUnknownField field;     /* what a Task carries */
        uint8_t *bytes;         /* the field's value: length, varints */
        uint8_t *scratch;       /* the varints, while they are counted */
        size_t cap;             /* of bytes */
        uint64_t changed;       /* tasks.maps_changed when packed */
        bool packed;
    } attempts;
    struct map_location *locations;     /* by map task */
    uint32_t served;            /* locations with an addr: some reduce
                                   Task must say where the outputs are */
    Mr__MapOutput *task_outputs;        /* scratch for reduce Task */
    Mr__MapOutput **task_output_ptrs;   /* messages, nmap each */
    struct upload *uploads;     /* reduce outputs arriving (PutOutput) */
    uint64_t split_size;        /* in force: part of the job's definition */
    bool fresh;                 /* never resume a dead job's journal */
    journal *journal;           /* while the job runs in its directory */
    struct journal_contents *resume;    /* a dead job's, adopted, until
                                           coord__journal_begin() */
    uint32_t generation;        /* this coordinator's: 1 + earlier ones */
    bool journal_app_done;      /* the journal names the app */
    rpc_timer *sync_timer;      /* armed while records await their sync */
    struct held_report *held;   /* reports answered after the sync */
    bool networked;             /* listens on TCP: workers of other hosts */
    bool has_local;             /* a worker that cannot see the private
                                   directory asked for work */
    void (*on_progress)(coord *c, void *arg);
    void (*on_over)(coord *c, void *arg);
    void *arg;
    time_t started;             /* wall clock, for the marker */
    uint64_t start_ms;          /* monotonic */
    struct mr_log_limit refusal_log;    /* refused requests */
    bool ended;                 /* end_job has run */
    bool draining;              /* over: telling the last workers to exit */
    bool drained;               /* on_over has been called */
    rpc_timer *drain_timer;     /* caps how long draining lasts */
    rpc_timer *backup_timer;    /* while workers wait: when the next
                                   straggler is due a backup */
    char why_failed[MR_ERR_LEN];    /* an abort's or the commit's reason */
    bool interrupted;           /* coord_interrupt(): no failure note */
    bool stopping;              /* coord_stop(): no hand-outs; running
                                   attempts may still finish */
    bool stopped;               /* the stop is done: journal durable, files
                                   kept for a later start */
    uint64_t stop_grace_ms;     /* coord_opts.stop_grace_ms, defaulted */
    rpc_timer *stop_timer;      /* caps how long running attempts get;
                                   NULL once the grace is over */
    bool stop_recorded;         /* the stop's undone maps are journaled */
    struct failure_log failures;    /* failed and lost attempts */
    struct skips skips;         /* bad records (--skip-bad-records) */
    char final_error[COORD_ERROR_LEN];  /* a task ended the job: its
                                   failure, named in full */
    struct phase_clock clock;
};

/* coord.c */
void coord__progress(coord *c);
void coord__dispatch(coord *c);
/* Answers ask (a copy is queued) with a task, or the job's end, now if it
 * can; else queues it in c->waiters for coord__dispatch, fairly: after
 * the asks already waiting. local: the worker keeps its files on its own
 * disk (TaskRequest.local). Out of memory, the call fails. */
void coord__ask(coord *c, const struct waiter *ask, bool local);
/* Tells connected workers to exit as they ask; on_over follows once the
 * last hangs up, or after COORD_DRAIN_MS. */
void coord__drain(coord *c);
/* Logs a refused request, at most one line a second. */
void coord__log_refusal(coord *c, uint64_t conn, const char *what,
                        const char *why);
/* Peer text made fit for the log: control characters become '?'. */
const char *coord__printable(const char *text, char *buf, size_t len);
/* Disarms the deadline timer of a task that is no longer RUNNING. */
void coord__settle_timer(coord *c, struct coord_task *task);
/* What a worker is told of the job: NONE while it runs, DONE or FAILED. */
Mr__JobOutcome coord__outcome(const coord *c);
/* The worker on conn was heard from now (status: "last heard"). */
void coord__heard(coord *c, uint64_t conn);
/* The pid a joined connection gave, for log lines; 0 if none. */
uint32_t coord__pid_of(const coord *c, uint64_t conn);

/* coord_stop.c */
/* While stopping: ends the stop once no attempt runs (call after every
 * change); does nothing otherwise. */
void coord__stop_check(coord *c);
/* While stopping: ends the grace now (an interrupt, an abort), the job
 * still resumable. */
void coord__stop_now(coord *c);

/* coord_outputs.c */
/* Room for nmap locations and the reduce Task scratch. Returns 0 or
 * -ENOMEM. */
int coord__outputs_init(coord *c, uint32_t nmap);
void coord__outputs_free(coord *c);
/* Map task map's output, as its accepted report says (where NULL: in the
 * private directory). */
void coord__output_done(coord *c, uint32_t map, uint64_t conn,
                        const Mr__TaskReport *rep);
/* Map task map's output as the journal recorded it (conn 0: no worker
 * connected now holds it). */
void coord__output_restore(coord *c, const Mrj__MapDone *m);
/* A worker joined (again) on conn, serving map outputs at addr: the
 * outputs restored from the journal as kept there are its from now on
 * (they go when it does). */
void coord__outputs_rebind(coord *c, const char *addr, uint64_t conn);
/* Map task map runs again (its output was bad or is gone): its figures
 * leave the job's, for the attempt that wins next to bring its own. */
void coord__output_undone(coord *c, uint32_t map);
/* Fills a reduce Task's map_outputs. */
void coord__outputs_fill(coord *c, Mr__Task *t);
/* The worker on conn is gone: the DONE maps whose outputs it kept run
 * again. Returns how many. */
uint32_t coord__outputs_lost_with(coord *c, uint64_t conn);
/* A reduce could not fetch these maps' outputs (attempts[k] of maps[k];
 * attempts may be NULL: any) from addr: those still kept there run again.
 * Returns how many. */
uint32_t coord__outputs_unreachable(coord *c, const uint32_t *maps,
                                    const uint32_t *attempts, size_t n,
                                    const char *addr);

/* coord_data.c */
void coord__read_input(Mr__Coordinator_Service *service,
                       const Mr__InputRequest *req,
                       Mr__InputChunk_Closure closure, void *closure_data);
void coord__put_output(Mr__Coordinator_Service *service,
                       const Mr__OutputChunk *req,
                       Mr__OutputAck_Closure closure, void *closure_data);
/* Abandons the uploads of conn (0: all of them). */
void coord__drop_uploads(coord *c, uint64_t conn);

/* coord_app.c */
/* The job gives out module f: its digest is the job's app from now on.
 * Returns 0, or MR_EBADAPP with err filled when the owner's app (set
 * first) is another module. */
int coord__app_serve(coord *c, const struct app_file *f,
                     char err[MR_ERR_LEN]);
/* Why a joining worker's app is not the job's, in buf; NULL when it is (or
 * the worker takes the job's, which the job has). */
const char *coord__app_refusal(const coord *c, const Mr__JoinRequest *req,
                               char *buf, size_t len);
/* Learns what a worker that was not refused brings: the whole app when
 * none is known, its name and ABI when only the digest is. A worker that
 * fetches the module tells nothing. */
void coord__app_take(coord *c, const Mr__JoinRequest *req);
/* Fills the app_* fields of an accepted JoinReply when the job gives out
 * its module (they point into c). */
void coord__app_announce(const coord *c, Mr__JoinReply *reply);
void coord__get_app(Mr__Coordinator_Service *service,
                    const Mr__AppRequest *req, Mr__AppChunk_Closure closure,
                    void *closure_data);

/* coord_report.c */
/* Answers a task report (after the job's end, when it is over); a
 * report that asks for its next task (ask, else NULL) is answered with
 * it, maybe later (coord__ask). */
void coord__answer_report(coord *c, rpc_call *call,
                          Mr__ReportReply_Closure closure,
                          struct coord_task *task, bool accepted,
                          const Mr__TaskRequest *ask);
/* Sends the reply to w, a report's ask, with next (or NULL) as the
 * worker's next task. */
void coord__report_reply(coord *c, const struct waiter *w, Mr__Task *next);
void coord__report_task(Mr__Coordinator_Service *service,
                        const Mr__TaskReport *rep,
                        Mr__ReportReply_Closure closure, void *closure_data);

/* coord_heartbeat.c */
/* A worker says it still runs an attempt: the task's deadline moves on
 * (the silence rule, coord.h). Sent one-way; always answered empty. */
void coord__heartbeat(Mr__Coordinator_Service *service,
                      const Mr__Heartbeat *req,
                      Mr__HeartbeatReply_Closure closure, void *closure_data);

/* coord_join.c */
void coord__join(Mr__Coordinator_Service *service, const Mr__JoinRequest *req,
                 Mr__JoinReply_Closure closure, void *closure_data);
/* Takes dir for the job (jobdir_open). Returns 0, or an error, err
 * filled. */
int coord__take_dir(coord *c, const char *dir, char err[MR_ERR_LEN]);

/* The job's definition as this coordinator sees it; inputs[] and the
 * pointers in def are c's or in room (coord__definition_free). */
struct definition {
    Mrj__Define def;
    Mrj__Input *inputs;
    Mrj__Input **ptrs;
};

/* coord_resume.c */
/* The job's definition as this coordinator sees it (inputs stat()ed now).
 * Returns 0 or -ENOMEM. */
int coord__definition_build(coord *c, struct definition *d);
void coord__definition_free(struct definition *d);
/* Takes the dead coordinator's finished tasks whose outputs are still
 * there, its app when the job knew none, and numbers attempts above its.
 * Returns 0 or -ENOMEM. */
int coord__resume_restore(coord *c, const struct journal_contents *jc);
/* jobdir's claim hook (jobdir.h): adopts a dead job's private directory
 * whose journal defines this very job (its parsed journal kept in
 * c->resume, its id taken), refuses one of another job, sweeps one
 * without a journal. */
int coord__resume_claim(const char *priv, const char *job_id, void *arg,
                        char err[MR_ERR_LEN]);
/* A report of an attempt an earlier coordinator handed out
 * (tasks_complete_earlier): accepted when its output can be used (one in
 * the private directory is there). Returns 0 or MR_ESTALE. */
int coord__resume_late(coord *c, struct coord_task *task,
                       const Mr__TaskReport *rep);

/* coord_journal.c */
/* Once the directory is held: resumes from c->resume (the finished tasks
 * whose outputs are still there are DONE, attempts are numbered above the
 * earlier coordinators'), or starts a journal with the job's definition;
 * then records this start, durably. Returns 0 or an error, err filled
 * (the job can still run, without a journal). */
int coord__journal_begin(coord *c, char err[MR_ERR_LEN]);
/* Records, for the next sync: the app once known, a map done (its
 * location set), a map undone, a reduce done. */
void coord__journal_app(coord *c);
void coord__journal_map_done(coord *c, uint32_t map);
void coord__journal_map_undone(coord *c, uint32_t map);
void coord__journal_reduce_done(coord *c, uint32_t reduce,
                                const Mr__TaskReport *rep);
/* Records, for the next sync, that a record is skipped from now on. */
void coord__journal_skipped(coord *c, const struct bad_record *r);
/* True while records wait for their sync: nothing is handed out, and the
 * job does not end, until it has run. */
bool coord__journal_pending(const coord *c);
/* While records wait for their sync, holds a report (accepted: whether
 * its completion counts) until the sync, which answers it. Returns false
 * when nothing waits for a sync: answer now. */
bool coord__journal_hold(coord *c, rpc_call *call,
                         Mr__ReportReply_Closure closure,
                         struct coord_task *task, bool accepted,
                         const Mr__TaskRequest *ask);
/* Has the next loop iteration sync (if need be) and dispatch: after the
 * job's directory is taken, a resumed job may be done already. */
void coord__journal_kick(coord *c);
/* The job is about to commit: its journal goes first (from the commit's
 * record on, a takeover finishes the commit, and a finished job must not
 * be resumed). */
void coord__journal_remove(coord *c);
/* Closes the journal (the file goes with the private directory); held
 * reports are failed. */
void coord__journal_end(coord *c);

/* coord_counters.c */
/* The counters of rep, the winning attempt of task, become the task's (a
 * list the worker should never have sent is dropped, with a warning). */
void coord__counters_take(coord *c, const struct coord_task *task,
                          const Mr__TaskReport *rep);
/* The counters the journal recorded for task (v may be NULL: none). */
void coord__counters_restore(coord *c, const struct coord_task *task,
                             Mr__Counter *const *v, size_t n);
/* The task's counters leave the job's: it runs again. */
void coord__counters_drop(coord *c, const struct coord_task *task);
/* The job's counters now: its tasks' sums and the coordinator's own
 * (attempts failed, killed, reassigned, backed up), sorted by name, in a
 * malloc()ed array of *n (names borrowed from c: use it before the loop
 * turns again); NULL when out of memory. */
struct job_counter *coord__counters(const coord *c, size_t *n);
/* Fills a record's counters with the task's: *out and *ptrs are
 * malloc()ed (free both, even on failure). Returns how many; 0 when out
 * of memory too. */
size_t coord__counters_record(const coord *c, const struct coord_task *task,
                              Mr__Counter **out, Mr__Counter ***ptrs);

/* coord_end.c */
/* Once the job is over, exactly once and before any worker hears of it:
 * commits the outputs of a DONE job (a commit that fails fails the job) or
 * gives up a FAILED job's files, leaving its summary as the failure note
 * (jobdir_fail) unless it was interrupted, then releases the directory. */
void coord__end_job(coord *c);
/* Notes when a phase ended, for the summary: call after every change of
 * a task's state. The map phase runs from the first hand-out to the last
 * time every map was done (a job sent back to it by a lost or bad map
 * output maps until its last map is done again), the reduce phase from
 * there until every reduce is done, the commit from there until the
 * summary is written (it is part of the commit's record); a phase the job
 * failed in ends with the job. */
void coord__phase_clock(coord *c);

/* coord_failures.c */
/* Records a failed or lost attempt of task, run by the worker on conn
 * (0 or gone: unknown), with its reason, the signal it died of (0: none)
 * and its stderr tail (NULL or "": none); peer text is defused. */
void coord__failure_note(coord *c, const struct coord_task *task,
                         uint32_t attempt, uint64_t conn, const char *reason,
                         uint32_t signal, const char *stderr_tail);
/* Fills rows (room for c->failures.kept) with the records kept, oldest
 * first, their strings borrowed from c, and ptrs with their addresses.
 * Returns how many. */
size_t coord__failures_fill(const coord *c, Mr__Failure *rows,
                            Mr__Failure **ptrs);
/* Once a task has failed the job: the final error (coord_error) becomes
 * the task's reason followed by its last failure's worker (host and pid),
 * signal and first line of stderr. */
void coord__failure_explain(coord *c);
/* coord_describe.c */
/* The describe hook of the task table: " (input a.txt, bytes 0-99)". */
void coord__describe(const struct coord_task *task, char *buf, size_t len,
                     void *arg);
/* Map task map's splits: returns the first, *n set to how many (1 unless
 * the task packs several small inputs). map must be < c->tasks.nmap. */
const struct split *coord__map_splits(const coord *c, uint32_t map,
                                      uint32_t *n);
/* coord_map_attempts.c */
/* Room to pack a reduce Task's map_attempts for nmap maps. Returns 0 or
 * -ENOMEM (free what was allocated with coord__map_attempts_free). */
int coord__map_attempts_init(coord *c, uint32_t nmap);
void coord__map_attempts_free(coord *c);
/* Gives a reduce Task t the done attempt of every map, packed again only
 * when a map was done or undone since (tasks.maps_changed); t borrows
 * the bytes from c until the next call. */
void coord__map_attempts_fill(coord *c, Mr__Task *t);
/* coord_parts.c */
/* Sets t->parts (t->n_parts) to map task map's inputs when it packs
 * several, their strings borrowed from c; leaves t alone for one input.
 * Returns 0 or -ENOMEM (t->parts then NULL). */
int coord__task_parts(coord *c, uint32_t map, Mr__Task *t);
/* Frees what coord__task_parts allocated; safe when it set nothing. */
void coord__task_parts_free(Mr__Task *t);
/* How messages name map task map's input: its file as named, or its
 * pack's "N files from A to B" (borrowed from c). */
const char *coord__map_input(const coord *c, uint32_t map);

#endif
