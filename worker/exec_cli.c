/* The options of executable apps. See exec_cli.h. */
#define _GNU_SOURCE
#include "exec_cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

void
exec_cli_init(struct exec_cli *c)
{
    memset(c, 0, sizeof(*c));
    c->spec.timeout_ms = EXEC_DEFAULT_TIMEOUT_MS;
}

int
exec_cli_parse(struct exec_cli *c, int opt, const char *arg,
               char err[MR_ERR_LEN])
{
    unsigned long ms;

    switch (opt) {
    case EXEC_OPT_MAPPER:
        c->spec.mapper = arg;
        return 0;
    case EXEC_OPT_REDUCER:
        c->spec.reducer = arg;
        return 0;
    case EXEC_OPT_COMBINER:
        c->spec.combiner = arg;
        return 0;
    case EXEC_OPT_SUM:
        c->spec.sum = true;
        return 0;
    case EXEC_OPT_FRAMED:
        c->spec.framed = true;
        return 0;
    case EXEC_OPT_TIMEOUT:
        if (strcmp(arg, "0") == 0)
            ms = 0;
        else if (cli_parse_seconds("--exec-timeout", arg, &ms, err) < 0)
            return -EINVAL;
        c->spec.timeout_ms = ms > 0x7fffffff ? 0x7fffffff : (unsigned)ms;
        c->timeout_given = true;
        snprintf(c->timeout_arg, sizeof(c->timeout_arg), "%s", arg);
        return 0;
    default:
        return 1;
    }
}

bool
exec_cli_given(const struct exec_cli *c)
{
    return c->spec.mapper != NULL || c->spec.reducer != NULL;
}

int
exec_cli_check(const struct exec_cli *c, char err[MR_ERR_LEN])
{
    if (c->spec.mapper != NULL && c->spec.reducer == NULL) {
        snprintf(err, MR_ERR_LEN, "--mapper needs --reducer CMD too");
        return -EINVAL;
    }
    if (c->spec.reducer != NULL && c->spec.mapper == NULL) {
        snprintf(err, MR_ERR_LEN, "--reducer needs --mapper CMD too");
        return -EINVAL;
    }
    if (!exec_cli_given(c) && (c->spec.combiner || c->spec.sum ||
                               c->spec.framed || c->timeout_given)) {
        snprintf(err, MR_ERR_LEN, "%s is for an executable app: give "
                 "--mapper CMD --reducer CMD",
                 c->spec.combiner ? "--combiner" :
                 c->spec.sum ? "--sum-combiner" :
                 c->spec.framed ? "--framed" : "--exec-timeout");
        return -EINVAL;
    }
    if (c->spec.combiner && c->spec.sum) {
        snprintf(err, MR_ERR_LEN, "give --combiner CMD or --sum-combiner, "
                 "not both");
        return -EINVAL;
    }
    return 0;
}

int
exec_cli_argv(const struct exec_cli *c, const char *argv[EXEC_CLI_ARGS_MAX])
{
    int n = 0;

    argv[n++] = "--mapper";
    argv[n++] = c->spec.mapper;
    argv[n++] = "--reducer";
    argv[n++] = c->spec.reducer;
    if (c->spec.combiner) {
        argv[n++] = "--combiner";
        argv[n++] = c->spec.combiner;
    }
    if (c->spec.sum)
        argv[n++] = "--sum-combiner";
    if (c->spec.framed)
        argv[n++] = "--framed";
    if (c->timeout_given) {
        argv[n++] = "--exec-timeout";
        argv[n++] = c->timeout_arg;
    }
    argv[n] = NULL;
    return n;
}
