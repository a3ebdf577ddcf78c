/* The job's summary for the success marker. See summary.h. */
#define _GNU_SOURCE
#include "summary.h"

#include <stdio.h>
#include <stdlib.h>

#include "json.h"
#include "names.h"
#include "protocol.h"
#include "status_json.h"

static void
member(FILE *f, const char *key, const char *value)
{
    fprintf(f, "  \"%s\": ", key);
    json_string(f, value ? value : "");
    fputs(",\n", f);
}

static void
number(FILE *f, const char *key, uint64_t n, const char *end)
{
    fprintf(f, "  \"%s\": %llu%s\n", key, (unsigned long long)n, end);
}

static void
timestamp(FILE *f, const char *key, time_t t)
{
    char buf[40];
    struct tm tm;

    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    member(f, key, buf);
}

/* "outcome" and "why", after the job's id. */
static void
outcome(FILE *f, const struct job_summary *s)
{
    member(f, "outcome", s->failed ? "failed" : "done");
    member(f, "why", s->failed ? s->why : "");
}

/* "phases", "failures_total", "failures" and "skipped_records", before
 * the counters. */
static void
phases_and_failures(FILE *f, const struct job_summary *s)
{
    fprintf(f, "  \"phases\": {\"map_seconds\": %.3f, \"reduce_seconds\": "
            "%.3f, \"commit_seconds\": %.3f},\n", s->map_seconds,
            s->reduce_seconds, s->commit_seconds);
    number(f, "failures_total", s->failures_total, ",");
    fputs("  \"failures\": [", f);
    for (size_t i = 0; i < s->nfailures; i++) {
        fputs(i ? ",\n    " : "\n    ", f);
        status_json_failure(f, s->failures[i]);
    }
    fputs(s->nfailures ? "\n  ],\n" : "],\n", f);
    fputs("  \"skipped_records\": [", f);
    for (size_t i = 0; i < s->nskipped; i++) {
        fputs(i ? ",\n    " : "\n    ", f);
        status_json_skipped(f, s->skipped[i]);
    }
    fputs(s->nskipped ? "\n  ],\n" : "],\n", f);
}

/* "counters": {"name": value, ...}, the job's (docs/counters.md). */
static void
counters(FILE *f, const struct job_summary *s)
{
    fputs("  \"counters\": {", f);
    for (size_t i = 0; i < s->ncounters; i++) {
        fputs(i ? ",\n    " : "\n    ", f);
        json_string(f, s->counters[i]->name);
        fprintf(f, ": %llu", (unsigned long long)s->counters[i]->value);
    }
    fputs(s->ncounters ? "\n  },\n" : "},\n", f);
}

char *
summary_json(const struct job_summary *s, size_t *len)
{
    char *doc = NULL, digest[2 * MR_APP_DIGEST_LEN + 1];
    FILE *f = open_memstream(&doc, len);

    if (f == NULL)
        return NULL;
    for (int i = 0; i < MR_APP_DIGEST_LEN; i++)
        snprintf(digest + 2 * i, 3, "%02x", s->app_digest[i]);
    fputs("{\n  ", f);
    fprintf(f, MR_MARKER_JOB_FMT ",\n", s->job_id);
    outcome(f, s);
    member(f, "app", s->app);
    member(f, "app_module", s->app_path);
    member(f, "app_blake2b", digest);
    member(f, "directory", s->dir);
    fputs("  \"inputs\": [", f);
    for (uint32_t i = 0; i < s->ninputs; i++) {
        fputs(i ? ",\n    " : "\n    ", f);
        json_string(f, s->inputs[i]);
    }
    fputs(s->ninputs ? "\n  ],\n" : "],\n", f);
    number(f, "map_tasks", s->nmap, ",");
    number(f, "reduce_tasks", s->nreduce, ",");
    member(f, "outputs", s->failed ? "none: the job failed"
                                   : "mr-out-0 .. mr-out-<reduce_tasks - 1>");
    number(f, "input_bytes", s->input_bytes, ",");
    number(f, "map_output_records", s->map_records, ",");
    number(f, "intermediate_bytes", s->intermediate_bytes, ",");
    number(f, "output_records", s->output_records, ",");
    number(f, "output_bytes", s->output_bytes, ",");
    number(f, "failed_attempts", s->failed_attempts, ",");
    number(f, "lost_attempts", s->lost_attempts, ",");
    number(f, "backup_attempts", s->backup_attempts, ",");
    number(f, "backups_won", s->backups_won, ",");
    number(f, "workers", s->workers, ",");
    phases_and_failures(f, s);
    counters(f, s);
    timestamp(f, "started", s->started);
    timestamp(f, "finished", s->finished);
    fprintf(f, "  \"seconds\": %.3f\n}\n", s->seconds);
    if (fclose(f) != 0) {
        free(doc);
        return NULL;
    }
    return doc;
}
