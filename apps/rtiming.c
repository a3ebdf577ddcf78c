/* The lab's mrapps/rtiming.go: each reduce reports how many reduces ran at
 * once, to check that reduces run in parallel. */
#include "apputil.h"
#include "mrapp.h"

static int
rtiming_map(const char *filename, const char *data, size_t len,
            struct mr_emitter *out)
{
    (void)filename;
    (void)data;
    (void)len;
    for (char k = 'a'; k <= 'j'; k++)
        mr_emit(out, &k, 1, "1", 1);
    return 0;
}

static int
rtiming_reduce(const char *key, size_t klen, struct mr_values *values,
               struct mr_output *out)
{
    int n = apputil_nparallel("reduce");

    (void)key;
    (void)klen;
    (void)values;
    if (n < 0)
        return n;
    mr_write_u64(out, (unsigned long long)n);
    return 0;
}

MR_APP("rtiming", rtiming_map, rtiming_reduce, NULL);
