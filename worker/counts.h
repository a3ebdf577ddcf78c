/* The values of an MR_COMBINER_SUM app (include/mrapp.h): unsigned
 * decimal counts, which the framework sums itself. One parser for the map
 * side's combiner and mrsequential's combiner check. */
#ifndef WORKER_COUNTS_H
#define WORKER_COUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parses s[0..len) as an unsigned decimal number below 2^64, and nothing
 * else (no sign, no space, not empty). Returns true with *n set. */
static inline bool
count_parse(const char *s, size_t len, uint64_t *n)
{
    uint64_t x = 0;

    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)((unsigned char)s[i] - '0');
        if (d > 9 || x > (UINT64_MAX - d) / 10)
            return false;
        x = x * 10 + d;
    }
    *n = x;
    return true;
}

#endif
