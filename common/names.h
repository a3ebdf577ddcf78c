/* Names of the files a job creates. In its directory: the outputs
 * mr-out-<r>, the success marker or the failure note, the lock, and the
 * job's private directory; every other file (intermediates, spills, staged outputs,
 * temporaries) lives in the private directory. No name but the outputs
 * matches "mr-out*", even in the private directory, where the lab's
 * harness also looks (find -name 'mr-out*'). */
#ifndef MR_NAMES_H
#define MR_NAMES_H

#include <stdint.h>
#include <stdio.h>

/* Hex digits of a job id ("3fa9c2e17b0d"). */
#define MR_JOB_ID_LEN 12

/* In the job directory: the success marker, written last at commit with
 * the job's summary; the lock, held by the running job, naming it; and the
 * prefix of the private directory, .mr-<job id>. */
#define MR_MARKER_NAME  "mr-success"
/* The failure note: a failed job's summary, with why (jobdir.h). */
#define MR_FAILED_NAME  "mr-failed"
/* How the marker (JSON) names its job: a worker that outlived its
 * coordinator looks for this to learn that the job finished. */
#define MR_MARKER_JOB_FMT "\"job\": \"%s\""
#define MR_LOCK_NAME    ".mr-lock"
#define MR_PRIVATE_PREFIX ".mr-"

/* Output of map task `map`, attempt `attempt`: mr-im-<map>-<attempt>. */
static inline void
mr_im_name(char *buf, size_t len, uint32_t map, uint32_t attempt)
{
    snprintf(buf, len, "mr-im-%u-%u", map, attempt);
}

/* Output of reduce task `part`, attempt `attempt`, until the job commits:
 * mr-staged-<part>-<attempt>. */
static inline void
mr_staged_name(char *buf, size_t len, uint32_t part, uint32_t attempt)
{
    snprintf(buf, len, "mr-staged-%u-%u", part, attempt);
}

/* Final output of reduce task `part`: mr-out-<part>. */
static inline void
mr_out_name(char *buf, size_t len, uint32_t part)
{
    snprintf(buf, len, "mr-out-%u", part);
}

/* The private directory of job `id` inside dir. */
static inline void
mr_private_path(char *buf, size_t len, const char *dir, const char *id)
{
    snprintf(buf, len, "%s/" MR_PRIVATE_PREFIX "%s", dir, id);
}

#endif
