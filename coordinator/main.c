/* mrcoordinator: runs one job's coordinator until every output is final. */
#define _GNU_SOURCE
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "coord.h"
#include "options.h"
#include "log.h"
#include "token.h"

static void
usage(FILE *to)
{
    fprintf(to,
        "usage: mrcoordinator [--addr ADDR] [--reduce N] [--task-timeout S]\n"
        "                     [--split-size SIZE] [--max-conns N]\n"
        "                     [--token-file FILE] FILE...\n"
        "\n"
        "Coordinates a MapReduce job: one map task per input FILE (or per\n"
        "split of a larger one), N reduce tasks; workers (mrworker) started\n"
        "in the same directory write mr-out-0 .. mr-out-<N-1>. Exits 0 when\n"
        "every output is final.\n"
        "\n"
        "  --addr ADDR         listen on unix:/path or tcp:host:port (default\n"
        "                      $MR_ADDR, else unix:/tmp/mr-<uid>.sock)\n"
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
        "  --help              show this help\n");
}

static void
on_over(coord *c, void *arg)
{
    (void)c;
    rpc_loop_stop(arg);
}

static void
on_stop_signal(rpc_loop *loop, int signo, void *arg)
{
    char why[64];

    (void)loop;
    snprintf(why, sizeof(why), "interrupted by %s", strsignal(signo));
    coord_abort(arg, why);
}

struct args {
    char addr[512];
    struct coord_opts opts;
    struct token token;
};

/* Returns 0 to go on, -1 after --help, or an exit status. */
static int
parse_args(int argc, char **argv, struct args *a)
{
    static const struct option longopts[] = {
        {"addr", required_argument, NULL, 'a'},
        {"max-conns", required_argument, NULL, 'm'},
        {"token-file", required_argument, NULL, 'k'},
        COORD_LONGOPTS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char err[MR_ERR_LEN];
    unsigned long n;
    int opt, rc;

    cli_default_addr(a->addr, sizeof(a->addr));
    coord_opts_init(&a->opts);
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (opt == 'a') {
            snprintf(a->addr, sizeof(a->addr), "%s", optarg);
        } else if (opt == 'm') {
            if (cli_parse_uint("--max-conns", optarg, 1, 1000000, &n,
                               err) < 0) {
                fprintf(stderr, "mrcoordinator: %s\n", err);
                return 2;
            }
            a->opts.max_conns = n;
        } else if (opt == 'k') {
            if (token_read(optarg, &a->token, err) < 0) {
                fprintf(stderr, "mrcoordinator: %s\n", err);
                return 2;
            }
            a->opts.token = a->token.bytes;
            a->opts.token_len = a->token.len;
        } else if (opt == 'h') {
            usage(stdout);
            return -1;
        } else if ((rc = coord_opts_parse(&a->opts, opt, optarg, err)) < 0) {
            fprintf(stderr, "mrcoordinator: %s\n", err);
            return 2;
        } else if (rc > 0) {
            cli_bad_option("mrcoordinator", argv, optind, optopt);
            return 2;
        }
    }
    if (optind == argc) {
        fprintf(stderr, "mrcoordinator: no input files; see "
                "'mrcoordinator --help'\n");
        return 2;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    static struct args a;
    char err[MR_ERR_LEN], bound[512], why[MR_ERR_LEN];
    rpc_loop *loop;
    coord *c;
    int rc;

    mr_log_init(argv[0]);
    signal(SIGPIPE, SIG_IGN);
    if ((rc = parse_args(argc, argv, &a)) != 0)
        return rc < 0 ? 0 : rc;
    if (access(".", W_OK) < 0) {
        fprintf(stderr, "mrcoordinator: the current directory is not "
                "writable; run the job where workers can write mr-out-*\n");
        return 1;
    }
    if ((loop = rpc_loop_create(err)) == NULL) {
        fprintf(stderr, "mrcoordinator: %s\n", err);
        return 1;
    }
    a.opts.on_over = on_over;
    a.opts.arg = loop;
    c = coord_create(loop, (const char *const *)argv + optind,
                     (uint32_t)(argc - optind), &a.opts, err);
    if (c == NULL || coord_listen(c, a.addr, bound, sizeof(bound), err) < 0) {
        fprintf(stderr, "mrcoordinator: %s\n", err);
        coord_free(c);
        rpc_loop_free(loop);
        return 1;
    }
    mr_info("listening on %s", bound);
    rpc_loop_signal(loop, SIGINT, on_stop_signal, c);
    rpc_loop_signal(loop, SIGTERM, on_stop_signal, c);
    rpc_loop_run(loop);
    rc = coord_result(c);
    snprintf(why, sizeof(why), "%s", rc != 0 ? coord_error(c) : "");
    coord_remove_job_files(c);  /* may log what it cleaned up */
    coord_free(c);
    rpc_loop_free(loop);
    token_forget(&a.token);
    if (rc != 0)
        fprintf(stderr, "mrcoordinator: job failed: %s\n", why);
    return rc == 0 ? 0 : 1;
}
