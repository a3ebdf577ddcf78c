/* Command-line helpers shared by the programs: the default coordinator
 * address and number parsing with messages a person can act on. */
#ifndef MR_CLI_H
#define MR_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "mr_err.h"

/* The coordinator address to use when none is given: $MR_ADDR if set, else
 * a per-user Unix socket, unix:/tmp/mr-<uid>.sock. */
void cli_default_addr(char *buf, size_t len);

/* The lab's positional socket argument as an address: unix:, tcp: and fd:
 * addresses are kept, anything else is a Unix socket path. */
void cli_positional_addr(const char *arg, char *buf, size_t len);

/* Whether a coordinator's first positional argument is the lab's socket
 * (mrcoordinator SOCKET FILE...) rather than an input: an address with a
 * unix: or tcp: prefix, an existing socket, or an absolute path that does
 * not exist in a directory that does. */
bool cli_is_socket_arg(const char *arg);

/* Parses val as a whole number in [min, max] for option opt. Returns 0, or
 * -EINVAL with err saying what was expected. */
int cli_parse_uint(const char *opt, const char *val, unsigned long min,
                   unsigned long max, unsigned long *out,
                   char err[MR_ERR_LEN]);

/* Prints the one line for an option getopt_long rejected (call with
 * opterr = 0, after it returned '?' or ':'). */
void cli_bad_option(const char *prog, char **argv, int next, int badopt);

/* Parses a size in bytes, with an optional K, M or G suffix (powers of
 * 1024), at least 1. */
int cli_parse_size(const char *opt, const char *val, unsigned long long *out,
                   char err[MR_ERR_LEN]);

/* Reads environment variable name as a number of bytes, a whole number
 * (no suffix): *out is 0 when it is unset or empty. Returns 0, or -EINVAL
 * with err saying what was expected. */
int cli_env_bytes(const char *name, unsigned long long *out,
                  char err[MR_ERR_LEN]);

/* Parses a duration in seconds (fractions allowed: "0.5") into ms. */
int cli_parse_seconds(const char *opt, const char *val, unsigned long *ms,
                      char err[MR_ERR_LEN]);

#endif
