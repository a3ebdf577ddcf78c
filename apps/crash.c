/* The lab's mrapps/crash.go: a third of map and reduce calls kill the
 * worker and another third stall it for up to ten seconds, to test that
 * the coordinator reassigns lost and slow tasks. */
#include <unistd.h>

#include "apputil.h"
#include "crashapp.h"
#include "mrapp.h"

static void
maybe_crash(void)
{
    unsigned long r = apputil_random_below(1000);

    if (r < 330)
        _exit(1);               /* like Go's os.Exit: no cleanup runs */
    else if (r < 660)
        apputil_sleep_ms(apputil_random_below(10 * 1000));
}

static int
crash_map(const char *filename, const char *data, size_t len,
          struct mr_emitter *out)
{
    maybe_crash();
    return crashapp_map(filename, data, len, out);
}

static int
crash_reduce(const char *key, size_t klen, struct mr_values *values,
             struct mr_output *out)
{
    maybe_crash();
    return crashapp_reduce(key, klen, values, out);
}

MR_APP("crash", crash_map, crash_reduce, NULL);
