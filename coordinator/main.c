/* mrcoordinator: runs one job's coordinator until its outputs are
 * committed or the job fails. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app_file.h"
#include "app_name.h"
#include "cli.h"
#include "coord.h"
#include "exit_codes.h"
#include "input_list.h"
#include "log.h"
#include "options.h"
#include "progress.h"
#include "status_http.h"
#include "token.h"

static void
usage(FILE *to)
{
    fprintf(to,
        "usage: mrcoordinator [--addr ADDR] [--app APP] [--output DIR]\n"
        "                     [--reduce N] [--task-timeout S]\n"
        "                     [--split-size SIZE] [--min-split-size SIZE]\n"
        "                     [--max-conns N]\n"
        "                     [--token-file FILE] [--fresh]\n"
        "                     [--http HOST:PORT [--linger S]] FILE...\n"
        "       mrcoordinator SOCKET FILE...      (the lab's form)\n"
        "\n"
        "Coordinates a MapReduce job: one map task per input FILE (or per\n"
        "split of a larger one; with --min-split-size, consecutive small\n"
        "inputs share one), N reduce tasks. Workers (mrworker) join it;\n"
        "they must all run the same app module: the one given with --app\n"
        "(workers started without a module fetch it from here), or else the\n"
        "first worker's. The outputs, mr-out-0 .. mr-out-<N-1>, and the\n"
        "success marker mr-success are committed together when the last\n"
        "reduce is done, into DIR, or, without --output, into the directory\n"
        "the first worker runs in (where every worker must then run). A job\n"
        "that fails leaves only its summary there, with why, as mr-failed\n"
        "(a later job's commit removes it); one interrupted leaves the\n"
        "directory as it found it.\n"
        "A coordinator that dies (SIGKILL, a crash) leaves a journal in the\n"
        "job's private directory: started again with the same job (inputs,\n"
        "app, --reduce, --split-size, --min-split-size) in the same\n"
        "directory, it resumes, keeping the tasks finished before whose\n"
        "outputs are still there; its workers wait for it (mrworker\n"
        "--reconnect).\n"
        "Inputs this program cannot see are handed to the workers whole, to\n"
        "open from their directory. On a terminal, a live progress line is\n"
        "drawn on stderr; ask a running job more with mrstatus.\n"
        "\n"
        "  --addr ADDR         listen on unix:/path or tcp:host:port (default\n"
        "                      $MR_ADDR, else unix:/tmp/mr-<uid>.sock)\n"
        "  --app APP           the job's app module, read now: workers\n"
        "                      started without one (mrworker --addr ADDR)\n"
        "                      fetch it from here and check its BLAKE2b\n"
        "                      digest; a worker that brings its own must\n"
        "                      bring the same file. APP is named as for\n"
        "                      mrrun --app: a path (with a '/'), a file\n"
        "                      here, or an app's name (wc, wc.so) from the\n"
        "                      apps next to this program (build/apps) or\n"
        "                      installed with it (PREFIX/lib/mapreduce/apps)\n"
        COORD_OPTIONS_HELP
        "  --max-conns N       serve at most N connections at once; more are\n"
        "                      closed as they come, with a log line (default\n"
        "                      1024)\n"
        "  --token-file FILE   a shared secret, at least 16 bytes, that\n"
        "                      workers must prove they know (give them the\n"
        "                      same file) before anything else is served;\n"
        "                      needed to listen on a TCP address other than\n"
        "                      loopback. Make one: head -c 32 /dev/urandom |\n"
        "                      base64 > FILE; chmod 600 FILE\n"
        PAGE_OPTIONS_HELP
        "  --help              show this help\n"
        "\n"
        "SOCKET: without --addr, a first argument that is a unix: or tcp:\n"
        "address, an existing socket, or an absolute path that does not\n"
        "exist is the socket to listen on, as the lab's harness passes it.\n"
        "\n"
        "Exit status: 0 the outputs are committed; 1 the job failed; 2 bad\n"
        "usage or --app module; 4 the directory is in use by another job,\n"
        "or holds the files of another job killed before it finished;\n"
        "75 stopped before the job was over (SIGUSR1, --stop-grace): run\n"
        "the same command again to resume it; 128+N interrupted by signal\n"
        "N.\n");
}

struct args {
    char addr[512];
    struct coord_opts opts;
    struct page_opts page;      /* --http, --linger */
    struct token token;
    struct app_file module;     /* --app: the module workers may fetch */
    struct input_list inputs;   /* the files, directories made lists */
    const char *const *files;
    uint32_t nfiles;
};

/* Returns 0 to go on, -1 after --help, or an exit status. */
static int
parse_args(int argc, char **argv, struct args *a)
{
    static const struct option longopts[] = {
        {"addr", required_argument, NULL, 'a'},
        {"max-conns", required_argument, NULL, 'm'},
        {"token-file", required_argument, NULL, 'k'},
        {"app", required_argument, NULL, 'A'},
        COORD_LONGOPTS,
        PAGE_LONGOPTS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char err[MR_ERR_LEN], name_err[APP_NAME_ERR_LEN], app_path[PATH_MAX];
    bool addr_given = false;
    unsigned long n;
    int opt, rc;

    cli_default_addr(a->addr, sizeof(a->addr));
    coord_opts_init(&a->opts);
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (opt == 'a') {
            snprintf(a->addr, sizeof(a->addr), "%s", optarg);
            addr_given = true;
        } else if (opt == 'm') {
            if (cli_parse_uint("--max-conns", optarg, 1, 1000000, &n,
                               err) < 0) {
                fprintf(stderr, "mrcoordinator: %s\n", err);
                return MR_EXIT_USAGE;
            }
            a->opts.max_conns = n;
        } else if (opt == 'k') {
            if (token_read(optarg, &a->token, err) < 0) {
                fprintf(stderr, "mrcoordinator: %s\n", err);
                return MR_EXIT_USAGE;
            }
            a->opts.token = a->token.bytes;
            a->opts.token_len = a->token.len;
        } else if (opt == 'A') {
            app_file_free(&a->module);
            if (app_name_resolve(optarg, app_path, sizeof(app_path),
                                 name_err) < 0) {
                fprintf(stderr, "mrcoordinator: %s\n", name_err);
                return MR_EXIT_USAGE;
            }
            if (app_file_read(app_path, &a->module, err) < 0) {
                fprintf(stderr, "mrcoordinator: %s\n", err);
                return MR_EXIT_USAGE;
            }
            a->opts.app_file = &a->module;
        } else if (opt == 'h') {
            usage(stdout);
            return -1;
        } else if ((rc = coord_opts_parse(&a->opts, opt, optarg, err)) > 0 &&
                   (rc = page_opts_parse(&a->page, opt, optarg, err)) > 0) {
            cli_bad_option("mrcoordinator", argv, optind, optopt);
            return MR_EXIT_USAGE;
        } else if (rc < 0) {
            fprintf(stderr, "mrcoordinator: %s\n", err);
            return MR_EXIT_USAGE;
        }
    }
    if (page_opts_check(&a->page, a->token.len > 0, err) < 0) {
        fprintf(stderr, "mrcoordinator: %s\n", err);
        return MR_EXIT_USAGE;
    }
    /* The lab's form: mrcoordinator SOCKET FILE... */
    if (!addr_given && argc - optind >= 2 &&
        cli_is_socket_arg(argv[optind])) {
        cli_positional_addr(argv[optind], a->addr, sizeof(a->addr));
        optind++;
    }
    if (optind == argc) {
        fprintf(stderr, "mrcoordinator: no input files; see "
                "'mrcoordinator --help'\n");
        return MR_EXIT_USAGE;
    }
    if (input_list_make((const char *const *)argv + optind,
                        (size_t)(argc - optind), &a->inputs, err) < 0) {
        fprintf(stderr, "mrcoordinator: %s\n", err);
        return MR_EXIT_USAGE;
    }
    a->files = (const char *const *)a->inputs.files;
    a->nfiles = (uint32_t)a->inputs.n;
    return 0;
}

/* Frees what parse_args kept. */
static void
args_free(struct args *a)
{
    app_file_free(&a->module);
    input_list_free(&a->inputs);
}

static int interrupted;

/* What the loop's callbacks share. */
struct run {
    rpc_loop *loop;
    struct progress p;          /* stderr is a terminal: the live line */
    bool showing;               /* p is in use */
};

/* The status page (--http), and the time it stays up after the job. */
static struct {
    status_http *http;
    unsigned long linger_ms;    /* --linger */
    bool lingering;             /* the job is over; the page stays up */
} page;

static void
on_progress(coord *c, void *arg)
{
    struct run *r = arg;
    struct coord_status st;

    if (!r->showing)            /* not a terminal, or the job is over */
        return;
    coord_status(c, &st);
    progress_update(&r->p, &st);
}

static void
on_linger_end(rpc_loop *loop, void *arg)
{
    (void)arg;
    rpc_loop_stop(loop);
}

/* The job is over and the workers told: exit, or first linger (not after
 * an interrupt or a stop: they asked to stop now). */
static void
on_over(coord *c, void *arg)
{
    struct run *r = arg;

    if (r->showing) {
        on_progress(c, r);      /* the end, always drawn */
        progress_end(&r->p);
        r->showing = false;
    }
    if (page.http == NULL || page.linger_ms == 0 || interrupted ||
        coord_stopped(c)) {
        rpc_loop_stop(r->loop);
        return;
    }
    page.lingering = true;
    fprintf(stderr, "mrcoordinator: the job is over (%s%s); the status "
            "page stays up %.1f s more (--linger)\n",
            coord_result(c) == 0 ? "its outputs are committed" : "failed: ",
            coord_result(c) == 0 ? "" : coord_error(c),
            (double)page.linger_ms / 1000.0);
    if (rpc_loop_timer_add(r->loop, page.linger_ms, on_linger_end, NULL) ==
        NULL)
        rpc_loop_stop(r->loop);
}

/* Starts the status page when --http asks for one and says where it is,
 * before any worker can join. Returns 0, or -1 with err filled. */
static int
start_page(rpc_loop *loop, coord *c, const struct args *a,
           char err[MR_ERR_LEN])
{
    char url[256];

    if (!a->page.on)
        return 0;
    page.http = status_http_start(loop, c, &a->page.addr, a->opts.token,
                                  a->opts.token_len, url, sizeof(url), err);
    if (page.http == NULL)
        return -1;
    page.linger_ms = a->page.linger_ms;
    fprintf(stderr, "mrcoordinator: status page at %s\n", url);
    return 0;
}

static void
on_stop_signal(rpc_loop *loop, int signo, void *arg)
{
    char why[64];

    if (page.lingering) {       /* the job's outcome is already final */
        rpc_loop_stop(loop);
        return;
    }
    interrupted = signo;
    snprintf(why, sizeof(why), "interrupted by %s", strsignal(signo));
    coord_interrupt(arg, why);
}

/* SIGUSR1, a time limit coming (Slurm's --signal): stop the job so that a
 * later start resumes it (coord_stop). */
static void
on_time_limit(rpc_loop *loop, int signo, void *arg)
{
    (void)loop;
    (void)signo;
    if (!page.lingering)
        coord_stop(arg);
}

/* One line when some inputs are left for the workers to find. */
static void
tell_unseen(const coord *c)
{
    struct coord_status st;
    char cwd[4096];

    coord_status(c, &st);
    if (st.unseen_inputs > 0)
        mr_warn("%u input%s not found from %s (the first: %s): handed to "
                "the workers whole, to open from their directory",
                st.unseen_inputs, st.unseen_inputs == 1 ? " is" : "s are",
                getcwd(cwd, sizeof(cwd)) ? cwd : ".", st.unseen_first);
}

/* Creates, listens and starts. Returns the coordinator or NULL with the
 * exit status in *status (the line said). */
static coord *
set_up(struct run *r, struct args *a, int *status)
{
    char err[MR_ERR_LEN], bound[512];
    coord *c;
    int rc;

    a->opts.on_over = on_over;
    a->opts.arg = r;
    c = coord_create(r->loop, a->files, a->nfiles, &a->opts, err);
    rc = 0;
    if (c != NULL && start_page(r->loop, c, a, err) == 0 &&
        (rc = coord_listen(c, a->addr, bound, sizeof(bound), err)) == 0) {
        if ((rc = coord_start(c, err)) == 0) {
            mr_info("listening on %s", bound);
            tell_unseen(c);
            return c;
        }
        *status = rc == MR_EINUSE || rc == MR_EOTHERJOB ? MR_EXIT_REFUSED
                                                      : MR_EXIT_FAILED;
    } else {
        /* A malformed address is a usage error, as in every program, and
         * so is a TCP address refused (beyond loopback without a token,
         * or a port only root may take). */
        *status = rc == MR_EBADADDR ||
                          (rc == -EACCES && strncmp(a->addr, "tcp:", 4) == 0)
                      ? MR_EXIT_USAGE
                      : MR_EXIT_FAILED;
    }
    fprintf(stderr, "mrcoordinator: %s\n", err);
    status_http_free(page.http);
    page.http = NULL;
    coord_free(c);
    return NULL;
}

int
main(int argc, char **argv)
{
    static struct args a;
    static struct run r;
    char err[MR_ERR_LEN], why[COORD_ERROR_LEN];
    bool stopped;
    sigset_t held;
    coord *c;
    int rc;

    if (mr_log_init(argv[0]) < 0)
        return MR_EXIT_USAGE;
    signal(SIGPIPE, SIG_IGN);
    /* Held until the loop's signalfd takes them: a SIGUSR1 during the
     * start (before "listening on") stops the job, not the process. */
    sigemptyset(&held);
    sigaddset(&held, SIGUSR1);
    sigaddset(&held, SIGINT);
    sigaddset(&held, SIGTERM);
    sigprocmask(SIG_BLOCK, &held, NULL);
    if ((rc = parse_args(argc, argv, &a)) != 0) {
        args_free(&a);
        return rc < 0 ? MR_EXIT_OK : rc;
    }
    if ((r.loop = rpc_loop_create(err)) == NULL) {
        fprintf(stderr, "mrcoordinator: %s\n", err);
        args_free(&a);
        return MR_EXIT_FAILED;
    }
    /* On a terminal, one live line; elsewhere (a log file) nothing more. */
    if (isatty(STDERR_FILENO)) {
        a.opts.on_progress = on_progress;
        progress_init(&r.p, stderr);
        r.showing = true;
    }
    if ((c = set_up(&r, &a, &rc)) == NULL) {
        if (r.showing)
            progress_end(&r.p);
        rpc_loop_free(r.loop);
        args_free(&a);
        return rc;
    }
    rpc_loop_signal(r.loop, SIGINT, on_stop_signal, c);
    rpc_loop_signal(r.loop, SIGTERM, on_stop_signal, c);
    rpc_loop_signal(r.loop, SIGUSR1, on_time_limit, c);
    rpc_loop_run(r.loop);
    if (r.showing)
        progress_end(&r.p);
    rc = coord_result(c);
    stopped = coord_stopped(c);
    snprintf(why, sizeof(why), "%s", rc != 0 ? coord_error(c) : "");
    status_http_free(page.http);
    coord_free(c);
    rpc_loop_free(r.loop);
    args_free(&a);
    token_forget(&a.token);
    if (rc == 0)
        return MR_EXIT_OK;
    if (stopped) {
        fprintf(stderr, "mrcoordinator: the job stopped before it was over "
                "(SIGUSR1); run the same command again to resume it\n");
        return MR_EXIT_STOPPED;
    }
    fprintf(stderr, "mrcoordinator: job failed: %s\n", why);
    return interrupted ? MR_EXIT_SIGNAL + interrupted : MR_EXIT_FAILED;
}
