/* Logging to stderr, one line per event, prefixed with the program's name.
 * The level comes from the MR_LOG environment variable (error, warn, info,
 * debug; default warn), read once by mr_log_init(). */
#ifndef MR_LOG_H
#define MR_LOG_H

#include <stdint.h>

enum mr_log_level { MR_LOG_ERROR, MR_LOG_WARN, MR_LOG_INFO, MR_LOG_DEBUG };

/* Sets the name printed before each line (borrowed: must outlive logging)
 * and reads MR_LOG (unset or empty: warn). Returns 0, or -1 when MR_LOG
 * names no level, after printing one line saying so and naming the valid
 * ones (the caller exits with MR_EXIT_USAGE). Safe to call more than once. */
int mr_log_init(const char *progname);

/* True when a line at this level would be printed. */
int mr_log_enabled(enum mr_log_level level);

void mr_log(enum mr_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A line that can repeat fast (a peer guessing tokens, a full connection
 * cap) goes through a limiter: at most one line a second per limiter, and
 * the next line printed says how many were dropped since the last one. The
 * caller owns the limiter; a zeroed one is ready. */
struct mr_log_limit {
    uint64_t last_ms;           /* CLOCK_MONOTONIC ms of the last line */
    uint64_t dropped;           /* lines dropped since then */
};

void mr_log_limited(struct mr_log_limit *limit, enum mr_log_level level,
                    const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Lets a live display (a progress bar redrawn in place) share the terminal
 * with log lines: hide(arg) is called before each line is written, to take
 * the display off its line, and show(arg) after it, to draw it again below.
 * NULL, NULL removes them. One pair at a time, called by the thread that
 * logs; a line logged from inside them is written without them. */
void mr_log_set_display(void (*hide)(void *arg), void (*show)(void *arg),
                        void *arg);

#define mr_error(...) mr_log(MR_LOG_ERROR, __VA_ARGS__)
#define mr_warn(...)  mr_log(MR_LOG_WARN, __VA_ARGS__)
#define mr_info(...)  mr_log(MR_LOG_INFO, __VA_ARGS__)
#define mr_debug(...)                                                        \
    do {                                                                     \
        if (mr_log_enabled(MR_LOG_DEBUG))                                    \
            mr_log(MR_LOG_DEBUG, __VA_ARGS__);                               \
    } while (0)

#endif
