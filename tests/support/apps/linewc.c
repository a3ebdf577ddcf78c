/* A test app in line form (MR_APP_LINES_SUMMING): a word count, a word
 * being a run of ASCII letters (what apps/wc.c counts on ASCII text), that
 * dies of SIGSEGV on every line starting with "CRASH!" (a bad record for
 * --skip-bad-records to find). */
#include <stdint.h>
#include <string.h>

#include "mrapp.h"

#define MARKER "CRASH!"

static int
is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
linewc_map(const char *file, uint64_t offset, const char *line, size_t len,
           struct mr_emitter *out)
{
    (void)file;
    (void)offset;
    if (len >= sizeof(MARKER) - 1 &&
        memcmp(line, MARKER, sizeof(MARKER) - 1) == 0) {
        volatile int *nowhere = NULL;
        *nowhere = 1;
    }
    for (size_t i = 0; i < len;) {
        size_t start;
        while (i < len && !is_letter(line[i]))
            i++;
        start = i;
        while (i < len && is_letter(line[i]))
            i++;
        if (i > start)
            mr_emit(out, line + start, i - start, "1", 1);
    }
    return 0;
}

static int
linewc_reduce(const char *key, size_t klen, struct mr_values *values,
              struct mr_output *out)
{
    (void)key;
    (void)klen;
    mr_write_u64(out, mr_sum_values(values));
    return 0;
}

MR_APP_LINES_SUMMING("linewc", linewc_map, linewc_reduce);
