/* Command-line helpers. See cli.h. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void
cli_default_addr(char *buf, size_t len)
{
    const char *env = getenv("MR_ADDR");

    if (env != NULL && env[0] != '\0')
        snprintf(buf, len, "%s", env);
    else
        snprintf(buf, len, "unix:/tmp/mr-%u.sock", (unsigned)getuid());
}

void
cli_positional_addr(const char *arg, char *buf, size_t len)
{
    if (!strncmp(arg, "unix:", 5) || !strncmp(arg, "tcp:", 4) ||
        !strncmp(arg, "fd:", 3))
        snprintf(buf, len, "%s", arg);
    else
        snprintf(buf, len, "unix:%s", arg);
}

bool
cli_is_socket_arg(const char *arg)
{
    char dir[PATH_MAX];
    const char *slash;
    struct stat st;

    if (!strncmp(arg, "unix:", 5) || !strncmp(arg, "tcp:", 4))
        return true;
    if (stat(arg, &st) == 0)
        return S_ISSOCK(st.st_mode);
    if (arg[0] != '/' || errno != ENOENT)
        return false;
    slash = strrchr(arg, '/');
    snprintf(dir, sizeof(dir), "%.*s", (int)(slash - arg), arg);
    return stat(dir[0] ? dir : "/", &st) == 0 && S_ISDIR(st.st_mode);
}

int
cli_parse_uint(const char *opt, const char *val, unsigned long min,
               unsigned long max, unsigned long *out, char err[MR_ERR_LEN])
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(val, &end, 10);
    if (val[0] < '0' || val[0] > '9' || *end != '\0' || errno != 0 ||
        v < min || v > max) {
        snprintf(err, MR_ERR_LEN, "%s wants a whole number from %lu to %lu, "
                 "not '%s'", opt, min, max, val);
        return -EINVAL;
    }
    *out = v;
    return 0;
}

int
cli_parse_seconds(const char *opt, const char *val, unsigned long *ms,
                  char err[MR_ERR_LEN])
{
    char *end;
    double s;

    errno = 0;
    s = strtod(val, &end);
    if (val[0] == '\0' || *end != '\0' || errno != 0 || !(s > 0) ||
        s > 86400) {
        snprintf(err, MR_ERR_LEN, "%s wants a number of seconds above 0 and "
                 "at most 86400, not '%s'", opt, val);
        return -EINVAL;
    }
    *ms = (unsigned long)(s * 1000 + 0.5);
    if (*ms == 0)
        *ms = 1;
    return 0;
}

void
cli_bad_option(const char *prog, char **argv, int next, int badopt)
{
    const char *arg = argv[next - 1];

    if (badopt != 0 && arg[0] == '-' && arg[1] != '-')
        fprintf(stderr, "%s: unknown option '-%c'; see '%s --help'\n", prog,
                badopt, prog);
    else
        fprintf(stderr, "%s: unknown option or missing value: '%s'; see "
                "'%s --help'\n", prog, arg, prog);
}

int
cli_parse_size(const char *opt, const char *val, unsigned long long *out,
               char err[MR_ERR_LEN])
{
    unsigned long long v, mult = 1;
    char *end;

    errno = 0;
    v = strtoull(val, &end, 10);
    if (*end == 'K' || *end == 'k')
        mult = 1ull << 10;
    else if (*end == 'M' || *end == 'm')
        mult = 1ull << 20;
    else if (*end == 'G' || *end == 'g')
        mult = 1ull << 30;
    if (mult > 1)
        end++;
    if (val[0] < '0' || val[0] > '9' || *end != '\0' || errno != 0 ||
        v == 0 || v > (1ull << 50) / mult) {
        snprintf(err, MR_ERR_LEN, "%s wants a size in bytes such as 65536, "
                 "64K, 64M or 1G, not '%s'", opt, val);
        return -EINVAL;
    }
    *out = v * mult;
    return 0;
}

int
cli_env_bytes(const char *name, unsigned long long *out,
              char err[MR_ERR_LEN])
{
    const char *val = getenv(name);
    unsigned long long v;
    char *end;

    *out = 0;
    if (val == NULL || val[0] == '\0')
        return 0;
    errno = 0;
    v = strtoull(val, &end, 10);
    if (val[0] < '0' || val[0] > '9' || *end != '\0' || errno != 0) {
        snprintf(err, MR_ERR_LEN, "%s wants a size in bytes, a whole number "
                 "such as 33554432, not '%s'", name, val);
        return -EINVAL;
    }
    *out = v;
    return 0;
}
