/* Word count, the lab's mrapps/wc.go: how many times each word occurs. */
#include <stddef.h>

#include "mrapp.h"
#include "words.h"

static int
wc_map(const char *filename, const char *data, size_t len,
       struct mr_emitter *out)
{
    (void)filename;
    words_emit(data, len, out, "1", 1);      /* mr_emit_batch, 64 at once */
    return 0;
}

/* Sums counts: each map value is "1", and after the map side's built-in
 * sum (MR_COMBINER_SUM) a value is a partial sum. */
static int
wc_reduce(const char *key, size_t klen, struct mr_values *values,
          struct mr_output *out)
{
    (void)key;
    (void)klen;
    mr_write_u64(out, mr_sum_values(values));
    return 0;
}

MR_APP_SUMMING("wc", wc_map, wc_reduce);
