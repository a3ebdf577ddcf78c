/* The lab's mrapps/early_exit.go: some reduces take a while, to catch a
 * worker or coordinator that exits before all the work is done. */
#define _GNU_SOURCE             /* memmem */
#include <string.h>

#include "apputil.h"
#include "mrapp.h"

static int
early_exit_map(const char *filename, const char *data, size_t len,
               struct mr_emitter *out)
{
    (void)data;
    (void)len;
    mr_emit(out, filename, strlen(filename), "1", 1);
    return 0;
}

static int
early_exit_reduce(const char *key, size_t klen, struct mr_values *values,
                  struct mr_output *out)
{
    unsigned long long n = 0;
    const char *v;
    size_t vlen;

    if (memmem(key, klen, "sherlock", 8) != NULL ||
        memmem(key, klen, "tom", 3) != NULL)
        apputil_sleep_ms(3000);
    while (mr_values_next(values, &v, &vlen))
        n++;
    mr_write_u64(out, n);
    return 0;
}

MR_APP("early_exit", early_exit_map, early_exit_reduce, NULL);
