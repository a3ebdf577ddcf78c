/* The lab's mrapps/mtiming.go: records when each map started and how many
 * maps ran at once, to check that maps run in parallel. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "apputil.h"
#include "mrapp.h"

static int
mtiming_map(const char *filename, const char *data, size_t len,
            struct mr_emitter *out)
{
    char key[64], value[64];
    struct timespec t0;
    int n, klen, vlen;

    (void)filename;
    (void)data;
    (void)len;
    clock_gettime(CLOCK_REALTIME, &t0);
    if ((n = apputil_nparallel("map")) < 0)
        return n;

    klen = snprintf(key, sizeof(key), "times-%ld", (long)getpid());
    vlen = snprintf(value, sizeof(value), "%.1f",
                    (double)t0.tv_sec + (double)t0.tv_nsec / 1e9);
    mr_emit(out, key, (size_t)klen, value, (size_t)vlen);

    klen = snprintf(key, sizeof(key), "parallel-%ld", (long)getpid());
    vlen = snprintf(value, sizeof(value), "%d", n);
    mr_emit(out, key, (size_t)klen, value, (size_t)vlen);
    return 0;
}

/* Sorted, space-separated, so that the output is deterministic. */
static int
mtiming_reduce(const char *key, size_t klen, struct mr_values *values,
               struct mr_output *out)
{
    (void)key;
    (void)klen;
    return apputil_reduce_sorted_join(values, out, " ");
}

MR_APP("mtiming", mtiming_map, mtiming_reduce, NULL);
