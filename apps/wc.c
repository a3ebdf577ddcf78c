/* Word count, the lab's mrapps/wc.go: how many times each word occurs. */
#include <stddef.h>

#include "mrapp.h"
#include "words.h"

static void
emit_one(const char *word, size_t len, void *arg)
{
    mr_emit(arg, word, len, "1", 1);
}

static int
wc_map(const char *filename, const char *data, size_t len,
       struct mr_emitter *out)
{
    (void)filename;
    words_split(data, len, emit_one, out);
    return 0;
}

/* Sums counts: each map value is "1", and after the map side's built-in
 * sum (MR_COMBINER_SUM) a value is a partial sum. */
static int
wc_reduce(const char *key, size_t klen, struct mr_values *values,
          struct mr_output *out)
{
    unsigned long long n = 0;
    const char *v;
    size_t vlen;

    (void)key;
    (void)klen;
    while (mr_values_next(values, &v, &vlen))
        n += mr_parse_u64(v, vlen);
    mr_write_u64(out, n);
    return 0;
}

MR_APP_SUMMING("wc", wc_map, wc_reduce);
