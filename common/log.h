/* Logging to stderr, one line per event, prefixed with the program's name.
 * The level comes from the MR_LOG environment variable (error, warn, info,
 * debug; default warn), read once by mr_log_init(). */
#ifndef MR_LOG_H
#define MR_LOG_H

enum mr_log_level { MR_LOG_ERROR, MR_LOG_WARN, MR_LOG_INFO, MR_LOG_DEBUG };

/* Sets the name printed before each line (borrowed: must outlive logging)
 * and reads MR_LOG. Safe to call more than once. */
void mr_log_init(const char *progname);

/* True when a line at this level would be printed. */
int mr_log_enabled(enum mr_log_level level);

void mr_log(enum mr_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define mr_error(...) mr_log(MR_LOG_ERROR, __VA_ARGS__)
#define mr_warn(...)  mr_log(MR_LOG_WARN, __VA_ARGS__)
#define mr_info(...)  mr_log(MR_LOG_INFO, __VA_ARGS__)
#define mr_debug(...)                                                        \
    do {                                                                     \
        if (mr_log_enabled(MR_LOG_DEBUG))                                    \
            mr_log(MR_LOG_DEBUG, __VA_ARGS__);                               \
    } while (0)

#endif
