/* The map and reduce shared by the crash and nocrash apps (the lab's
 * mrapps/crash.go and nocrash.go): output that does not depend on which
 * worker, or how many attempts, produced it. They count their calls
 * ("map calls", "reduce calls"): the job's totals must not depend on the
 * attempts either. */
#ifndef CRASHAPP_H
#define CRASHAPP_H

#include <stdio.h>
#include <string.h>

#include "apputil.h"
#include "mrapp.h"

static inline int
crashapp_map(const char *filename, const char *data, size_t len,
             struct mr_emitter *out)
{
    size_t flen = strlen(filename);
    char num[24];
    int n;

    (void)data;
    mr_emit(out, "a", 1, filename, flen);
    n = snprintf(num, sizeof(num), "%zu", flen);
    mr_emit(out, "b", 1, num, (size_t)n);
    n = snprintf(num, sizeof(num), "%zu", len);
    mr_emit(out, "c", 1, num, (size_t)n);
    mr_emit(out, "d", 1, "xyzzy", 5);
    mr_count(out, "map calls", 1);
    return 0;
}

/* The values sorted, so that the output is deterministic, and joined by
 * spaces. */
static inline int
crashapp_reduce(const char *key, size_t klen, struct mr_values *values,
                struct mr_output *out)
{
    (void)key;
    (void)klen;
    mr_count(out, "reduce calls", 1);
    return apputil_reduce_sorted_join(values, out, " ");
}

#endif
