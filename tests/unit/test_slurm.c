/* mrrun --slurm's rendezvous files: named by job, restart and step, so that
 * a requeued job or a second step never reads another run's; the sweep
 * removes earlier runs' files and never this run's or a live one's; a stop
 * request is taken once. The job suite tests/job/test-slurm.sh runs the
 * ranks themselves. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "slurm.h"

static char dir[64];

static void
remove_dir(void)
{
    char cmd[128];

    if (dir[0] == '\0')
        return;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(slurm, .fini = remove_dir);

static void
make_dir(void)
{
    snprintf(dir, sizeof(dir), "/tmp/mr-unit-slurm-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void
put(const char *name, const char *text)
{
    char path[PATH_MAX];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    cr_assert_not_null(f = fopen(path, "w"));
    fputs(text, f);
    fclose(f);
}

static bool
there(const char *name)
{
    char path[PATH_MAX];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

static void
task(struct slurm_task *t, const char *job, unsigned long restart,
     const char *step)
{
    memset(t, 0, sizeof(*t));
    snprintf(t->job_id, sizeof(t->job_id), "%s", job);
    t->restart = restart;
    snprintf(t->step, sizeof(t->step), "%s", step);
    gethostname(t->host, sizeof(t->host));
}

Test(slurm, names_hold_the_restart_and_the_step)
{
    struct slurm_task t;
    struct slurm_files f;

    task(&t, "42", 3, "1");
    slurm_files_name(&f, "/d", &t);
    cr_assert_str_eq(f.addr, "/d/.mr-slurm-42-3.1.addr");
    cr_assert_str_eq(f.token, "/d/.mr-slurm-42-3.1.token");
    cr_assert_str_eq(f.stop, "/d/.mr-slurm-42-3.stop");
    task(&t, "42", 0, "");
    slurm_files_name(&f, "/d", &t);
    cr_assert_str_eq(f.addr, "/d/.mr-slurm-42-0.addr");
}

Test(slurm, the_sweep_keeps_this_run_and_live_ones)
{
    struct slurm_task t;
    struct slurm_files f;
    char live[256], dead[256];
    pid_t gone = fork();

    if (gone == 0)
        _exit(0);
    cr_assert_gt(gone, 0);
    cr_assert_eq(waitpid(gone, NULL, 0), gone);
    make_dir();
    task(&t, "42", 1, "0");
    slurm_files_name(&f, dir, &t);
    snprintf(live, sizeof(live), "addr tcp:%s:1\nhost %s\npid %d\n",
             t.host, t.host, (int)getpid());
    snprintf(dead, sizeof(dead), "addr tcp:%s:1\nhost %s\npid %d\n",
             t.host, t.host, (int)gone);
    /* This job's run before the requeue, though it says "running". */
    put(".mr-slurm-42-0.0.addr", live);
    put(".mr-slurm-42-0.0.token", "x\n");
    put(".mr-slurm-42-0.stop", "");
    /* This run's other step, running. */
    put(".mr-slurm-42-1.1.addr", live);
    put(".mr-slurm-42-1.stop", "");
    /* Another job: over; running here (this process); running here with
     * a pid nobody has now (its rank 0 was killed). */
    put(".mr-slurm-7-0.0.addr", "over 0\n");
    put(".mr-slurm-7-0.0.token", "x\n");
    put(".mr-slurm-8-0.0.addr", live);
    put(".mr-slurm-9-0.0.addr", "addr tcp:h:1\nhost ");
    put(".mr-slurm-10-0.0.addr", dead);
    put(".mr-slurm-10-0.0.token", "x\n");
    slurm_sweep(&f, &t);
    cr_assert(!there(".mr-slurm-42-0.0.addr"));
    cr_assert(!there(".mr-slurm-42-0.0.token"));
    cr_assert(!there(".mr-slurm-42-0.stop"));
    cr_assert(there(".mr-slurm-42-1.1.addr"));
    cr_assert(there(".mr-slurm-42-1.stop"));
    cr_assert(!there(".mr-slurm-7-0.0.addr"));
    cr_assert(!there(".mr-slurm-7-0.0.token"));
    cr_assert(there(".mr-slurm-8-0.0.addr"));
    cr_assert(there(".mr-slurm-9-0.0.addr"), "a malformed file is left");
    cr_assert(!there(".mr-slurm-10-0.0.addr"));
    cr_assert(!there(".mr-slurm-10-0.0.token"));
}

Test(slurm, a_stop_request_is_taken_once)
{
    struct slurm_task t;
    struct slurm_files f;

    make_dir();
    task(&t, "42", 0, "0");
    slurm_files_name(&f, dir, &t);
    cr_assert(!slurm_stop_requested(&f));
    put(".mr-slurm-42-0.stop", "");
    cr_assert(slurm_stop_requested(&f));
    cr_assert(!slurm_stop_requested(&f));
}

Test(slurm, published_then_over)
{
    struct slurm_task t;
    struct slurm_files f;
    struct slurm_coordinator co;
    struct token tok;
    char err[MR_ERR_LEN];
    struct stat st;

    make_dir();
    task(&t, "42", 0, "2");
    slurm_files_name(&f, dir, &t);
    put(".mr-slurm-42-0.2.addr", "over 75\n");      /* a killed step's */
    cr_assert_eq(slurm_token_draw(&tok, err), 0);
    cr_assert_eq(slurm_publish(&f, &tok, "tcp:h:9", "h", 123, err), 0, "%s",
                 err);
    cr_assert_eq(stat(f.token, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    cr_assert_eq(slurm_lookup(f.addr, &co, err), 0, "%s", err);
    cr_assert_eq(co.over, -1);
    cr_assert_str_eq(co.addr, "tcp:h:9");
    cr_assert_eq(co.pid, 123);
    slurm_unpublish(&f, 75);
    cr_assert(!there(".mr-slurm-42-0.2.token"));
    cr_assert_eq(slurm_lookup(f.addr, &co, err), 0, "%s", err);
    cr_assert_eq(co.over, 75);
}
