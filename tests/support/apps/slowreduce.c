/* A test app whose reduce phase lasts as long as a test needs: a word
 * count (words are runs of bytes other than ASCII blanks) without a
 * combiner, so every occurrence is shuffled, whose reduce sleeps
 * $MR_TEST_REDUCE_DELAY_US microseconds per key. Unset (mrsequential's
 * reference), it sleeps not at all and writes the same output. Lets a
 * test act while reduces are surely running: kill a worker, say. */
#include <stdlib.h>
#include <time.h>

#include "mrapp.h"

static int
is_blank(char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' ||
           c == '\v';
}

static int
slowreduce_map(const char *file, const char *data, size_t len,
               struct mr_emitter *out)
{
    size_t at = 0;

    (void)file;
    while (at < len) {
        size_t start;
        while (at < len && is_blank(data[at]))
            at++;
        start = at;
        while (at < len && !is_blank(data[at]))
            at++;
        if (at > start)
            mr_emit(out, data + start, at - start, "1", 1);
    }
    return 0;
}

/* The delay per key, read once: 0 when unset or not a number. */
static long
delay_us(void)
{
    static long us = -1;

    if (us < 0) {
        const char *env = getenv("MR_TEST_REDUCE_DELAY_US");
        us = env ? strtol(env, NULL, 10) : 0;
        if (us < 0 || us > 1000000)
            us = 0;
    }
    return us;
}

static int
slowreduce_reduce(const char *key, size_t klen, struct mr_values *values,
                  struct mr_output *out)
{
    unsigned long long n = 0;
    const char *v;
    size_t vlen;
    long us = delay_us();

    (void)key;
    (void)klen;
    while (mr_values_next(values, &v, &vlen))
        n += mr_parse_u64(v, vlen);
    if (us > 0) {
        struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
        nanosleep(&ts, NULL);
    }
    mr_write_u64(out, n);
    return 0;
}

MR_APP("slowreduce", slowreduce_map, slowreduce_reduce, NULL);
