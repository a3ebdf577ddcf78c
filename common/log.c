/* Logging to stderr: one write(2) per line so lines from processes sharing
 * a terminal do not interleave mid-line. */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *log_progname = "mr";
static enum mr_log_level log_level = MR_LOG_WARN;
/* mr_log_set_display(): the live display around each line, if any. */
static void (*display_hide)(void *arg);
static void (*display_show)(void *arg);
static void *display_arg;
static int display_busy;        /* inside hide or show: log plainly */

void
mr_log_set_display(void (*hide)(void *arg), void (*show)(void *arg),
                   void *arg)
{
    display_hide = hide;
    display_show = show;
    display_arg = arg;
}

/* Writes one whole line to stderr, the live display moved out of its way. */
static void
write_line(const char *line, size_t n)
{
    bool around = display_hide != NULL && !display_busy;

    if (around) {
        display_busy = 1;
        display_hide(display_arg);
    }
    if (write(STDERR_FILENO, line, n) < 0) {
        /* Nowhere left to report it. */
    }
    if (around) {
        display_show(display_arg);
        display_busy = 0;
    }
}

int
mr_log_init(const char *progname)
{
    const char *env = getenv("MR_LOG");

    if (progname != NULL) {
        const char *slash = strrchr(progname, '/');
        log_progname = slash ? slash + 1 : progname;
    }
    if (env == NULL || env[0] == '\0')
        return 0;
    if (strcmp(env, "error") == 0)
        log_level = MR_LOG_ERROR;
    else if (strcmp(env, "warn") == 0)
        log_level = MR_LOG_WARN;
    else if (strcmp(env, "info") == 0)
        log_level = MR_LOG_INFO;
    else if (strcmp(env, "debug") == 0)
        log_level = MR_LOG_DEBUG;
    else {
        fprintf(stderr, "%s: MR_LOG=%s is not a log level: set it to error, "
                "warn (the default), info or debug, or unset it\n",
                log_progname, env);
        return -1;
    }
    return 0;
}

int
mr_log_enabled(enum mr_log_level level)
{
    return level <= log_level;
}

/* Prints one line: prefix, the formatted text, then suffix (may be ""). */
static void log_line(enum mr_log_level level, const char *suffix,
                     const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
log_line(enum mr_log_level level, const char *suffix, const char *fmt,
         va_list ap)
{
    static const char *names[] = {"error", "warn", "info", "debug"};
    char line[1024];
    int n;

    n = snprintf(line, sizeof(line), "%s[%d]: %s: ", log_progname,
                 (int)getpid(), names[level]);
    n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    if (n < (int)sizeof(line))
        n += snprintf(line + n, sizeof(line) - (size_t)n, "%s", suffix);
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    write_line(line, (size_t)n);
}

void
mr_log(enum mr_log_level level, const char *fmt, ...)
{
    va_list ap;

    if (!mr_log_enabled(level))
        return;
    va_start(ap, fmt);
    log_line(level, "", fmt, ap);
    va_end(ap);
}

void
mr_log_limited(struct mr_log_limit *limit, enum mr_log_level level,
               const char *fmt, ...)
{
    struct timespec ts;
    uint64_t now;
    char suffix[80] = "";
    va_list ap;

    if (!mr_log_enabled(level))
        return;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    if (limit->last_ms != 0 && now - limit->last_ms < 1000) {
        limit->dropped++;
        return;
    }
    if (limit->dropped > 0)
        snprintf(suffix, sizeof(suffix), " (and %llu more like it since the "
                 "last such line)", (unsigned long long)limit->dropped);
    limit->last_ms = now ? now : 1;
    limit->dropped = 0;
    va_start(ap, fmt);
    log_line(level, suffix, fmt, ap);
    va_end(ap);
}
