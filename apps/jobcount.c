/* The lab's mrapps/jobcount.go: each map leaves a file behind, and reduce
 * counts them, to check that each map task ran exactly once. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "apputil.h"
#include "mrapp.h"

#define JOBCOUNT_PREFIX "mr-worker-jobcount"

/* Map calls made by this process; the module stays loaded between tasks. */
static int count;

static int
jobcount_map(const char *filename, const char *data, size_t len,
             struct mr_emitter *out)
{
    char name[96];
    int rc;

    (void)filename;
    (void)data;
    (void)len;
    snprintf(name, sizeof(name), JOBCOUNT_PREFIX "-%ld-%d", (long)getpid(),
             count++);
    if ((rc = apputil_write_x(name)) != 0)
        return rc;
    apputil_sleep_ms(2000 + apputil_random_below(3000));
    mr_emit(out, "a", 1, "x", 1);
    return 0;
}

static int
jobcount_reduce(const char *key, size_t klen, struct mr_values *values,
                struct mr_output *out)
{
    unsigned long long n = 0;
    struct dirent *e;
    DIR *dir;

    (void)key;
    (void)klen;
    (void)values;
    if ((dir = opendir(".")) == NULL)
        return -errno;
    while ((e = readdir(dir)) != NULL) {
        if (strncmp(e->d_name, JOBCOUNT_PREFIX,
                    sizeof(JOBCOUNT_PREFIX) - 1) == 0)
            n++;
    }
    closedir(dir);
    mr_write_u64(out, n);
    return 0;
}

MR_APP("jobcount", jobcount_map, jobcount_reduce, NULL);
