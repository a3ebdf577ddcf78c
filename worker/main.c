/* mrworker: loads an app module and works for a coordinator until the job
 * is done. */
#define _GNU_SOURCE
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "app.h"
#include "cli.h"
#include "log.h"
#include "token.h"
#include "worker.h"

static void
usage(FILE *to)
{
    fprintf(to,
        "usage: mrworker [--addr ADDR] [--connect-timeout SECONDS]\n"
        "                [--token-file FILE] APP.so\n"
        "\n"
        "Asks the coordinator at ADDR for map and reduce tasks and runs them\n"
        "with the app module APP.so, in the current directory, until the\n"
        "job is done.\n"
        "\n"
        "  --addr ADDR         unix:/path or tcp:host:port (default $MR_ADDR,\n"
        "                      else unix:/tmp/mr-<uid>.sock)\n"
        "  --connect-timeout S keep trying to reach the coordinator this long\n"
        "                      (default 5)\n"
        "  --token-file FILE   the coordinator's shared secret (see\n"
        "                      mrcoordinator --help)\n"
        "  --help              show this help\n");
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"addr", required_argument, NULL, 'a'},
        {"connect-timeout", required_argument, NULL, 't'},
        {"token-file", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char addr[512], err[MR_ERR_LEN];
    unsigned long connect_ms = 5000;
    struct app_module mod;
    struct worker_opts opts = {0};
    static struct token token;
    const char *token_file = NULL;
    int opt, rc;

    mr_log_init(argv[0]);
    signal(SIGPIPE, SIG_IGN);
    cli_default_addr(addr, sizeof(addr));
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'a':
            snprintf(addr, sizeof(addr), "%s", optarg);
            break;
        case 't':
            if (cli_parse_seconds("--connect-timeout", optarg, &connect_ms,
                                  err) < 0) {
                fprintf(stderr, "mrworker: %s\n", err);
                return 2;
            }
            break;
        case 'k':
            token_file = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            cli_bad_option("mrworker", argv, optind, optopt);
            return 2;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "mrworker: expected one app module (.so); see "
                "'mrworker --help'\n");
        return 2;
    }
    if (token_file != NULL && token_read(token_file, &token, err) < 0) {
        fprintf(stderr, "mrworker: %s\n", err);
        return 2;
    }
    if (app_load(argv[optind], &mod, err) < 0) {
        fprintf(stderr, "mrworker: %s\n", err);
        return 2;
    }
    if (token_file != NULL) {
        opts.token = token.bytes;
        opts.token_len = token.len;
    }
    opts.addr = addr;
    opts.connect_timeout_ms = (int)connect_ms;
    rc = worker_run(mod.app, &opts);
    token_forget(&token);
    app_unload(&mod);
    return rc;
}
