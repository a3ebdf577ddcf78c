/* A test app whose reduce output is far larger than its map output: map
 * emits one pair, the length of its input; reduce writes that many bytes.
 * Lets a test fill a disk during reduce after the maps have fit. */
#include <string.h>

#include "mrapp.h"

static int
bigreduce_map(const char *file, const char *data, size_t len,
              struct mr_emitter *out)
{
    char digits[24];
    size_t i = sizeof(digits);

    (void)file;
    (void)data;
    do
        digits[--i] = (char)('0' + len % 10);
    while ((len /= 10) != 0);
    mr_emit(out, "bytes", 5, digits + i, sizeof(digits) - i);
    return 0;
}

static int
bigreduce_reduce(const char *key, size_t klen, struct mr_values *values,
                 struct mr_output *out)
{
    char block[4096];
    unsigned long long n = mr_sum_values(values);

    (void)key;
    (void)klen;
    memset(block, 'x', sizeof(block));
    for (; n >= sizeof(block); n -= sizeof(block))
        mr_write(out, block, sizeof(block));
    mr_write(out, block, (size_t)n);
    return 0;
}

MR_APP("bigreduce", bigreduce_map, bigreduce_reduce, NULL);
