/* mrrun: the one command a newcomer runs. Starts a coordinator (in this
 * process, on its event loop) and N mrworker processes on a private Unix
 * socket, shows progress, reaps and restarts workers, and prints a
 * summary. With no input files it generates a default corpus. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app.h"
#include "app_name.h"
#include "cli.h"
#include "coord.h"
#include "corpus.h"
#include "exec_app.h"
#include "exec_cli.h"
#include "exit_codes.h"
#include "input_list.h"
#include "log.h"
#include "options.h"
#include "progress.h"
#include "report.h"
#include "slurm.h"
#include "slurm_rank.h"
#include "status_http.h"
#include "token.h"
#include "workers.h"

#define DEFAULT_FILES     8
#define DEFAULT_FILE_SIZE (4u << 20)
#define DEFAULT_INPUT_DIR "mr-input"
#define OPT_SLURM         0x500
#define OPT_SLURM_STOP    0x501
/* Words put before the app's for each worker under --slurm. */
#define SLURM_WORKER_ARGS 4

struct args {
    unsigned long workers;
    bool workers_given;         /* --workers was */
    bool slurm;                 /* --slurm: a rank of a Slurm step */
    bool slurm_stop;            /* --slurm-stop */
    struct slurm_task task;     /* --slurm: this task of the step */
    struct slurm_files rendezvous;  /* --slurm: rank 0's files */
    struct token job_token;     /* --slurm rank 0: the job's secret */
    bool published;             /* --slurm rank 0: its files written */
    struct coord_opts opts;     /* --reduce, --task-timeout, --split-size */
    struct page_opts page;      /* --http, --linger */
    struct token page_token;    /* --token-file: the page's secret only
                                   (workers here need none) */
    char app[PATH_MAX];
    char app_name[64];
    bool app_given;             /* --app was */
    struct exec_cli exec;       /* --mapper, --reducer, ... */
    const char *worker_args[SLURM_WORKER_ARGS + EXEC_CLI_ARGS_MAX];
                                /* what the workers are given to run the
                                   app (under --slurm, first where to keep
                                   their files and the job's token) */
    struct input_list inputs;   /* the FILEs, directories made lists */
    const char *const *files;
    unsigned nfiles;
};
_Static_assert(SLURM_WORKER_ARGS + EXEC_CLI_ARGS_MAX <=
               WORKERS_APP_ARGS_MAX + 1,
               "workers_start must take every word exec_cli_argv makes");

struct run {
    struct args *a;
    rpc_loop *loop;
    coord *c;
    uint32_t tasks_done;        /* maps and reduces done, last seen */
    struct workers w;
    struct progress p;
    int interrupted;            /* the signal that stopped us, or 0 */
    bool stopping;              /* SIGUSR1: the job stops, resumable */
    bool over;                  /* the coordinator said the job is over */
    bool draining;              /* the job is over: waiting for workers */
    int drain_signal;           /* what the next drain timer sends */
    rpc_timer *drain_timer;
    status_http *page;          /* --http: the status page, or NULL */
    bool lingering;             /* after the job: the page stays up */
    bool linger_done;
};

static void
usage(FILE *to)
{
    fprintf(to,
        "usage: mrrun [--workers N] [--app APP] [--reduce N]\n"
        "             [--task-timeout S] [--split-size SIZE] [--output DIR]\n"
        "             [--min-split-size SIZE]\n"
        "             [--http HOST:PORT [--linger S] [--token-file FILE]]\n"
        "             [FILE...]\n"
        "       mrrun [options] --mapper CMD --reducer CMD [--combiner CMD]\n"
        "             [--framed] [FILE...]\n"
        "       srun mrrun --slurm [options] [FILE...]\n"
        "       mrrun --slurm-stop [options] [FILE...]\n"
        "\n"
        "Runs a MapReduce job on this machine: a coordinator and N worker\n"
        "processes, with live progress and a summary. When the job is done\n"
        "its outputs, mr-out-*, and the success marker mr-success are\n"
        "committed together in the current directory (or --output DIR);\n"
        "a job that fails leaves only its summary there, with why, as\n"
        "mr-failed (a later job's commit removes it); one interrupted\n"
        "leaves the directory as it found it.\n"
        "\n"
        "A FILE that is a directory stands for the files in it (names\n"
        "starting with '.' or '_' left out); a gzip or zstd FILE is read\n"
        "decompressed by one map task. With no FILE, runs on generated\n"
        "text of made-up words (" DEFAULT_INPUT_DIR "/ in the job's "
        "directory, %u files\nof %u MiB, made once).\n"
        "\n"
        "  --workers N         worker processes (default 2)\n"
        "  --app APP           the app module (default wc): a path (with a\n"
        "                      '/') as it is; a file of that name here; else\n"
        "                      an app's name, with or without .so (wc,\n"
        "                      indexer.so), from the apps next to mrrun\n"
        "                      (build/apps) or installed with it\n"
        "                      (PREFIX/lib/mapreduce/apps)\n"
        EXEC_OPTIONS_HELP
        COORD_OPTIONS_HELP
        PAGE_OPTIONS_HELP
        "  --slurm             run as one task of a Slurm job step (srun):\n"
        "                      rank 0 (SLURM_PROCID) runs the coordinator on\n"
        "                      TCP and writes its address and a fresh token\n"
        "                      to DIR/.mr-slurm-JOB-RESTART.STEP.{addr,token}\n"
        "                      (mode 600); every rank runs --workers workers\n"
        "                      (default: SLURM_CPUS_PER_TASK, else the CPUs\n"
        "                      it may use), their intermediates under\n"
        "                      $TMPDIR (or /tmp); see docs/slurm.md\n"
        "  --slurm-stop        in the batch script, on the time limit's\n"
        "                      signal: send SIGUSR1 to the coordinator of\n"
        "                      this allocation's --slurm step, or have it\n"
        "                      stop as it starts (give it the step's\n"
        "                      arguments: --output says where). Under\n"
        "                      --slurm, SIGTERM (the time limit, scancel)\n"
        "                      stops the job the same way; --fresh\n"
        "                      discards it\n"
        "  --token-file FILE   with --http beyond loopback: the secret the\n"
        "                      page's key is derived from (at least 16 bytes;\n"
        "                      head -c 32 /dev/urandom | base64 > FILE;\n"
        "                      chmod 600 FILE)\n"
        "  --help              show this help\n"
        "\n"
        "Exit status: 0 the outputs are committed; 1 the job failed; 2 bad\n"
        "usage or app module; 4 the directory is in use by another job,\n"
        "or holds the files of another job killed before it finished;\n"
        "75 stopped before the job was over (SIGUSR1: a time limit; see\n"
        "--stop-grace), its journal and files kept: run the same command\n"
        "again to resume it; 128+N interrupted by signal N. Under --slurm,\n"
        "a worker rank exits 0 when the job is done, 75 when it was\n"
        "stopped, 3 when it could not reach the coordinator or lost it.\n",
        DEFAULT_FILES, DEFAULT_FILE_SIZE >> 20);
}

/* The module --app names (common/app_name.h's rule) into a->app, and its
 * file name less ".so" into a->app_name. Returns 0, or -1 after printing
 * why not. */
static int
resolve_app(const char *spec, struct args *a)
{
    char err[APP_NAME_ERR_LEN];
    const char *base;
    size_t n;

    if (app_name_resolve(spec, a->app, sizeof(a->app), err) < 0) {
        fprintf(stderr, "mrrun: %s\n", err);
        return -1;
    }
    base = strrchr(a->app, '/');
    snprintf(a->app_name, sizeof(a->app_name), "%s", base ? base + 1 : a->app);
    n = strlen(a->app_name);
    if (n > 3 && !strcmp(a->app_name + n - 3, ".so"))
        a->app_name[n - 3] = '\0';
    return 0;
}

/* --slurm and --slurm-stop: inside a step, not with a status page (rank
 * 0 may run on any node); the rendezvous files named. Returns 0, or -1
 * after printing why not. */
static int
slurm_check(struct args *a)
{
    char err[MR_ERR_LEN];

    if (a->slurm && a->slurm_stop) {
        fprintf(stderr, "mrrun: give --slurm (in srun) or --slurm-stop (in "
                "the batch script), not both\n");
        return -1;
    }
    if (a->slurm && a->page.on) {
        fprintf(stderr, "mrrun: --http is not for --slurm jobs (rank 0 runs "
                "on any node): watch one with mrstatus; see docs/slurm.md\n");
        return -1;
    }
    if (slurm_task_read(&a->task, err) < 0) {
        fprintf(stderr, "mrrun: %s\n", err);
        return -1;
    }
    slurm_files_name(&a->rendezvous, a->opts.output_dir ? a->opts.output_dir
                                                        : ".",
                     &a->task);
    if (a->slurm && !a->workers_given)
        a->workers = a->task.cpus > 256 ? 256 : a->task.cpus;
    return 0;
}

static int
parse_args(int argc, char **argv, struct args *a)
{
    static const struct option longopts[] = {
        {"workers", required_argument, NULL, 'w'},
        {"app", required_argument, NULL, 'a'},
        {"slurm", no_argument, NULL, OPT_SLURM},
        {"slurm-stop", no_argument, NULL, OPT_SLURM_STOP},
        COORD_LONGOPTS,
        PAGE_LONGOPTS,
        {"token-file", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        EXEC_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    char err[MR_ERR_LEN];
    const char *app = "wc";
    int opt, rc = 0;

    memset(a, 0, sizeof(*a));
    a->workers = 2;
    coord_opts_init(&a->opts);
    exec_cli_init(&a->exec);
    opterr = 0;
    while (rc <= 0 &&
           (opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'w':
            rc = cli_parse_uint("--workers", optarg, 1, 256, &a->workers,
                                err);
            a->workers_given = true;
            break;
        case OPT_SLURM:
            a->slurm = true;
            break;
        case OPT_SLURM_STOP:
            a->slurm_stop = true;
            break;
        case 'a':
            app = optarg;
            a->app_given = true;
            break;
        case 'k':
            rc = token_read(optarg, &a->page_token, err);
            break;
        case 'h':
            usage(stdout);
            return -1;
        default:
            if ((rc = exec_cli_parse(&a->exec, opt, optarg, err)) > 0 &&
                (rc = coord_opts_parse(&a->opts, opt, optarg, err)) > 0 &&
                (rc = page_opts_parse(&a->page, opt, optarg, err)) > 0) {
                cli_bad_option("mrrun", argv, optind, optopt);
                return 2;
            }
        }
        if (rc < 0) {
            fprintf(stderr, "mrrun: %s\n", err);
            return 2;
        }
    }
    if (exec_cli_check(&a->exec, err) < 0) {
        fprintf(stderr, "mrrun: %s; see 'mrrun --help'\n", err);
        return 2;
    }
    if (exec_cli_given(&a->exec) && a->app_given) {
        fprintf(stderr, "mrrun: give either --app or --mapper and "
                "--reducer, not both; see 'mrrun --help'\n");
        return 2;
    }
    if (page_opts_check(&a->page, a->page_token.len > 0, err) < 0) {
        fprintf(stderr, "mrrun: %s\n", err);
        return 2;
    }
    if (a->page_token.len > 0 && !a->page.on) {
        fprintf(stderr, "mrrun: --token-file is the status page's: give "
                "--http HOST:PORT too\n");
        return 2;
    }
    if ((a->slurm || a->slurm_stop) && slurm_check(a) < 0)
        return 2;
    if (a->slurm_stop)
        return 0;
    if (!exec_cli_given(&a->exec) && resolve_app(app, a) < 0)
        return 2;
    if (input_list_make((const char *const *)argv + optind,
                        (size_t)(argc - optind), &a->inputs, err) < 0) {
        fprintf(stderr, "mrrun: %s\n", err);
        return 2;
    }
    a->files = (const char *const *)a->inputs.files;
    a->nfiles = (unsigned)a->inputs.n;
    return 0;
}

/* Generates the default corpus once, in the job's directory; later runs
 * reuse it. Says what the input is: made-up words, not a bug. */
static int
default_input(struct args *a)
{
    static char names[DEFAULT_FILES][PATH_MAX];
    static const char *files[DEFAULT_FILES];
    const char *dir = a->opts.output_dir ? a->opts.output_dir : ".";
    char err[MR_ERR_LEN], in_dir[PATH_MAX];
    struct stat st;

    snprintf(in_dir, sizeof(in_dir), "%s/" DEFAULT_INPUT_DIR, dir);
    if (mkdir(in_dir, 0755) < 0 && errno != EEXIST) {
        fprintf(stderr, "mrrun: cannot create %s: %s\n", in_dir,
                strerror(errno));
        return -1;
    }
    printf("input: %s/, generated text of made-up words (%u files of %u "
           "MiB); give files to count your own\n", in_dir, DEFAULT_FILES,
           DEFAULT_FILE_SIZE >> 20);
    for (unsigned i = 0; i < DEFAULT_FILES; i++) {
        snprintf(names[i], sizeof(names[i]), "%s/part-%u.txt", in_dir, i);
        files[i] = names[i];
        if (stat(names[i], &st) == 0 && st.st_size == DEFAULT_FILE_SIZE)
            continue;
        if (i == 0)
            printf("generating it ...\n");
        if (corpus_write_file(names[i], DEFAULT_FILE_SIZE, i + 1, false,
                              err) < 0) {
            fprintf(stderr, "mrrun: %s\n", err);
            return -1;
        }
    }
    a->files = files;
    a->nfiles = DEFAULT_FILES;
    return 0;
}

/* ---------------------------------------------------------------- events */

static void
on_progress(coord *c, void *arg)
{
    struct run *r = arg;
    struct coord_status st;

    coord_status(c, &st);
    progress_update(&r->p, &st);
    if (st.maps_done + st.reduces_done > r->tasks_done)
        workers_progress(&r->w);
    r->tasks_done = st.maps_done + st.reduces_done;
}

static int
adopt_worker(int fd, void *arg)
{
    struct run *r = arg;

    return coord_adopt(r->c, fd);
}

/* The job is over and the workers told: stop running the job's loop. */
static void
on_over(coord *c, void *arg)
{
    struct run *r = arg;

    (void)c;
    r->over = true;
    rpc_loop_stop(r->loop);
}

static void
on_child(rpc_loop *loop, int signo, void *arg)
{
    struct run *r = arg;
    struct coord_status st;

    (void)signo;
    coord_status(r->c, &st);
    if (st.over)                /* workers exit as told: no restarts */
        r->w.keep_alive = false;
    if (!workers_reap(&r->w))
        coord_abort(r->c, r->w.why_failed);
    if (r->w.alive > 0)
        return;
    if (r->draining)
        rpc_loop_stop(loop);
    else if (!r->over && !r->stopping && !r->a->slurm)
        coord_abort(r->c, "every worker has exited");
    /* Stopping, the coordinator ends the stop once no attempt runs; under
     * --slurm, the other ranks' workers may still run the job. */
}

static void
on_interrupt(rpc_loop *loop, int signo, void *arg)
{
    struct run *r = arg;

    if (r->lingering) {         /* the job's outcome is already final */
        r->linger_done = true;
        rpc_loop_stop(loop);
        return;
    }
    r->interrupted = signo;
    r->w.keep_alive = false;
    coord_interrupt(r->c, "interrupted");
}

/* SIGUSR1: a time limit is coming (Slurm's --signal). The job stops,
 * resumable: no more hand-outs, running tasks may finish (coord_stop). */
static void
on_time_limit(rpc_loop *loop, int signo, void *arg)
{
    struct run *r = arg;
    struct coord_status st;

    (void)loop;
    (void)signo;
    coord_status(r->c, &st);
    if (r->lingering || r->stopping || r->over || st.over ||
        st.phase == COORD_DONE || st.phase == COORD_FAILED)
        return;                 /* over: the outcome is final */
    r->stopping = true;
    r->w.keep_alive = false;
    fprintf(stderr, "mrrun: %s: stopping the job, to be resumed "
            "(running tasks get %.1f s)\n", sigabbrev_np(signo),
            (double)(r->a->opts.stop_grace_ms ? r->a->opts.stop_grace_ms
                                              : COORD_DEFAULT_STOP_GRACE_MS)
                / 1000.0);
    coord_stop(r->c);
}

/* SIGTERM under --slurm: what Slurm sends at the time limit and at
 * scancel. The job stops, resumable, as on SIGUSR1; a second one (or one
 * while stopping) ends the grace now. Run again with --fresh to discard
 * it. */
static void
on_slurm_term(rpc_loop *loop, int signo, void *arg)
{
    struct run *r = arg;

    if (r->stopping) {
        on_interrupt(loop, signo, arg);
        return;
    }
    on_time_limit(loop, signo, arg);
}

/* Escalation while draining: SIGTERM first, then SIGKILL. */
static void
on_drain_timer(rpc_loop *loop, void *arg)
{
    struct run *r = arg;

    (void)loop;
    workers_signal(&r->w, r->drain_signal);
    r->drain_signal = SIGKILL;
    r->drain_timer = rpc_loop_timer_add(loop, 1000, on_drain_timer, r);
}

/* After the job: workers told to exit do so at once; any still busy with a
 * stale attempt get a second, then SIGTERM, then SIGKILL. Reaping happens
 * in on_child, which stops the loop when the last one is gone. */
static void
wait_for_workers(struct run *r)
{
    r->w.keep_alive = false;
    r->draining = true;
    workers_reap(&r->w);
    if (r->w.alive == 0)
        return;
    r->drain_signal = SIGTERM;
    r->drain_timer = rpc_loop_timer_add(r->loop, 1000, on_drain_timer, r);
    while (r->w.alive > 0)
        rpc_loop_run(r->loop);
    rpc_loop_timer_cancel(r->loop, r->drain_timer);
}

/* ---------------------------------------------------------------- page */

/* Starts the status page when --http asks for one and says where it is,
 * before any worker starts. Returns 0, or -1 (the line said). */
static int
start_page(struct run *r)
{
    const struct args *a = r->a;
    char url[256], err[MR_ERR_LEN];

    if (!a->page.on)
        return 0;
    r->page = status_http_start(r->loop, r->c, &a->page.addr,
                                a->page_token.bytes, a->page_token.len, url,
                                sizeof(url), err);
    if (r->page == NULL) {
        fprintf(stderr, "mrrun: %s\n", err);
        return -1;
    }
    fprintf(stderr, "mrrun: status page at %s\n", url);
    return 0;
}

static void
on_linger_end(rpc_loop *loop, void *arg)
{
    struct run *r = arg;

    r->linger_done = true;
    rpc_loop_stop(loop);
}

/* --linger: the job is over and reported; the page stays up that long, or
 * until an interrupt (none after one, or a stop: they asked to stop
 * now). */
static void
linger(struct run *r)
{
    unsigned long ms = r->a->page.linger_ms;

    if (r->page == NULL || ms == 0 || r->interrupted || r->stopping)
        return;
    fprintf(stderr, "mrrun: the status page stays up %.1f s more "
            "(--linger)\n", (double)ms / 1000.0);
    r->lingering = true;
    if (rpc_loop_timer_add(r->loop, ms, on_linger_end, r) == NULL)
        return;
    while (!r->linger_done)
        rpc_loop_run(r->loop);
}

/* ---------------------------------------------------------------- main */

static void
block_signals(void)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
}

/* --slurm, rank 0: serves the other ranks on TCP, on every address of
 * this host, and tells them where (slurm.h), once the job's directory is
 * taken. Returns 0, or the exit status (the line said). */
static int
slurm_listen(struct run *r)
{
    struct args *a = r->a;
    char bound[256], addr[512], err[MR_ERR_LEN];
    const char *port;

    if (coord_listen(r->c, "tcp:0.0.0.0:0", bound, sizeof(bound), err) < 0) {
        fprintf(stderr, "mrrun: %s\n", err);
        return MR_EXIT_FAILED;
    }
    port = strrchr(bound, ':');
    snprintf(addr, sizeof(addr), "tcp:%s%s", a->task.host, port ? port : "");
    r->a->published = true;     /* from now on, "over" when it exits */
    if (slurm_publish(&a->rendezvous, &a->job_token, addr, a->task.host,
                      getpid(), err) < 0) {
        fprintf(stderr, "mrrun: %s\n", err);
        return MR_EXIT_FAILED;
    }
    printf("rank 0 on %s: the coordinator listens at %s (written to %s); "
           "%lu ranks\n", a->task.host, addr, a->rendezvous.addr,
           a->task.ntasks);
    return 0;
}

/* Creates the coordinator and takes the job's directory. Returns 0, or
 * the exit status (the line said). */
static int
set_up(struct run *r, const struct coord_app *app)
{
    struct coord_opts opts = r->a->opts;
    struct coord_status st;
    char err[MR_ERR_LEN];
    int rc;

    opts.on_progress = on_progress;
    opts.on_over = on_over;
    opts.arg = r;
    opts.app = app;
    if (r->a->slurm) {
        opts.token = r->a->job_token.bytes;
        opts.token_len = r->a->job_token.len;
    }
    if (opts.output_dir == NULL)
        opts.output_dir = ".";
    if ((r->c = coord_create(r->loop, r->a->files, r->a->nfiles, &opts,
                             err)) == NULL) {
        fprintf(stderr, "mrrun: %s\n", err);
        return MR_EXIT_FAILED;
    }
    /* Workers run here: an input not seen here is missing, not theirs. */
    coord_status(r->c, &st);
    if (st.unseen_inputs > 0) {
        fprintf(stderr, "mrrun: input file %s: %s\n", st.unseen_first,
                strerror(access(st.unseen_first, F_OK) < 0 ? errno
                                                           : ENOENT));
        return MR_EXIT_FAILED;
    }
    if (start_page(r) < 0)
        return MR_EXIT_FAILED;
    if ((rc = coord_start(r->c, err)) < 0) {
        fprintf(stderr, "mrrun: %s\n", err);
        return rc == MR_EINUSE || rc == MR_EOTHERJOB ? MR_EXIT_REFUSED
                                                     : MR_EXIT_FAILED;
    }
    return r->a->slurm ? slurm_listen(r) : 0;
}

/* Restarts without a task finishing that make mrrun give up: more than the
 * coordinator's own limit on a task's lost attempts, so that a task that
 * kills every worker is named by the coordinator. */
static int
restart_budget(const struct args *a)
{
    return (int)(a->opts.max_lost ? a->opts.max_lost : COORD_DEFAULT_MAX_LOST)
           + 2 * (int)a->workers + 4;
}

static void
report(struct run *r, const struct run_totals *rt)
{
    struct Mr__StatusReply *status;
    struct coord_status st;

    coord_status(r->c, &st);
    report_summary(stdout, &st, coord_dir(r->c), rt);
    if ((status = coord_status_build(r->c, 0)) != NULL)
        report_skipped(stdout, status);
    coord_status_free(status);
    if (strcmp(r->a->app_name, "wc") == 0)
        report_top_words(stdout, coord_dir(r->c), st.nreduce, 10);
}

static int
run_job(struct run *r, const char *worker_exe, const struct coord_app *app)
{
    char err[MR_ERR_LEN];
    struct run_totals rt = {0, (int)r->a->workers, 0};
    uint64_t start = rpc_monotonic_ms();
    bool stopped;
    int rc;

    if ((rc = set_up(r, app)) != 0) {
        status_http_free(r->page);
        coord_free(r->c);
        return rc;
    }
    rpc_loop_signal(r->loop, SIGCHLD, on_child, r);
    rpc_loop_signal(r->loop, SIGINT, on_interrupt, r);
    rpc_loop_signal(r->loop, SIGTERM,
                    r->a->slurm ? on_slurm_term : on_interrupt, r);
    rpc_loop_signal(r->loop, SIGUSR1, on_time_limit, r);
    if (r->a->slurm && slurm_stop_requested(&r->a->rendezvous))
        on_time_limit(r->loop, SIGUSR1, r);     /* before it published */
    progress_init(&r->p, stdout);
    printf("running %s on %u files with %lu workers%s, %u reduce tasks\n",
           r->a->app_name, r->a->nfiles, r->a->workers,
           r->a->slurm && r->a->task.ntasks > 1 ? " here and those of the "
           "other ranks" : "", r->a->opts.nreduce);
    fflush(stdout);
    if (workers_start(&r->w, (int)r->a->workers, worker_exe, r->a->worker_args,
                      restart_budget(r->a), adopt_worker, r, err) < 0) {
        fprintf(stderr, "mrrun: %s\n", err);
        coord_abort(r->c, err);
    }
    while (!r->over)
        rpc_loop_run(r->loop);
    progress_end(&r->p);
    wait_for_workers(r);
    rt.seconds = (double)(rpc_monotonic_ms() - start) / 1000.0;
    if (r->a->slurm) {          /* every rank's workers, not ours alone */
        struct coord_status st;
        coord_status(r->c, &st);
        rt.workers = (int)st.workers;
    }
    rt.worker_restarts = r->w.restarts;
    stopped = coord_stopped(r->c);
    if ((rc = coord_result(r->c)) == 0)
        report(r, &rt);
    else if (stopped)
        fprintf(stderr, "mrrun: the job stopped before it was over; its "
                "journal is durable in %s: run the same command again (in a "
                "new allocation) to resume it\n", coord_dir(r->c));
    else
        fprintf(stderr, "mrrun: job failed: %s\n", coord_error(r->c));
    linger(r);
    status_http_free(r->page);
    coord_free(r->c);
    workers_free(&r->w);
    if (rc == 0)
        return MR_EXIT_OK;
    if (stopped)
        return MR_EXIT_STOPPED;
    return r->interrupted ? MR_EXIT_SIGNAL + r->interrupted : MR_EXIT_FAILED;
}

/* --slurm: a worker rank runs only workers; rank 0 draws the job's token
 * and gives its own workers the words every rank's workers run with.
 * Returns 0 for rank 0 to go on, or the exit status. */
static int
slurm_rank(struct args *a, const char *worker_exe, char *scratch,
           size_t scratch_len)
{
    const char *tmp = getenv("TMPDIR");
    char err[MR_ERR_LEN];
    size_t n = 0;

    if (a->task.rank > 0)
        return slurm_rank_run(&a->task, &a->rendezvous, a->workers,
                              worker_exe, a->worker_args);
    slurm_sweep(&a->rendezvous, &a->task);
    if (slurm_token_draw(&a->job_token, err) < 0) {
        fprintf(stderr, "mrrun: %s\n", err);
        return MR_EXIT_FAILED;
    }
    snprintf(scratch, scratch_len, "%s", tmp && tmp[0] ? tmp : "/tmp");
    while (a->worker_args[n] != NULL)
        n++;
    memmove(a->worker_args + SLURM_WORKER_ARGS, a->worker_args,
            (n + 1) * sizeof(a->worker_args[0]));
    a->worker_args[0] = "--token-file";
    a->worker_args[1] = a->rendezvous.token;
    a->worker_args[2] = "--scratch";
    a->worker_args[3] = scratch;
    return 0;
}

int
main(int argc, char **argv)
{
    char dir[PATH_MAX], worker_exe[PATH_MAX + 16], err[MR_ERR_LEN];
    char scratch[PATH_MAX];
    struct args a;
    static struct app_module mod;
    struct coord_app app;
    char app_name[128];
    struct run r = {0};
    unsigned long long map_buffer;
    int rc;

    if (mr_log_init(argv[0]) < 0)
        return MR_EXIT_USAGE;
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_DFL);   /* ignored, its workers would go unreaped */
    /* Held until the loop's signalfd takes them: a stop or an interrupt
     * during the start is acted on, not the default death (SIGUSR1's) or
     * lost. Workers start with a clean mask (workers.c). */
    block_signals();
    if (app_name_exe_dir(dir, sizeof(dir)) < 0) {
        fprintf(stderr, "mrrun: cannot find my own directory\n");
        return 1;
    }
    if ((rc = parse_args(argc, argv, &a)) != 0)
        return rc < 0 ? 0 : rc;
    if (a.slurm_stop)
        return slurm_stop(&a.task, &a.rendezvous);
    /* The workers read $MR_MAP_BUFFER; refuse a bad one here, once. */
    if (cli_env_bytes("MR_MAP_BUFFER", &map_buffer, err) < 0) {
        fprintf(stderr, "mrrun: %s\n", err);
        rc = MR_EXIT_USAGE;
        goto out;
    }
    snprintf(worker_exe, sizeof(worker_exe), "%s/mrworker", dir);
    if (access(worker_exe, X_OK) < 0) {
        fprintf(stderr, "mrrun: %s is missing; run 'make' first\n",
                worker_exe);
        rc = 1;
        goto out;
    }
    /* Refuse a bad app here, once, rather than in every worker; and pin
     * it, so that the job runs this module only. */
    if (exec_cli_given(&a.exec)) {
        rc = exec_app_load(&a.exec.spec, &mod, err);
        exec_cli_argv(&a.exec, a.worker_args);
        snprintf(a.app_name, sizeof(a.app_name), "%s", EXEC_APP_NAME);
    } else {
        rc = app_load(a.app, &mod, err);
        a.worker_args[0] = a.app;
    }
    if (rc < 0) {
        fprintf(stderr, "mrrun: %s\n", err);
        rc = MR_EXIT_USAGE;
        goto out;
    }
    snprintf(app_name, sizeof(app_name), "%s",
             mod.app->name ? mod.app->name : "");
    app.name = app_name;
    app.abi = mod.app->abi_version;
    app.digest = mod.digest;
    app.path = mod.path;
    app_unload(&mod);
    if (a.slurm && (rc = slurm_rank(&a, worker_exe, scratch,
                                    sizeof(scratch))) != 0)
        goto out;
    if (a.slurm && a.task.rank > 0)
        goto out;
    if (a.nfiles == 0 && default_input(&a) < 0) {
        rc = MR_EXIT_FAILED;
        goto out;
    }
    r.a = &a;
    if ((r.loop = rpc_loop_create(err)) == NULL) {
        fprintf(stderr, "mrrun: %s\n", err);
        rc = 1;
        goto out;
    }
    rc = run_job(&r, worker_exe, &app);
    rpc_loop_free(r.loop);
out:
    /* A step's own files (its id in their names) say it is over even when
     * it never published: its other ranks stop waiting. */
    if (a.slurm && a.task.rank == 0 && (a.published || a.task.step[0]))
        slurm_unpublish(&a.rendezvous, rc);
    token_forget(&a.job_token);
    token_forget(&a.page_token);
    input_list_free(&a.inputs);
    return rc;
}
