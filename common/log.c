/* Logging to stderr: one write(2) per line so lines from processes sharing
 * a terminal do not interleave mid-line. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *log_progname = "mr";
static enum mr_log_level log_level = MR_LOG_WARN;

void
mr_log_init(const char *progname)
{
    const char *env = getenv("MR_LOG");

    if (progname != NULL) {
        const char *slash = strrchr(progname, '/');
        log_progname = slash ? slash + 1 : progname;
    }
    if (env == NULL)
        return;
    if (strcmp(env, "error") == 0)
        log_level = MR_LOG_ERROR;
    else if (strcmp(env, "warn") == 0)
        log_level = MR_LOG_WARN;
    else if (strcmp(env, "info") == 0)
        log_level = MR_LOG_INFO;
    else if (strcmp(env, "debug") == 0)
        log_level = MR_LOG_DEBUG;
}

int
mr_log_enabled(enum mr_log_level level)
{
    return level <= log_level;
}

void
mr_log(enum mr_log_level level, const char *fmt, ...)
{
    static const char *names[] = {"error", "warn", "info", "debug"};
    char line[1024];
    va_list ap;
    int n;

    if (!mr_log_enabled(level))
        return;
    n = snprintf(line, sizeof(line), "%s[%d]: %s: ", log_progname,
                 (int)getpid(), names[level]);
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    if (write(STDERR_FILENO, line, (size_t)n) < 0) {
        /* Nowhere left to report it. */
    }
}
