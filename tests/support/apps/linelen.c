/* A line-based test app: how many lines have each length in bytes (without
 * the '\n'), and the longest, under the key "longest". A map task that got
 * half a line changes both, so a job's output equals mrsequential's only if
 * every line was read whole by one task. */
#include <string.h>

#include "mrapp.h"

#define LONGEST "longest"

/* Writes n in decimal into buf (24 bytes); returns where the digits start. */
static const char *
decimal(char buf[24], size_t n, size_t *len)
{
    size_t i = 24;

    do
        buf[--i] = (char)('0' + n % 10);
    while ((n /= 10) != 0);
    *len = 24 - i;
    return buf + i;
}

static int
linelen_map(const char *file, const char *data, size_t len,
            struct mr_emitter *out)
{
    size_t at = 0, longest = 0, dlen;
    char buf[24];
    const char *d;

    (void)file;
    while (at < len) {          /* a last line without '\n' is a line too */
        const char *nl = memchr(data + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (data + at)) : len - at;

        d = decimal(buf, n, &dlen);
        mr_emit(out, d, dlen, "1", 1);
        if (n > longest)
            longest = n;
        at += n + 1;
    }
    if (len > 0) {
        d = decimal(buf, longest, &dlen);
        mr_emit(out, LONGEST, sizeof(LONGEST) - 1, d, dlen);
    }
    return 0;
}

/* Sums the counts of a length; keeps the maximum for "longest". Also the
 * combiner: both are the same over partial results. */
static int
linelen_reduce(const char *key, size_t klen, struct mr_values *values,
               struct mr_output *out)
{
    bool longest = klen == sizeof(LONGEST) - 1 &&
                   memcmp(key, LONGEST, klen) == 0;
    unsigned long long n = 0, v;
    const char *s;
    size_t slen;

    while (mr_values_next(values, &s, &slen)) {
        v = mr_parse_u64(s, slen);
        if (!longest)
            n += v;
        else if (v > n)
            n = v;
    }
    mr_write_u64(out, n);
    return 0;
}

MR_APP("linelen", linelen_map, linelen_reduce, linelen_reduce);
