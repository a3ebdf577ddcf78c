/* mrcoordinator: runs one job's coordinator until its outputs are
 * committed or the job fails. */
#define _GNU_SOURCE
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app_file.h"
#include "cli.h"
#include "coord.h"
#include "exit_codes.h"
#include "log.h"
#include "options.h"
#include "token.h"

static void
usage(FILE *to)
{
    fprintf(to,
        "usage: mrcoordinator [--addr ADDR] [--app PATH] [--output DIR]\n"
        "                     [--reduce N] [--task-timeout S]\n"
        "                     [--split-size SIZE] [--max-conns N]\n"
        "                     [--token-file FILE] [--fresh] FILE...\n"
        "       mrcoordinator SOCKET FILE...      (the lab's form)\n"
        "\n"
        "Coordinates a MapReduce job: one map task per input FILE (or per\n"
        "split of a larger one), N reduce tasks. Workers (mrworker) join it;\n"
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
        "app, --reduce, --split-size) in the same directory, it resumes,\n"
        "keeping the tasks finished before whose outputs are still there;\n"
        "its workers wait for it (mrworker --reconnect).\n"
        "Inputs this program cannot see are handed to the workers whole, to\n"
        "open from their directory.\n"
        "\n"
        "  --addr ADDR         listen on unix:/path or tcp:host:port (default\n"
        "                      $MR_ADDR, else unix:/tmp/mr-<uid>.sock)\n"
        "  --app PATH          the job's app module (.so), read now: workers\n"
        "                      started without one (mrworker --addr ADDR)\n"
        "                      fetch it from here and check its BLAKE2b\n"
        "                      digest; a worker that brings its own must\n"
        "                      bring the same file\n"
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
        "  --help              show this help\n"
        "\n"
        "SOCKET: without --addr, a first argument that is a unix: or tcp:\n"
        "address, an existing socket, or an absolute path that does not\n"
        "exist is the socket to listen on, as the lab's harness passes it.\n"
        "\n"
        "Exit status: 0 the outputs are committed; 1 the job failed; 2 bad\n"
        "usage or --app module; 4 the directory is in use by another job,\n"
        "or holds the files of another job killed before it finished;\n"
        "128+N interrupted by signal N.\n");
}

struct args {
    char addr[512];
    struct coord_opts opts;
    struct token token;
    struct app_file module;     /* --app: the module workers may fetch */
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
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char err[MR_ERR_LEN];
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
            if (app_file_read(optarg, &a->module, err) < 0) {
                fprintf(stderr, "mrcoordinator: %s\n", err);
                return MR_EXIT_USAGE;
            }
            a->opts.app_file = &a->module;
        } else if (opt == 'h') {
            usage(stdout);
            return -1;
        } else if ((rc = coord_opts_parse(&a->opts, opt, optarg, err)) < 0) {
            fprintf(stderr, "mrcoordinator: %s\n", err);
            return MR_EXIT_USAGE;
        } else if (rc > 0) {
            cli_bad_option("mrcoordinator", argv, optind, optopt);
            return MR_EXIT_USAGE;
        }
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
    a->files = (const char *const *)argv + optind;
    a->nfiles = (uint32_t)(argc - optind);
    return 0;
}

static void
on_over(coord *c, void *arg)
{
    (void)c;
    rpc_loop_stop(arg);
}

static int interrupted;

static void
on_stop_signal(rpc_loop *loop, int signo, void *arg)
{
    char why[64];

    (void)loop;
    interrupted = signo;
    snprintf(why, sizeof(why), "interrupted by %s", strsignal(signo));
    coord_interrupt(arg, why);
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
set_up(rpc_loop *loop, struct args *a, int *status)
{
    char err[MR_ERR_LEN], bound[512];
    coord *c;
    int rc;

    a->opts.on_over = on_over;
    a->opts.arg = loop;
    c = coord_create(loop, a->files, a->nfiles, &a->opts, err);
    if (c != NULL && coord_listen(c, a->addr, bound, sizeof(bound), err) == 0) {
        if ((rc = coord_start(c, err)) == 0) {
            mr_info("listening on %s", bound);
            tell_unseen(c);
            return c;
        }
        *status = rc == MR_EINUSE || rc == MR_EOTHERJOB ? MR_EXIT_REFUSED
                                                      : MR_EXIT_FAILED;
    } else {
        *status = MR_EXIT_FAILED;
    }
    fprintf(stderr, "mrcoordinator: %s\n", err);
    coord_free(c);
    return NULL;
}

int
main(int argc, char **argv)
{
    static struct args a;
    char err[MR_ERR_LEN], why[COORD_ERROR_LEN];
    rpc_loop *loop;
    coord *c;
    int rc;

    mr_log_init(argv[0]);
    signal(SIGPIPE, SIG_IGN);
    if ((rc = parse_args(argc, argv, &a)) != 0) {
        app_file_free(&a.module);
        return rc < 0 ? MR_EXIT_OK : rc;
    }
    if ((loop = rpc_loop_create(err)) == NULL) {
        fprintf(stderr, "mrcoordinator: %s\n", err);
        app_file_free(&a.module);
        return MR_EXIT_FAILED;
    }
    if ((c = set_up(loop, &a, &rc)) == NULL) {
        rpc_loop_free(loop);
        app_file_free(&a.module);
        return rc;
    }
    rpc_loop_signal(loop, SIGINT, on_stop_signal, c);
    rpc_loop_signal(loop, SIGTERM, on_stop_signal, c);
    rpc_loop_run(loop);
    rc = coord_result(c);
    snprintf(why, sizeof(why), "%s", rc != 0 ? coord_error(c) : "");
    coord_free(c);
    rpc_loop_free(loop);
    app_file_free(&a.module);
    token_forget(&a.token);
    if (rc == 0)
        return MR_EXIT_OK;
    fprintf(stderr, "mrcoordinator: job failed: %s\n", why);
    return interrupted ? MR_EXIT_SIGNAL + interrupted : MR_EXIT_FAILED;
}
