/* The Heartbeat handler: a worker running a task says it is alive, and the
 * task's deadline moves on (the silence rule, coord.h). Believed only for
 * the attempt that runs now, from the connection it was handed to;
 * anything else is ignored without a word, since the worker sends it
 * one-way and reads no answer. O(1): every worker beats every second. */
#include "coord_int.h"

/* The task a heartbeat names, if it is RUNNING the attempt named, on the
 * calling connection; else NULL. */
static struct coord_task *
beating_task(coord *c, const Mr__Heartbeat *req, uint64_t conn)
{
    struct coord_task *task;

    if (req->kind != MR__TASK_KIND__TASK_MAP &&
        req->kind != MR__TASK_KIND__TASK_REDUCE)
        return NULL;
    task = tasks_find(&c->tasks, req->kind == MR__TASK_KIND__TASK_MAP
                                     ? KIND_MAP : KIND_REDUCE, req->id);
    if (task == NULL || task->state != TASK_RUNNING ||
        task->running_attempt != req->attempt || task->owner != conn)
        return NULL;
    return task;
}

void
coord__heartbeat(Mr__Coordinator_Service *service, const Mr__Heartbeat *req,
                 Mr__HeartbeatReply_Closure closure, void *closure_data)
{
    coord *c = (coord *)service;
    Mr__HeartbeatReply reply = MR__HEARTBEAT_REPLY__INIT;
    uint64_t conn = rpc_call_conn_id(closure_data);
    struct coord_task *task = beating_task(c, req, conn);

    coord__heard(c, conn);

    /* The deadline timer, when it fires, waits for the rest (coord.c). */
    if (task != NULL && !tasks_are_over(&c->tasks))
        task->deadline = rpc_monotonic_ms() + c->tasks.timeout_ms;
    closure(&reply, closure_data);
}
