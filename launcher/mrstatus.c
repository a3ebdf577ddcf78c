/* mrstatus: asks a running coordinator how its job goes (the Status RPC)
 * and prints the answer for people, or as the status page's JSON; with
 * --summary, prints the summary a job left in its directory when it
 * ended. */
#define _GNU_SOURCE
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "coord.h"
#include "exit_codes.h"
#include "mr.pb-c.h"
#include "rpc.h"
#include "status_json.h"
#include "status_view.h"
#include "summary_view.h"
#include "token.h"

/* How long to try to reach the coordinator, and to wait for its answer. */
#define CONNECT_TIMEOUT_MS  2000
#define CALL_TIMEOUT_MS     10000
/* Rows of the task table asked for unless --tasks says. */
#define DEFAULT_TASKS       20

static void
usage(FILE *to)
{
    fprintf(to,
        "usage: mrstatus [--addr ADDR] [--token-file FILE] [--json]\n"
        "                [--tasks N]\n"
        "       mrstatus --summary DIR\n"
        "\n"
        "Asks the coordinator at ADDR how its job goes and prints it: the\n"
        "job and its phase, the map and reduce tasks (total, done, running,\n"
        "failed attempts), each worker (pid, host, its task or idle, when it\n"
        "was last heard from), the running tasks, the recent failures with\n"
        "their reason, and the job's counters.\n"
        "\n"
        "  --addr ADDR         the coordinator's address, unix:/path or\n"
        "                      tcp:host:port (default $MR_ADDR, else\n"
        "                      unix:/tmp/mr-<uid>.sock)\n"
        "  --token-file FILE   the coordinator's shared secret, as its\n"
        "                      workers are given it (needed when it has one)\n"
        "  --json              print the status as one JSON document, the\n"
        "                      status page's /status.json (docs/status.md)\n"
        "  --tasks N           rows of the task table to ask for, running\n"
        "                      tasks first (default %d; 0: none; at most\n"
        "                      10000)\n"
        "  --summary DIR       print the summary of the job that ended in\n"
        "                      DIR (mr-success, or mr-failed for a job that\n"
        "                      failed) instead; no coordinator is asked\n"
        "  --help              show this help\n"
        "\n"
        "Exit status: 0 shown; 1 no coordinator answered at ADDR, or no\n"
        "readable summary in DIR; 2 bad usage or token file; 4 the\n"
        "coordinator refused the token (or wants one).\n",
        DEFAULT_TASKS);
}

struct args {
    char addr[512];
    const char *token_file;     /* NULL: none */
    const char *summary_dir;    /* --summary: NULL unless given */
    bool json;
    unsigned long tasks;
};

/* Returns 0 to go on, -1 after --help, or an exit status. */
static int
parse_args(int argc, char **argv, struct args *a)
{
    static const struct option longopts[] = {
        {"addr", required_argument, NULL, 'a'},
        {"token-file", required_argument, NULL, 'k'},
        {"json", no_argument, NULL, 'j'},
        {"tasks", required_argument, NULL, 't'},
        {"summary", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char err[MR_ERR_LEN];
    int opt;

    cli_default_addr(a->addr, sizeof(a->addr));
    a->tasks = DEFAULT_TASKS;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (opt == 'a') {
            snprintf(a->addr, sizeof(a->addr), "%s", optarg);
        } else if (opt == 'k') {
            a->token_file = optarg;
        } else if (opt == 'j') {
            a->json = true;
        } else if (opt == 't') {
            if (cli_parse_uint("--tasks", optarg, 0, COORD_STATUS_MAX_TASKS,
                               &a->tasks, err) < 0) {
                fprintf(stderr, "mrstatus: %s\n", err);
                return MR_EXIT_USAGE;
            }
        } else if (opt == 's') {
            a->summary_dir = optarg;
        } else if (opt == 'h') {
            usage(stdout);
            return -1;
        } else {
            cli_bad_option("mrstatus", argv, optind, optopt);
            return MR_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "mrstatus: unexpected argument '%s'; see 'mrstatus "
                "--help'\n", argv[optind]);
        return MR_EXIT_USAGE;
    }
    return 0;
}

/* The exit status for a failed Status call, its line printed. */
static int
call_failed(const struct args *a, rpc_client *c, int rc)
{
    if (rc == MR_ECONNECT) {
        fprintf(stderr, "mrstatus: no coordinator is listening at %s (%s); "
                "start one (mrcoordinator FILE...) or give its address "
                "with --addr\n", a->addr, rpc_client_errmsg(c));
        return MR_EXIT_FAILED;
    }
    if (rc == MR_EREMOTE && rpc_client_remote_status(c) == MR_EAUTH &&
        a->token_file == NULL) {
        fprintf(stderr, "mrstatus: the coordinator at %s has a token: give "
                "mrstatus the same --token-file FILE as its workers\n",
                a->addr);
        return MR_EXIT_REFUSED;
    }
    if (rc == MR_EAUTH ||
        (rc == MR_EREMOTE && rpc_client_remote_status(c) == MR_EAUTH)) {
        fprintf(stderr, "mrstatus: %s\n", rpc_client_errmsg(c));
        return MR_EXIT_REFUSED;
    }
    if (rc == MR_EREMOTE && rpc_client_remote_status(c) == MR_ETOOBIG) {
        fprintf(stderr, "mrstatus: the status with %lu task rows is larger "
                "than the coordinator sends (%s): ask for fewer with "
                "--tasks\n", a->tasks, rpc_client_errmsg(c));
        return MR_EXIT_FAILED;
    }
    fprintf(stderr, "mrstatus: the coordinator at %s did not answer: %s\n",
            a->addr, rpc_client_errmsg(c));
    return MR_EXIT_FAILED;
}

/* Prints the reply as asked. Returns the exit status. */
static int
show(const struct args *a, const Mr__StatusReply *reply)
{
    char *doc;
    size_t len;

    if (!a->json) {
        status_view_print(stdout, reply);
    } else if ((doc = status_json(reply, &len)) != NULL) {
        fwrite(doc, 1, len, stdout);
        free(doc);
    } else {
        fprintf(stderr, "mrstatus: out of memory\n");
        return MR_EXIT_FAILED;
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "mrstatus: cannot write the status: %m\n");
        return MR_EXIT_FAILED;
    }
    return MR_EXIT_OK;
}

/* Asks the coordinator and prints its answer. Returns the exit status. */
static int
ask(const struct args *a, const struct token *token)
{
    struct rpc_client_opts copts = {
        .connect_timeout_ms = CONNECT_TIMEOUT_MS,
        .call_timeout_ms = CALL_TIMEOUT_MS,
        .token = a->token_file ? token->bytes : NULL,
        .token_len = a->token_file ? token->len : 0,
    };
    Mr__StatusRequest req = MR__STATUS_REQUEST__INIT;
    Mr__StatusReply *reply = NULL;
    char err[MR_ERR_LEN];
    rpc_client *c;
    int rc;

    if ((c = rpc_client_create(a->addr, &copts, err)) == NULL) {
        fprintf(stderr, "mrstatus: %s\n", err);
        return MR_EXIT_USAGE;
    }
    req.max_tasks = (uint32_t)a->tasks;
    rc = rpc_client_call(c, &mr__coordinator__descriptor, "Status",
                         &req.base, (ProtobufCMessage **)&reply);
    if (rc != 0) {
        rc = call_failed(a, c, rc);
    } else {
        rc = show(a, reply);
        mr__status_reply__free_unpacked(reply, NULL);
    }
    rpc_client_free(c);
    return rc;
}

int
main(int argc, char **argv)
{
    static struct args a;
    static struct token token;
    char err[MR_ERR_LEN];
    int rc;

    signal(SIGPIPE, SIG_IGN);
    if ((rc = parse_args(argc, argv, &a)) != 0)
        return rc < 0 ? MR_EXIT_OK : rc;
    if (a.summary_dir != NULL && a.json) {
        fprintf(stderr, "mrstatus: --summary prints for people; the summary "
                "is JSON already: read %s/mr-success (or mr-failed)\n",
                a.summary_dir);
        return MR_EXIT_USAGE;
    }
    if (a.summary_dir != NULL) {
        if (summary_view_print(stdout, a.summary_dir, err) < 0) {
            fprintf(stderr, "mrstatus: %s\n", err);
            return MR_EXIT_FAILED;
        }
        return fflush(stdout) == 0 ? MR_EXIT_OK : MR_EXIT_FAILED;
    }
    if (a.token_file != NULL && token_read(a.token_file, &token, err) < 0) {
        fprintf(stderr, "mrstatus: %s\n", err);
        return MR_EXIT_USAGE;
    }
    rc = ask(&a, &token);
    token_forget(&token);
    return rc;
}
