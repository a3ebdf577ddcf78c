/* A test app with a wrong combiner, for mrsequential --check-combiner: the
 * mean length of the words that start with each letter. map emits (the
 * word's first letter, lowercased; the word's length) for each word, a
 * maximal run of ASCII letters; reduce writes the mean of the lengths,
 * rounded down. The combiner writes the mean too, which is wrong: a mean
 * of means is not the mean unless every group has the same size. */
#include "mrapp.h"

static int
is_letter(unsigned char c)
{
    return (unsigned char)((c | 0x20) - 'a') < 26;
}

static int
meancombine_map(const char *file, const char *data, size_t len,
                struct mr_emitter *out)
{
    size_t i = 0;

    (void)file;
    while (i < len) {
        size_t start, n;
        char key, digits[24];
        size_t d = sizeof(digits);

        while (i < len && !is_letter((unsigned char)data[i]))
            i++;
        if (i == len)
            break;
        start = i;
        while (i < len && is_letter((unsigned char)data[i]))
            i++;
        key = (char)(data[start] | 0x20);
        n = i - start;
        do
            digits[--d] = (char)('0' + n % 10);
        while ((n /= 10) != 0);
        mr_emit(out, &key, 1, digits + d, sizeof(digits) - d);
    }
    return 0;
}

/* The mean of the values, rounded down; also the (wrong) combiner. */
static int
meancombine_reduce(const char *key, size_t klen, struct mr_values *values,
                   struct mr_output *out)
{
    unsigned long long sum = 0, count = 0;
    const char *v;
    size_t vlen;

    (void)key;
    (void)klen;
    while (mr_values_next(values, &v, &vlen)) {
        sum += mr_parse_u64(v, vlen);
        count++;
    }
    mr_write_u64(out, count ? sum / count : 0);
    return 0;
}

MR_APP("meancombine", meancombine_map, meancombine_reduce,
       meancombine_reduce);
