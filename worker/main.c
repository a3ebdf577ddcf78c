/* mrworker: loads an app module (its own, or the job's, fetched from the
 * coordinator) and works for a coordinator until the job is done. */
#define _GNU_SOURCE
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "app_name.h"
#include "cli.h"
#include "exec_app.h"
#include "exec_cli.h"
#include "exec_signals.h"
#include "exit_codes.h"
#include "log.h"
#include "mapout.h"
#include "token.h"
#include "worker.h"

static void
usage(FILE *to)
{
    fprintf(to,
        "usage: mrworker [--addr ADDR] [--connect-timeout SECONDS]\n"
        "                [--reconnect SECONDS] [--token-file FILE]\n"
        "                [--scratch DIR]\n"
        "                [--shuffle-addr ADDR] [APP [SOCKET]]\n"
        "\n"
        "Joins the job of the coordinator at ADDR and runs its map and\n"
        "reduce tasks with the app module APP until the job is over.\n"
        "Every worker of a job runs the same module. Without APP, the\n"
        "worker takes the job's module from the coordinator (mrcoordinator\n"
        "--app PATH), checks its size and BLAKE2b digest against what the\n"
        "coordinator announced, and loads it from memory; over TCP that\n"
        "takes --token-file (over a Unix socket it does not). Unless the\n"
        "coordinator was given --output, the job's outputs go to the\n"
        "directory its first worker runs in, and every worker must run\n"
        "there; inputs the coordinator cannot see are opened from the\n"
        "worker's directory. SOCKET, the lab's form, is the same as --addr\n"
        "unix:SOCKET.\n"
        "APP is a path (with a '/') as it is; a file of that name in this\n"
        "directory (the lab's mrworker wc.so SOCKET); else an app's name,\n"
        "with or without .so (wc, wc.so), from the apps next to mrworker\n"
        "(build/apps) or installed with it (PREFIX/lib/mapreduce/apps).\n"
        "\n"
        "  --addr ADDR         unix:/path or tcp:host:port (default $MR_ADDR,\n"
        "                      else unix:/tmp/mr-<uid>.sock)\n"
        "  --connect-timeout S keep trying to reach the coordinator this long\n"
        "                      (default 5)\n"
        "  --reconnect S       once joined, wait this long for a coordinator\n"
        "                      that went away to come back (restarted, it\n"
        "                      resumes the job from its journal), trying\n"
        "                      again and again; the tasks finished meanwhile\n"
        "                      are reported to it (default 30; 0: do not\n"
        "                      wait)\n"
        "  --token-file FILE   the coordinator's shared secret (see\n"
        "                      mrcoordinator --help)\n"
        "  --scratch DIR       keep this worker's files (map outputs, which\n"
        "                      it serves to reduces) under DIR on this host,\n"
        "                      and ship outputs through the coordinator;\n"
        "                      done anyway, under $TMPDIR (or /tmp)\n"
        "                      /mr-scratch-UID, when the job's directory\n"
        "                      cannot be written from here\n"
        "  --shuffle-addr ADDR where to serve map outputs (tcp:host:port;\n"
        "                      default: this host's address toward the\n"
        "                      coordinator, any port)\n"
        EXEC_OPTIONS_HELP
        "  --help              show this help\n"
        "\n"
        "Exit status: 0 the job finished; 1 the job failed; 2 bad usage or\n"
        "app module; 3 no coordinator, or it went away before the job was\n"
        "over; 4 refused: another app, another directory or a wrong token,\n"
        "or the worker cannot keep its files (its scratch directory) or\n"
        "serve them (--shuffle-addr), or the job's module arrived other\n"
        "than announced; 75 the coordinator stopped the job before it was\n"
        "over (a time limit), to be resumed.\n");
}

/* The map buffer's size from $MR_MAP_BUFFER: 0 (the default) when unset
 * or empty, else at least MAPOUT_MIN_BUDGET. Returns 0, or -EINVAL with
 * err filled when it is not a whole number of bytes. */
static int
map_buffer_from_env(size_t *bytes, char err[MR_ERR_LEN])
{
    unsigned long long v;
    int rc = cli_env_bytes("MR_MAP_BUFFER", &v, err);

    if (rc < 0)
        return rc;
    if (v != 0 && v < MAPOUT_MIN_BUDGET)
        v = MAPOUT_MIN_BUDGET;
    *bytes = v > SIZE_MAX ? SIZE_MAX : (size_t)v;
    return 0;
}

/* Whether a worker without APP.so may run the module the coordinator at
 * addr sends: over TCP only with a token, so that the peer it takes code
 * from has to know the job's secret (on a Unix socket, or a socket mrrun
 * handed down, the peer is a local process). Fills err when not. */
static bool
may_take_module(const char *addr, bool has_token, char err[MR_ERR_LEN])
{
    if (strncmp(addr, "tcp:", 4) != 0 || has_token)
        return true;
    snprintf(err, MR_ERR_LEN, "a worker without APP.so runs the module the "
             "coordinator sends, which over TCP takes --token-file FILE (the "
             "coordinator's): give it, or give the worker APP.so");
    return false;
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"addr", required_argument, NULL, 'a'},
        {"connect-timeout", required_argument, NULL, 't'},
        {"reconnect", required_argument, NULL, 'r'},
        {"token-file", required_argument, NULL, 'k'},
        {"scratch", required_argument, NULL, 's'},
        {"shuffle-addr", required_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        EXEC_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    char addr[512], err[MR_ERR_LEN], name_err[APP_NAME_ERR_LEN];
    char app_file[PATH_MAX];
    struct exec_cli exec;
    unsigned long connect_ms = WORKER_DEFAULT_CONNECT_MS;
    unsigned long reconnect_ms = WORKER_DEFAULT_RECONNECT_MS;
    struct app_module mod;
    struct worker_opts opts = {0};
    static struct token token;
    const char *token_file = NULL, *app_path;
    int opt, rc;

    if (mr_log_init(argv[0]) < 0)
        return MR_EXIT_USAGE;
    signal(SIGPIPE, SIG_IGN);
    if ((rc = exec_signals_init()) < 0) /* its commands die with it */
        mr_warn("cannot set up signals: %s", strerror(-rc));
    cli_default_addr(addr, sizeof(addr));
    exec_cli_init(&exec);
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
                return MR_EXIT_USAGE;
            }
            break;
        case 'r':
            if (strcmp(optarg, "0") == 0)
                reconnect_ms = 0;
            else if (cli_parse_seconds("--reconnect", optarg, &reconnect_ms,
                                       err) < 0) {
                fprintf(stderr, "mrworker: %s\n", err);
                return MR_EXIT_USAGE;
            }
            break;
        case 'k':
            token_file = optarg;
            break;
        case 's':
            opts.scratch = optarg;
            break;
        case 'S':
            opts.shuffle_addr = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            if ((rc = exec_cli_parse(&exec, opt, optarg, err)) < 0) {
                fprintf(stderr, "mrworker: %s\n", err);
                return MR_EXIT_USAGE;
            }
            if (rc > 0) {
                cli_bad_option("mrworker", argv, optind, optopt);
                return MR_EXIT_USAGE;
            }
        }
    }
    if (exec_cli_check(&exec, err) < 0) {
        fprintf(stderr, "mrworker: %s; see 'mrworker --help'\n", err);
        return MR_EXIT_USAGE;
    }
    if (exec_cli_given(&exec) && argc > optind) {
        fprintf(stderr, "mrworker: give either APP.so or --mapper and "
                "--reducer, not both (the coordinator's address goes in "
                "--addr); see 'mrworker --help'\n");
        return MR_EXIT_USAGE;
    }
    if (argc - optind == 2) {           /* the lab's mrworker APP.so SOCK */
        cli_positional_addr(argv[optind + 1], addr, sizeof(addr));
    } else if (argc - optind > 2) {
        fprintf(stderr, "mrworker: expected an app module (.so) or none, "
                "and perhaps the coordinator's socket; see 'mrworker "
                "--help'\n");
        return MR_EXIT_USAGE;
    }
    app_path = argc > optind ? argv[optind] : NULL;
    if (app_path != NULL &&
        app_name_resolve(app_path, app_file, sizeof(app_file),
                         name_err) < 0) {
        fprintf(stderr, "mrworker: %s\n", name_err);
        return MR_EXIT_USAGE;
    }
    if (app_path != NULL)
        app_path = app_file;
    if (exec_cli_given(&exec) && exec_app_load(&exec.spec, &mod, err) < 0) {
        fprintf(stderr, "mrworker: %s\n", err);
        return MR_EXIT_USAGE;
    }
    if (exec_cli_given(&exec))
        app_path = mod.path;            /* loaded: it is the worker's */
    else if (app_path == NULL && !may_take_module(addr, token_file != NULL, err)) {
        fprintf(stderr, "mrworker: %s\n", err);
        return MR_EXIT_USAGE;
    }
    if (map_buffer_from_env(&opts.map_buffer, err) < 0) {
        fprintf(stderr, "mrworker: %s\n", err);
        return MR_EXIT_USAGE;
    }
    if (token_file != NULL && token_read(token_file, &token, err) < 0) {
        fprintf(stderr, "mrworker: %s\n", err);
        return MR_EXIT_USAGE;
    }
    if (app_path != NULL && !exec_cli_given(&exec) &&
        app_load(app_path, &mod, err) < 0) {
        fprintf(stderr, "mrworker: %s\n", err);
        return MR_EXIT_USAGE;
    }
    if (token_file != NULL) {
        opts.token = token.bytes;
        opts.token_len = token.len;
    }
    opts.addr = addr;
    opts.connect_timeout_ms = (int)connect_ms;
    opts.reconnect_ms = reconnect_ms;
    rc = worker_run(app_path ? &mod : NULL, &opts);
    token_forget(&token);
    if (app_path != NULL)
        app_unload(&mod);
    return rc;
}
