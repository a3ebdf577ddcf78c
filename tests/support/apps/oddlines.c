/* A test app that counts (tests/job/test-counters.sh): how many lines have
 * each length in bytes (without the '\n'; a last line without one is a
 * line too), with counters a test can check against awk: "lines", "odd
 * lines" (of an odd length), "even lines" (counted with mr_count_name, by
 * a name built at run time) from map, and "lengths" (one per reduce call:
 * the distinct lengths) and "length values" (the values reduce read) from
 * reduce. No combiner: every pair reaches reduce.
 *
 * With $ODDLINES_NAMES set to N, each map also counts N distinct names
 * ("name 0" ...): more than MR_COUNTERS_MAX fails its task. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mrapp.h"

static int
oddlines_map(const char *file, const char *data, size_t len,
             struct mr_emitter *out)
{
    size_t at = 0;
    char key[24], name[32];

    (void)file;
    snprintf(name, sizeof(name), "%s lines", "even");
    while (at < len) {
        const char *nl = memchr(data + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (data + at)) : len - at;
        int klen = snprintf(key, sizeof(key), "%zu", n);

        mr_emit(out, key, (size_t)klen, "1", 1);
        mr_count(out, "lines", 1);
        if (n % 2 == 1)
            mr_count(out, "odd lines", 1);
        else
            mr_count_name(out, name, 1);
        at += n + 1;
    }
    for (long i = 0, names = atol(getenv("ODDLINES_NAMES") ?
                                  getenv("ODDLINES_NAMES") : "0");
         i < names; i++) {
        snprintf(name, sizeof(name), "name %ld", i);
        mr_count_name(out, name, 1);
    }
    return 0;
}

static int
oddlines_reduce(const char *key, size_t klen, struct mr_values *values,
                struct mr_output *out)
{
    unsigned long long n = 0;
    const char *v;
    size_t vlen;

    (void)key;
    (void)klen;
    while (mr_values_next(values, &v, &vlen))
        n += mr_parse_u64(v, vlen);
    mr_count(out, "lengths", 1);
    mr_count(out, "length values", n);
    mr_write_u64(out, n);
    return 0;
}

MR_APP("oddlines", oddlines_map, oddlines_reduce, NULL);
