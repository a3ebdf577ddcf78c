/* mrstatus's view of a job for people: every part of a StatusReply shows,
 * aligned (workers and what they run, the running tasks, the failures with
 * their reason, signal, input and stderr, the counters), and text that came
 * from workers cannot drive the terminal. The job suite
 * tests/job/test-status.sh sees it on a live job; this sees the parts a
 * live job of the tests does not have. */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status_view.h"

TestSuite(status_view);

/* The view of s, malloc()ed. */
static char *
view(const Mr__StatusReply *s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    cr_assert_not_null(f);
    status_view_print(f, s);
    cr_assert_eq(fclose(f), 0);
    return text;
}

static void
assert_has(const char *text, const char *line)
{
    cr_assert_not_null(strstr(text, line), "no '%s' in:\n%s", line, text);
}

Test(status_view, shows_every_part)
{
    Mr__StatusReply s = MR__STATUS_REPLY__INIT;
    Mr__PhaseStatus maps = MR__PHASE_STATUS__INIT;
    Mr__PhaseStatus reduces = MR__PHASE_STATUS__INIT;
    Mr__WorkerStatus w[2] = {MR__WORKER_STATUS__INIT,
                             MR__WORKER_STATUS__INIT};
    Mr__WorkerStatus *wp[2] = {&w[0], &w[1]};
    Mr__Failure x = MR__FAILURE__INIT;
    Mr__Failure *xp[1] = {&x};
    Mr__Counter k[2] = {MR__COUNTER__INIT, MR__COUNTER__INIT};
    Mr__Counter *kp[2] = {&k[0], &k[1]};
    Mr__TaskStatus t = MR__TASK_STATUS__INIT;
    Mr__TaskStatus *tp[1] = {&t};
    char *text;

    s.job_id = (char *)"3fa9c2e17b0d";
    s.phase = (char *)"reduce";
    s.app = (char *)"wc";
    s.dir = (char *)"/data/job";
    s.elapsed_ms = 12345;
    s.input_bytes = 2500000;
    maps.total = 8;
    maps.done = 8;
    maps.failed = 1;
    reduces.total = 4;
    reduces.done = 2;
    reduces.running = 1;
    s.maps = &maps;
    s.reduces = &reduces;
    s.lost_attempts = 2;
    s.backup_attempts = 1;
    s.backups_won = 1;
    w[0].pid = 4242;
    w[0].host = (char *)"alpha";
    w[0].kind = MR__TASK_KIND__TASK_REDUCE;
    w[0].task = 3;
    w[0].attempt = 2;
    w[0].heard_ms_ago = 300;
    w[0].tasks_done = 5;
    w[1].pid = 77;
    w[1].host = (char *)"beta";
    w[1].heard_ms_ago = 1500;
    s.workers = wp;
    s.n_workers = 2;
    s.workers_joined = 3;
    x.kind = MR__TASK_KIND__TASK_MAP;
    x.task = 1;
    x.attempt = 1;
    x.input = (char *)"poison.txt";
    x.offset = 0;
    x.length = 4096;
    x.host = (char *)"gamma";
    x.pid = 999;
    x.signal = SIGSEGV;
    x.reason = (char *)"killed\033[2J by a signal";
    x.stderr_tail = (char *)"first line\nlast \033]0;title\007line\n";
    x.at_ms = 2500;
    s.failures = xp;
    s.n_failures = 1;
    s.failures_total = 3;
    k[0].name = (char *)"map_input_records";
    k[0].value = 1000;
    k[1].name = (char *)"words";
    k[1].value = 12;
    s.counters = kp;
    s.n_counters = 2;
    t.kind = MR__TASK_KIND__TASK_REDUCE;
    t.id = 3;
    t.state = (char *)"running";
    t.attempts = 2;
    t.worker = (char *)"alpha 4242";
    t.ms = 4000;
    s.tasks = tp;
    s.n_tasks = 1;

    text = view(&s);
    assert_has(text, "job        3fa9c2e17b0d, app wc\n");
    assert_has(text, "directory  /data/job\n");
    assert_has(text, "phase      reduce, 12.3 s elapsed\n");
    assert_has(text, "input      2.5 MB\n");
    assert_has(text, "maps       8 total, 8 done, 0 running, 1 failed "
                     "attempt\n");
    assert_has(text, "reduces    4 total, 2 done, 1 running, 0 failed "
                     "attempts\n");
    assert_has(text, "attempts   2 lost, 1 backup (1 won)\n");
    assert_has(text, "workers    2 connected, 3 joined in all\n");
    assert_has(text, "  PID   HOST   TASK                  LAST HEARD  "
                     "TASKS DONE\n");
    assert_has(text, "  4242  alpha  reduce 3 (attempt 2)  0.3 s ago   "
                     "5\n");
    assert_has(text, "  77    beta   idle                  1.5 s ago   "
                     "0\n");
    assert_has(text, "running tasks\n  TASK      ATTEMPTS  WORKER      "
                     "RUNNING FOR  INPUT\n  reduce 3  2         alpha 4242  "
                     "4.0 s\n");
    assert_has(text, "failures   3 in all, the last 1:\n");
    assert_has(text, "  map 1 attempt 1, at 2.5 s, worker pid 999 on gamma, "
                     "killed by SIGSEGV\n");
    assert_has(text, "    input poison.txt [0, +4096)\n");
    assert_has(text, "    killed?[2J by a signal\n");
    assert_has(text, "      | first line\n      | last ?]0;title?line\n");
    assert_has(text, "counters\n  map_input_records  1000\n"
                     "  words              12\n");
    cr_assert_null(strchr(text, '\033'), "an escape got through:\n%s", text);
    free(text);
}

Test(status_view, a_job_just_started)
{
    Mr__StatusReply s = MR__STATUS_REPLY__INIT;
    char *text;

    s.job_id = (char *)"3fa9c2e17b0d";
    s.phase = (char *)"map";
    s.app = (char *)"";
    s.dir = (char *)"";
    text = view(&s);
    assert_has(text, "job        3fa9c2e17b0d\n");
    assert_has(text, "directory  not known yet (the first worker's, when "
                     "it joins)\n");
    assert_has(text, "maps       0 total, 0 done, 0 running, 0 failed "
                     "attempts\n");
    assert_has(text, "workers    0 connected, 0 joined in all\n");
    assert_has(text, "failures   none\n");
    assert_has(text, "counters   none\n");
    cr_assert_null(strstr(text, "running tasks"), "%s", text);
    free(text);
}
