/* Stopping a job before it is over, to be resumed later (coord_stop, a
 * time limit): no more hand-outs, a bounded wait for the attempts that
 * run, the journal made durable, the job's files kept.
 *
 *   coord_stop()        stopping: no hand-outs; workers that ask wait
 *     | no attempt runs (coord__stop_check, after every change),
 *     | or the grace is over (on_grace_over)
 *     v
 *   maps kept by workers recorded undone; their sync waited for
 *     v
 *   stopped: journal closed, the waiting workers told to exit (they
 *   waited, serving map outputs to the reduces that ran), coord__drain(),
 *   then on_over */
#define _GNU_SOURCE
#include "coord_int.h"

#include <stdio.h>

#include "log.h"

/* The maps whose outputs only a worker keeps: the worker exits when told
 * and its scratch goes with it, so the next start must run them again
 * (the journal would otherwise send reduces to fetch from it). None when
 * every reduce is done: nothing needs them. Returns how many. */
static uint32_t
record_worker_outputs_lost(coord *c)
{
    uint32_t n = 0;

    if (c->tasks.reduces_done == c->tasks.nreduce)
        return 0;
    for (uint32_t m = 0; m < c->tasks.nmap; m++) {
        const struct map_location *l = &c->locations[m];
        if (c->tasks.maps[m].state != TASK_DONE || l->addr == NULL ||
            l->shared)
            continue;
        coord__journal_map_undone(c, m);
        n++;
    }
    return n;
}

static void
finish(coord *c)
{
    const struct coord_tasks *t = &c->tasks;
    uint32_t running = t->running[KIND_MAP] + t->running[KIND_REDUCE];

    c->stopped = true;
    rpc_loop_timer_cancel(c->loop, c->stop_timer);
    c->stop_timer = NULL;
    journal_close(c->journal);  /* synced: nothing was pending */
    c->journal = NULL;
    mr_info("job %s stopped before it was over: %u of %u map and %u of %u "
            "reduce tasks are done%s; its journal and files stay in %s for "
            "a later start to resume it", c->job_id, t->maps_done, t->nmap,
            t->reduces_done, t->nreduce,
            running > 0 ? " (attempts still running are given up)" : "",
            c->dir[0] ? c->dir : "its directory");
    coord__dispatch(c);         /* the waiting workers are told to exit */
}

void
coord__stop_check(coord *c)
{
    const struct coord_tasks *t = &c->tasks;

    if (!c->stopping || c->stopped || tasks_are_over(t))
        return;
    if (t->running[KIND_MAP] + t->running[KIND_REDUCE] > 0 &&
        c->stop_timer != NULL)
        return;                 /* within the grace: let them finish */
    if (coord__journal_pending(c))
        return;                 /* the sync dispatches, which calls again */
    if (!c->stop_recorded) {
        c->stop_recorded = true;
        if (record_worker_outputs_lost(c) > 0 && coord__journal_pending(c))
            return;
    }
    finish(c);
}

static void
on_grace_over(rpc_loop *loop, void *arg)
{
    coord *c = arg;

    (void)loop;
    c->stop_timer = NULL;
    mr_warn("the attempts still running when the job was stopped had their "
            "grace; they run again when the job resumes");
    coord__stop_check(c);
}

void
coord__stop_now(coord *c)
{
    if (!c->stopping || c->stopped)
        return;
    if (c->stop_timer != NULL) {
        rpc_loop_timer_cancel(c->loop, c->stop_timer);
        c->stop_timer = NULL;
        mr_warn("job %s: interrupted while stopping: the attempts still "
                "running are given up now; they run again when the job "
                "resumes", c->job_id);
    }
    coord__dispatch(c);         /* ends the stop once the journal is synced */
}

void
coord_stop(coord *c)
{
    uint64_t grace_ms = c->stop_grace_ms;

    if (c->ended || c->stopping || tasks_are_over(&c->tasks))
        return;
    c->stopping = true;
    mr_info("stopping job %s: no more tasks are handed out; running ones "
            "get %.1f s to finish", c->job_id, (double)grace_ms / 1000.0);
    c->stop_timer = rpc_loop_timer_add(c->loop, grace_ms, on_grace_over, c);
    if (c->stop_timer == NULL)
        mr_warn("cannot arm the stop's timer: running tasks are not "
                "waited for");
    coord__dispatch(c);         /* may end the stop at once */
}

bool
coord_stopped(const coord *c)
{
    return c->stopped;
}
