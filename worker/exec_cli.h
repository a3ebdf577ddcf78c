/* The command-line options of executable apps, one definition for
 * mrrun, mrworker and mrsequential: --mapper CMD --reducer CMD
 * [--combiner CMD] [--framed] [--exec-timeout S], parsed, checked and
 * passed on to workers. */
#ifndef WORKER_EXEC_CLI_H
#define WORKER_EXEC_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "exec_app.h"
#include "mr_err.h"

/* getopt_long codes, out of the range of characters. */
enum {
    EXEC_OPT_MAPPER = 0x4000,
    EXEC_OPT_REDUCER,
    EXEC_OPT_FRAMED,
    EXEC_OPT_TIMEOUT,
    EXEC_OPT_COMBINER,
    EXEC_OPT_SUM,
};

#define EXEC_LONGOPTS                                                        \
    {"mapper", required_argument, NULL, EXEC_OPT_MAPPER},                    \
    {"reducer", required_argument, NULL, EXEC_OPT_REDUCER},                  \
    {"combiner", required_argument, NULL, EXEC_OPT_COMBINER},                \
    {"sum-combiner", no_argument, NULL, EXEC_OPT_SUM},                       \
    {"framed", no_argument, NULL, EXEC_OPT_FRAMED},                          \
    {"exec-timeout", required_argument, NULL, EXEC_OPT_TIMEOUT}

#define EXEC_OPTIONS_HELP                                                    \
    "  --mapper CMD        run an executable app instead of a .so: CMD\n"   \
    "                      (one string, run by /bin/sh -c in this\n"        \
    "                      directory) maps; it reads its split on stdin\n"  \
    "                      and writes 'key TAB value' lines (Hadoop\n"      \
    "                      Streaming); needs --reducer\n"                    \
    "  --reducer CMD       reduces: reads 'key TAB value' lines sorted by\n" \
    "                      key, writes output lines (its first TAB\n"       \
    "                      becomes a space); see docs/exec-apps.md\n"       \
    "  --combiner CMD      optional: combines each spill of map output\n"  \
    "                      before the shuffle; reads what the reducer\n"   \
    "                      reads, writes records as the mapper does; may\n"\
    "                      run 0, 1 or more times per key (mrsequential,\n"\
    "                      the reference, accepts it and never runs it)\n" \
    "  --framed            the binary-safe protocol instead: length-\n"     \
    "                      prefixed keys and values (docs/exec-apps.md)\n"  \
    "  --exec-timeout S    kill a command that neither reads, writes nor\n" \
    "                      exits for S seconds, failing its attempt\n"      \
    "                      (default 60; 0: never)\n"

/* What the options said. */
struct exec_cli {
    struct exec_spec spec;
    bool timeout_given;
    char timeout_arg[32];       /* as given, to pass on */
};

/* Defaults: no exec app, EXEC_DEFAULT_TIMEOUT_MS. */
void exec_cli_init(struct exec_cli *c);

/* Takes opt if it is one of EXEC_LONGOPTS. Returns 1 when it is not, 0
 * when taken, or -EINVAL with err filled (a bad --exec-timeout). */
int exec_cli_parse(struct exec_cli *c, int opt, const char *arg,
                   char err[MR_ERR_LEN]);

/* Whether --mapper or --reducer was given. */
bool exec_cli_given(const struct exec_cli *c);

/* After parsing: --mapper and --reducer go together, and --combiner,
 * --sum-combiner (not both), --framed and --exec-timeout need them. Returns 0 or -EINVAL with err
 * filled (a usage error: exit 2). */
int exec_cli_check(const struct exec_cli *c, char err[MR_ERR_LEN]);

/* The words that give a worker the same app, into argv (room for
 * EXEC_CLI_ARGS_MAX, NULL-terminated; pointers into c). Returns their
 * number. */
#define EXEC_CLI_ARGS_MAX 10
int exec_cli_argv(const struct exec_cli *c,
                  const char *argv[EXEC_CLI_ARGS_MAX]);

#endif
