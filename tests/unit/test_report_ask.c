/* A report that asks for the next task (TaskReport.ask), against a real
 * coordinator in a child process: its reply carries the next task, one
 * round trip a task; a report whose worker must wait is held, behind the
 * workers already waiting, and answered when work appears, or with the
 * job's end; a report that does not ask is answered without a task. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "coord.h"
#include "coord_child.h"
#include "mr.pb-c.h"
#include "names.h"
#include "protocol.h"
#include "rpc.h"
#include "tmpdir.h"

static char dir[64], addr[128], input[128], priv[PATH_MAX];
static pid_t child = -1;
static rpc_client *clients[2];

static void
setup(void)
{
    signal(SIGPIPE, SIG_IGN);
    cr_assert_eq(tmpdir_create(dir, sizeof(dir), "ask-test"), 0);
    snprintf(addr, sizeof(addr), "unix:%s/sock", dir);
    snprintf(input, sizeof(input), "%s/input.txt", dir);
}

static void
teardown(void)
{
    for (int i = 0; i < 2; i++) {
        rpc_client_free(clients[i]);
        clients[i] = NULL;
    }
    if (child > 0) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
    }
    cr_assert_eq(tmpdir_remove(dir), 0);
}

TestSuite(report_ask, .init = setup, .fini = teardown, .timeout = 30);

/* A coordinator in a child (coord_child.h) of a job of `lines` map tasks
 * (one 16-byte line each) and one reduce task, listening at addr until
 * killed. Returns once it listens, with both clients made. */
static void
serve(unsigned lines)
{
    static const char *files[1] = {input};
    struct coord_opts opts = {.output_dir = dir, .nreduce = 1,
                              .split_size = 16};
    char err[MR_ERR_LEN];
    FILE *f = fopen(input, "w");

    cr_assert_not_null(f);
    for (unsigned i = 0; i < lines; i++)
        fprintf(f, "line %10u\n", i);
    cr_assert_eq(fclose(f), 0);
    child = coord_child_start(files, 1, &opts, addr);
    cr_assert_gt(child, 0, "the coordinator did not start");
    for (int i = 0; i < 2; i++) {
        clients[i] = rpc_client_create(addr, &(struct rpc_client_opts){
                                                 .connect_timeout_ms = 2000,
                                                 .call_timeout_ms = 10000},
                                       err);
        cr_assert_not_null(clients[i], "%s", err);
    }
}

/* Joins on client i, as a worker running a made-up module. */
static void
join(int i)
{
    static uint8_t digest[MR_APP_DIGEST_LEN] = {1, 2, 3};
    Mr__JoinRequest req = MR__JOIN_REQUEST__INIT;
    Mr__JoinReply *reply = NULL;

    req.protocol = MR_PROTOCOL_VERSION;
    req.pid = (uint32_t)getpid();
    req.host = (char *)"test";
    req.cwd = dir;
    req.app_name = (char *)"fake";
    req.app_abi = 1;
    req.app_digest.data = digest;
    req.app_digest.len = sizeof(digest);
    req.app_path = (char *)"fake.so";
    cr_assert_eq(rpc_client_call(clients[i], &mr__coordinator__descriptor,
                                 "Join", &req.base,
                                 (ProtobufCMessage **)&reply), 0, "%s",
                 rpc_client_errmsg(clients[i]));
    cr_assert(reply->accepted, "%s", reply->why);
    snprintf(priv, sizeof(priv), "%s", reply->private_dir);
    mr__join_reply__free_unpacked(reply, NULL);
}

static Mr__Task *
get_task(int i)
{
    Mr__TaskRequest req = MR__TASK_REQUEST__INIT;
    Mr__Task *t = NULL;

    cr_assert_eq(rpc_client_call(clients[i], &mr__coordinator__descriptor,
                                 "GetTask", &req.base,
                                 (ProtobufCMessage **)&t), 0, "%s",
                 rpc_client_errmsg(clients[i]));
    return t;
}

/* Reports t done on client i, asking for the next task when ask; without
 * waiting for the reply (rpc_client_wait takes it). Stages a reduce's
 * output empty, where a worker would write it, so that the job commits. */
static uint32_t
send_report(int i, const Mr__Task *t, bool ask)
{
    Mr__TaskReport rep = MR__TASK_REPORT__INIT;
    Mr__TaskRequest next = MR__TASK_REQUEST__INIT;
    char name[64], path[PATH_MAX + 64];
    uint32_t id;
    int fd;

    if (t->kind == MR__TASK_KIND__TASK_REDUCE) {
        mr_staged_name(name, sizeof(name), t->id, t->attempt);
        snprintf(path, sizeof(path), "%s/%s", priv, name);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        cr_assert_geq(fd, 0, "cannot stage %s", path);
        close(fd);
    }
    rep.kind = t->kind;
    rep.id = t->id;
    rep.attempt = t->attempt;
    rep.ok = true;
    if (ask)
        rep.ask = &next;
    cr_assert_eq(rpc_client_send(clients[i], &mr__coordinator__descriptor,
                                 "ReportTask", &rep.base, &id), 0, "%s",
                 rpc_client_errmsg(clients[i]));
    return id;
}

static Mr__ReportReply *
wait_reply(int i, uint32_t id)
{
    Mr__ReportReply *reply = NULL;

    cr_assert_eq(rpc_client_wait(clients[i], id, (ProtobufCMessage **)&reply,
                                 10000), 0, "%s",
                 rpc_client_errmsg(clients[i]));
    return reply;
}

static Mr__ReportReply *
report(int i, const Mr__Task *t, bool ask)
{
    return wait_reply(i, send_report(i, t, ask));
}

/* Once this returns, the coordinator has read every request client i
 * sent before (it serves a connection's requests in order). */
static void
sync_with(int i)
{
    Mr__StatusRequest req = MR__STATUS_REQUEST__INIT;
    Mr__StatusReply *reply = NULL;

    cr_assert_eq(rpc_client_call(clients[i], &mr__coordinator__descriptor,
                                 "Status", &req.base,
                                 (ProtobufCMessage **)&reply), 0, "%s",
                 rpc_client_errmsg(clients[i]));
    mr__status_reply__free_unpacked(reply, NULL);
}

Test(report_ask, each_reply_carries_the_next_task_to_the_jobs_end)
{
    Mr__Task *t;
    Mr__ReportReply *r1, *r2, *r3;

    serve(2);
    join(0);
    t = get_task(0);
    cr_assert_eq(t->kind, MR__TASK_KIND__TASK_MAP);
    cr_assert_eq(t->id, 0);

    r1 = report(0, t, true);
    cr_assert(r1->accepted);
    cr_assert_not(r1->job_over);
    cr_assert_not_null(r1->next, "a report that asked got no task");
    cr_assert_eq(r1->next->kind, MR__TASK_KIND__TASK_MAP);
    cr_assert_eq(r1->next->id, 1);
    cr_assert_eq(r1->next->attempt, 1);
    cr_assert_str_eq(r1->next->job_id, t->job_id);

    r2 = report(0, r1->next, true);
    cr_assert(r2->accepted);
    cr_assert_not_null(r2->next);
    cr_assert_eq(r2->next->kind, MR__TASK_KIND__TASK_REDUCE);
    cr_assert_eq(r2->next->id, 0);

    r3 = report(0, r2->next, true);
    cr_assert(r3->accepted);
    cr_assert(r3->job_over, "the last report did not hear the job's end");
    cr_assert_eq(r3->outcome, MR__JOB_OUTCOME__OUTCOME_DONE, "%s", r3->why);
    cr_assert_not_null(r3->next);
    cr_assert_eq(r3->next->kind, MR__TASK_KIND__TASK_EXIT);
    cr_assert_eq(r3->next->outcome, MR__JOB_OUTCOME__OUTCOME_DONE);

    mr__report_reply__free_unpacked(r3, NULL);
    mr__report_reply__free_unpacked(r2, NULL);
    mr__report_reply__free_unpacked(r1, NULL);
    mr__task__free_unpacked(t, NULL);
}

Test(report_ask, a_report_that_does_not_ask_gets_no_task)
{
    Mr__Task *t, *next;
    Mr__ReportReply *r;

    serve(2);
    join(0);
    t = get_task(0);
    r = report(0, t, false);
    cr_assert(r->accepted);
    cr_assert_null(r->next);
    next = get_task(0);         /* as before: GetTask hands it out */
    cr_assert_eq(next->kind, MR__TASK_KIND__TASK_MAP);
    cr_assert_eq(next->id, 1);
    mr__task__free_unpacked(next, NULL);
    mr__report_reply__free_unpacked(r, NULL);
    mr__task__free_unpacked(t, NULL);
}

/* Worker 0 maps the only map; worker 1's GetTask waits. Worker 0's report
 * makes the reduce free: it goes to worker 1, who waited first, and worker
 * 0's report waits in turn, until the reduce's report ends the job. */
Test(report_ask, a_report_that_must_wait_queues_behind_earlier_askers)
{
    Mr__TaskRequest req = MR__TASK_REQUEST__INIT;
    Mr__Task *map, *reduce = NULL;
    Mr__ReportReply *held, *last;
    uint32_t asked, reported;

    serve(1);
    join(0);
    join(1);
    map = get_task(0);
    cr_assert_eq(map->kind, MR__TASK_KIND__TASK_MAP);
    cr_assert_eq(rpc_client_send(clients[1], &mr__coordinator__descriptor,
                                 "GetTask", &req.base, &asked), 0);
    sync_with(1);               /* worker 1 waits from now on */

    reported = send_report(0, map, true);
    cr_assert_eq(rpc_client_wait(clients[1], asked,
                                 (ProtobufCMessage **)&reduce, 10000), 0,
                 "%s", rpc_client_errmsg(clients[1]));
    cr_assert_eq(reduce->kind, MR__TASK_KIND__TASK_REDUCE,
                 "the worker that waited first did not get the reduce");

    last = report(1, reduce, true);
    cr_assert(last->job_over);
    cr_assert_eq(last->outcome, MR__JOB_OUTCOME__OUTCOME_DONE, "%s",
                 last->why);

    held = wait_reply(0, reported);
    cr_assert(held->accepted, "the held report's map did not count");
    cr_assert(held->job_over);
    cr_assert_eq(held->outcome, MR__JOB_OUTCOME__OUTCOME_DONE);
    cr_assert_not_null(held->next);
    cr_assert_eq(held->next->kind, MR__TASK_KIND__TASK_EXIT);

    mr__report_reply__free_unpacked(held, NULL);
    mr__report_reply__free_unpacked(last, NULL);
    mr__task__free_unpacked(reduce, NULL);
    mr__task__free_unpacked(map, NULL);
}
