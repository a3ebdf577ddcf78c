/* The job's summary as JSON: the success marker's text, written last at
 * commit (mr-success), and the failure note a failed job leaves instead
 * (mr-failed, jobdir.h). Its "job" member is the one workers look for in
 * the marker (MR_MARKER_JOB_FMT). */
#ifndef COORD_SUMMARY_H
#define COORD_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mr.pb-c.h"

struct job_summary {
    const char *job_id;
    const char *app;            /* name */
    const char *app_path;       /* as the first worker gave it */
    const uint8_t *app_digest;  /* MR_APP_DIGEST_LEN bytes */
    const char *dir;            /* the job directory */
    const char *const *inputs;  /* as named to the coordinator */
    uint32_t ninputs;
    uint32_t nmap, nreduce;
    uint64_t input_bytes;       /* read by the maps that counted */
    uint64_t map_records;       /* pairs their maps emitted */
    uint64_t intermediate_bytes;
    uint64_t output_records, output_bytes;
    uint64_t failed_attempts, lost_attempts;
    uint64_t backup_attempts;   /* of stragglers, launched */
    uint64_t backups_won;       /* tasks a backup completed first */
    uint64_t workers;           /* that joined */
    Mr__Counter *const *counters;   /* the job's, sorted by name, as the
                                   status holds them (borrowed) */
    size_t ncounters;
    time_t started, finished;
    double seconds;
    /* How the job ended: "outcome" ("done" or "failed"), "why" (the final
     * error, "" when done), "phases" (seconds of each, as
     * coord__phase_clock() measures them), "failures" (the newest records,
     * oldest first, as status_json_failure() writes them) and
     * "failures_total". */
    bool failed;
    const char *why;
    double map_seconds, reduce_seconds, commit_seconds;
    Mr__Failure *const *failures;   /* borrowed */
    size_t nfailures;
    uint64_t failures_total;
    /* "skipped_records": the records --skip-bad-records left out, as
     * status_json_skipped() writes them (borrowed). */
    Mr__BadRecord *const *skipped;
    size_t nskipped;
};

/* Returns the document (malloc()ed: free it) and its length in *len, or
 * NULL when out of memory. */
char *summary_json(const struct job_summary *s, size_t *len);

#endif
