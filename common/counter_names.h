/* The names of the counters the framework keeps itself, next to the ones
 * an app adds with mr_count: the worker's for each task, the
 * coordinator's for the job's attempts. docs/counters.md says what each
 * one counts; an app may not use these names. */
#ifndef MR_COUNTER_NAMES_H
#define MR_COUNTER_NAMES_H

#include <stdbool.h>
#include <string.h>

/* A map task's (worker/worker_task.c). */
#define MR_C_MAP_INPUT_BYTES        "map input bytes"
#define MR_C_MAP_INPUT_RECORDS      "map input records"
#define MR_C_MAP_SKIPPED_RECORDS    "map skipped records"
#define MR_C_MAP_OUTPUT_RECORDS     "map output records"
#define MR_C_MAP_OUTPUT_BYTES       "map output bytes"
#define MR_C_COMBINE_INPUT_RECORDS  "combine input records"
#define MR_C_COMBINE_OUTPUT_RECORDS "combine output records"
#define MR_C_SPILLED_RECORDS        "spilled records"
#define MR_C_SPILLED_RUNS           "spilled runs"
#define MR_C_INTERMEDIATE_RECORDS   "intermediate records"
#define MR_C_INTERMEDIATE_BYTES     "intermediate bytes"
/* A reduce task's. */
#define MR_C_SHUFFLE_BYTES          "shuffle bytes"
#define MR_C_SHUFFLE_FETCHED_BYTES  "shuffle fetched bytes"
#define MR_C_REDUCE_INPUT_GROUPS    "reduce input groups"
#define MR_C_REDUCE_INPUT_RECORDS   "reduce input records"
#define MR_C_REDUCE_OUTPUT_RECORDS  "reduce output records"
#define MR_C_REDUCE_OUTPUT_BYTES    "reduce output bytes"
/* The job's attempts, kept by the coordinator. */
#define MR_C_FAILED_ATTEMPTS        "failed attempts"
#define MR_C_KILLED_ATTEMPTS        "killed attempts"
#define MR_C_REASSIGNED_ATTEMPTS    "reassigned attempts"
#define MR_C_BACKUP_ATTEMPTS        "backup attempts"
/* Listed only once it is not 0: app counters of names beyond the job's
 * limit (coordinator/job_counters.h), left out of the totals. */
#define MR_C_COUNTERS_LEFT_OUT      "counters left out"

/* Whether name is one of the above. */
static inline bool
mr_counter_is_builtin(const char *name)
{
    static const char *const names[] = {
        MR_C_MAP_INPUT_BYTES, MR_C_MAP_INPUT_RECORDS,
        MR_C_MAP_SKIPPED_RECORDS, MR_C_MAP_OUTPUT_RECORDS,
        MR_C_MAP_OUTPUT_BYTES,
        MR_C_COMBINE_INPUT_RECORDS, MR_C_COMBINE_OUTPUT_RECORDS,
        MR_C_SPILLED_RECORDS, MR_C_SPILLED_RUNS, MR_C_INTERMEDIATE_RECORDS,
        MR_C_INTERMEDIATE_BYTES, MR_C_SHUFFLE_BYTES,
        MR_C_SHUFFLE_FETCHED_BYTES, MR_C_REDUCE_INPUT_GROUPS,
        MR_C_REDUCE_INPUT_RECORDS, MR_C_REDUCE_OUTPUT_RECORDS,
        MR_C_REDUCE_OUTPUT_BYTES, MR_C_FAILED_ATTEMPTS,
        MR_C_KILLED_ATTEMPTS, MR_C_REASSIGNED_ATTEMPTS,
        MR_C_BACKUP_ATTEMPTS, MR_C_COUNTERS_LEFT_OUT,
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

#endif
