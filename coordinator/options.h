/* The job options of every program that runs a coordinator (mrcoordinator,
 * mrrun): --reduce, --task-timeout, --split-size, --min-split-size,
 * --output, --fresh, --stop-grace,
 * --skip-bad-records and --max-skipped-records,
 * parsed into struct coord_opts in one place; and the status page's,
 * --http and --linger, into struct page_opts. */
#ifndef COORD_OPTIONS_H
#define COORD_OPTIONS_H

#include <getopt.h>

#include "coord.h"
#include "status_access.h"

/* getopt values of the long options with no letter of their own. */
#define COORD_OPT_SKIP_BAD      0x300
#define COORD_OPT_MAX_SKIPPED   0x301
#define COORD_OPT_MIN_SPLIT     0x302
#define COORD_OPT_STOP_GRACE    0x303

/* Entries for a getopt_long table. */
#define COORD_LONGOPTS                                                       \
    {"reduce", required_argument, NULL, 'r'},                                \
    {"task-timeout", required_argument, NULL, 't'},                          \
    {"split-size", required_argument, NULL, 's'},                            \
    {"min-split-size", required_argument, NULL, COORD_OPT_MIN_SPLIT},       \
    {"output", required_argument, NULL, 'o'},                                \
    {"fresh", no_argument, NULL, 'F'},                                       \
    {"stop-grace", required_argument, NULL, COORD_OPT_STOP_GRACE},          \
    {"skip-bad-records", no_argument, NULL, COORD_OPT_SKIP_BAD},             \
    {"max-skipped-records", required_argument, NULL, COORD_OPT_MAX_SKIPPED}

/* Help lines for them, to paste into a usage text. */
#define COORD_OPTIONS_HELP                                                   \
    "  --reduce N          number of reduce tasks (default 10)\n"             \
    "  --task-timeout S    reassign a task whose worker has been silent S\n"  \
    "                      seconds (default 10); a worker running a task\n"   \
    "                      beats every min(1, S/4) s, and four missed\n"      \
    "                      beats count as silence too\n"                      \
    "  --split-size SIZE   map a file larger than SIZE bytes as several\n"    \
    "                      tasks, cut at line ends (K, M, G suffixes;\n"     \
    "                      default 64M)\n"                                   \
    "  --min-split-size SIZE  pack consecutive inputs smaller than SIZE\n"   \
    "                      into one map task until it holds SIZE bytes\n"   \
    "                      (default: off, one task per input)\n"            \
    "  --output DIR        the job's directory: where mr-out-* and the\n"    \
    "                      success marker are committed\n"                  \
    "  --fresh             do not resume the same job killed earlier in the\n"\
    "                      directory: discard its files and start afresh\n"\
    "  --stop-grace S      on SIGUSR1 (a time limit) the job stops: no more\n"\
    "                      tasks are handed out, running ones get S\n"     \
    "                      seconds (default 60) to finish, the journal is\n"\
    "                      made durable and the program exits 75; started\n"\
    "                      again, the job resumes\n"                       \
    "  --skip-bad-records  a line that kills the map (a segfault) in two\n"  \
    "                      attempts of its task is left out of the next\n"   \
    "                      ones, and listed (apps declared MR_APP_LINES)\n"  \
    "  --max-skipped-records N  with --skip-bad-records (which it implies):\n"\
    "                      fail the job rather than skip more than N lines\n"\
    "                      (default 10)\n"

/* Fills the defaults. */
void coord_opts_init(struct coord_opts *o);

/* Applies getopt's opt with its value: returns 0 when applied, -EINVAL with
 * err filled for a bad value, 1 when opt is not a job option. */
int coord_opts_parse(struct coord_opts *o, int opt, const char *val,
                     char err[MR_ERR_LEN]);

/* ---------------------------------------------------------------- page */

#define PAGE_LONGOPTS                                                        \
    {"http", required_argument, NULL, 'H'},                                  \
    {"linger", required_argument, NULL, 'L'}

#define PAGE_OPTIONS_HELP                                                    \
    "  --http HOST:PORT    serve a live status page of the job there (port\n"\
    "                      0: any free port; the URL is printed on stderr),\n"\
    "                      and its facts at /status.json; an address other\n"\
    "                      than loopback needs --token-file, and requests\n"\
    "                      must then carry the printed URL's key\n"          \
    "  --linger S          with --http: once the job is over (its outcome\n"\
    "                      final, the workers told), keep the page up S\n"   \
    "                      seconds more, then exit as always\n"

struct page_opts {
    bool on;                    /* --http given */
    struct status_addr addr;    /* where to serve the page */
    unsigned long linger_ms;    /* --linger */
};

/* Applies getopt's opt with its value, like coord_opts_parse(); a zeroed
 * page_opts is the default (no page). */
int page_opts_parse(struct page_opts *o, int opt, const char *val,
                    char err[MR_ERR_LEN]);

/* The options as a whole, once all are parsed: returns 0, or -EINVAL with
 * err filled (--linger without --http; a page beyond loopback without a
 * token, have_token false). */
int page_opts_check(const struct page_opts *o, bool have_token,
                    char err[MR_ERR_LEN]);

#endif
