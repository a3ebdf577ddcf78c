/* A test app whose reduce phase lasts as long as a test needs: a word
 * count (words are runs of bytes other than ASCII blanks) without a
 * combiner, so every occurrence is shuffled, whose reduce sleeps
 * $MR_TEST_REDUCE_DELAY_US microseconds per key. Unset (mrsequential's
 * reference), it sleeps not at all and writes the same output. Lets a
 * test act while reduces are surely running: kill a worker, say. */
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "mrapp.h"

static bool
is_blank(char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' ||
           c == '\v';
}

static int
slowreduce_map(const char *file, const char *data, size_t len,
               struct mr_emitter *out)
{
    const char *word = NULL;    /* where the word being read began */
    const char *end = data + len;

    (void)file;
    for (const char *p = data; p < end; p++) {
        if (!is_blank(*p) && word == NULL)
            word = p;
        else if (is_blank(*p) && word != NULL) {
            mr_emit(out, word, (size_t)(p - word), "1", 1);
            word = NULL;
        }
    }
    if (word != NULL)
        mr_emit(out, word, (size_t)(end - word), "1", 1);
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

/* Sleeps the delay, if any. */
static void
pause_per_key(void)
{
    long us = delay_us();
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};

    if (us > 0)
        nanosleep(&ts, NULL);
}

/* Every value is a "1": no combiner ever ran. */
static unsigned long long
count_values(struct mr_values *values)
{
    unsigned long long n = 0;
    const char *v;
    size_t vlen;

    while (mr_values_next(values, &v, &vlen))
        n++;
    return n;
}

static int
slowreduce_reduce(const char *key, size_t klen, struct mr_values *values,
                  struct mr_output *out)
{
    (void)key;
    (void)klen;
    pause_per_key();
    mr_write_u64(out, count_values(values));
    return 0;
}

MR_APP("slowreduce", slowreduce_map, slowreduce_reduce, NULL);
