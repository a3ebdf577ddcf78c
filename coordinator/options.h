/* The job options of every program that runs a coordinator (mrcoordinator,
 * mrrun): --reduce, --task-timeout, --split-size, --output and --fresh,
 * parsed into struct coord_opts in one place. */
#ifndef COORD_OPTIONS_H
#define COORD_OPTIONS_H

#include <getopt.h>

#include "coord.h"

/* Entries for a getopt_long table. */
#define COORD_LONGOPTS                                                       \
    {"reduce", required_argument, NULL, 'r'},                                \
    {"task-timeout", required_argument, NULL, 't'},                          \
    {"split-size", required_argument, NULL, 's'},                            \
    {"output", required_argument, NULL, 'o'},                                \
    {"fresh", no_argument, NULL, 'F'}

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
    "  --output DIR        the job's directory: where mr-out-* and the\n"    \
    "                      success marker are committed\n"                  \
    "  --fresh             do not resume the same job killed earlier in the\n"\
    "                      directory: discard its files and start afresh\n"

/* Fills the defaults. */
void coord_opts_init(struct coord_opts *o);

/* Applies getopt's opt with its value: returns 0 when applied, -EINVAL with
 * err filled for a bad value, 1 when opt is not a job option. */
int coord_opts_parse(struct coord_opts *o, int opt, const char *val,
                     char err[MR_ERR_LEN]);

#endif
