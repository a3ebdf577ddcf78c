/* Parsing the job options. See options.h. */
#include "options.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "splits.h"

void
coord_opts_init(struct coord_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->nreduce = COORD_DEFAULT_NREDUCE;
    o->task_timeout_ms = COORD_DEFAULT_TIMEOUT_MS;
    o->split_size = SPLIT_DEFAULT_SIZE;
}

int
coord_opts_parse(struct coord_opts *o, int opt, const char *val,
                 char err[MR_ERR_LEN])
{
    unsigned long n;
    unsigned long long size;
    int rc;

    switch (opt) {
    case 'r':
        rc = cli_parse_uint("--reduce", val, 1, 100000, &n, err);
        if (rc == 0)
            o->nreduce = (uint32_t)n;
        return rc;
    case 't':
        rc = cli_parse_seconds("--task-timeout", val, &n, err);
        if (rc == 0)
            o->task_timeout_ms = n;
        return rc;
    case 's':
        rc = cli_parse_size("--split-size", val, &size, err);
        if (rc == 0)
            o->split_size = size;
        return rc;
    case COORD_OPT_STOP_GRACE:
        rc = cli_parse_seconds("--stop-grace", val, &n, err);
        if (rc == 0)
            o->stop_grace_ms = n;
        return rc;
    case COORD_OPT_MIN_SPLIT:
        rc = cli_parse_size("--min-split-size", val, &size, err);
        if (rc == 0)
            o->min_split_size = size;
        return rc;
    case 'o':
        if (val[0] == '\0') {
            snprintf(err, MR_ERR_LEN, "--output wants a directory");
            return -EINVAL;
        }
        o->output_dir = val;
        return 0;
    case 'F':
        o->fresh = true;
        return 0;
    case COORD_OPT_SKIP_BAD:
        o->skip_bad_records = true;
        return 0;
    case COORD_OPT_MAX_SKIPPED:
        rc = cli_parse_uint("--max-skipped-records", val, 0, 1000000, &n,
                            err);
        if (rc == 0) {
            o->skip_bad_records = true;
            o->max_skipped = (uint32_t)n;
            o->max_skipped_given = true;
        }
        return rc;
    }
    return 1;
}

int
page_opts_parse(struct page_opts *o, int opt, const char *val,
                char err[MR_ERR_LEN])
{
    int rc;

    switch (opt) {
    case 'H':
        if ((rc = status_addr_parse(val, &o->addr, err)) == 0)
            o->on = true;
        return rc;
    case 'L':
        return cli_parse_seconds("--linger", val, &o->linger_ms, err);
    }
    return 1;
}

int
page_opts_check(const struct page_opts *o, bool have_token,
                char err[MR_ERR_LEN])
{
    if (o->linger_ms > 0 && !o->on) {
        snprintf(err, MR_ERR_LEN, "--linger keeps the status page up after "
                 "the job: give --http HOST:PORT too");
        return -EINVAL;
    }
    if (o->on && !o->addr.loopback && !have_token) {
        snprintf(err, MR_ERR_LEN, "--http on an address other than loopback "
                 "serves the page to the network: give --token-file FILE, "
                 "or bind 127.0.0.1");
        return -EINVAL;
    }
    return 0;
}
