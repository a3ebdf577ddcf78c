/* A test app that misbehaves on purpose, chosen by the input's name: a map
 * over a file whose name holds "segv" says so on stderr ("faulty: about to
 * crash on FILE") and dies of SIGSEGV, "vanish" makes its worker _exit(3)
 * without a word, "fail" says so ("faulty: giving up on FILE") and returns
 * an error; any other input is counted, one line per file ("NAME 1").
 * "flood" comes first and goes with the others: the map first writes
 * FLOOD_BYTES to stderr (more than a pipe holds), in lines saying so, so
 * that "flood-segv" floods stderr and then crashes.
 * With FAULTY_MAP_MS set in a worker's environment, that worker's maps
 * first sleep so many ms (a straggler); with FAULTY_MAP_GATE=FILE, they
 * first wait until FILE exists (a test holds them running while it looks
 * at the job). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mrapp.h"

/* What a "flood" writes to stderr: more than a pipe's 64 KiB, less than
 * two pipes' (a worker's own capture pipe and a full stderr pipe beyond
 * it), so that the app still gets to its next step when nobody reads the
 * worker's stderr. FAULTY_FLOOD_BYTES in the environment says another
 * size (a terminal holds less than a pipe). */
#define FLOOD_BYTES (96 * 1024)

static void
maybe_sleep(void)
{
    const char *ms = getenv("FAULTY_MAP_MS");
    struct timespec ts;
    long n;

    if (ms == NULL || (n = atol(ms)) <= 0)
        return;
    ts.tv_sec = n / 1000;
    ts.tv_nsec = (n % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void
maybe_wait_at_gate(void)
{
    const char *gate = getenv("FAULTY_MAP_GATE");
    struct timespec ts = {0, 10 * 1000000L};

    while (gate != NULL && access(gate, F_OK) != 0)
        nanosleep(&ts, NULL);
}

static void
flood_stderr(const char *file)
{
    char line[128];
    const char *want = getenv("FAULTY_FLOOD_BYTES");
    size_t done = 0, bytes = want ? (size_t)atol(want) : FLOOD_BYTES;
    int n = snprintf(line, sizeof(line), "faulty: flooding stderr on %s\n",
                     file);

    if (n <= 0 || (size_t)n >= sizeof(line))
        return;
    while (done < bytes) {
        if (fwrite(line, 1, (size_t)n, stderr) != (size_t)n)
            return;
        done += (size_t)n;
    }
}

static int
faulty_map(const char *file, const char *data, size_t len,
           struct mr_emitter *out)
{
    (void)data;
    (void)len;
    maybe_sleep();
    maybe_wait_at_gate();
    if (strstr(file, "flood") != NULL)
        flood_stderr(file);
    if (strstr(file, "segv") != NULL) {
        volatile int *nowhere = NULL;
        fprintf(stderr, "faulty: about to crash on %s\n", file);
        *nowhere = 1;
    }
    if (strstr(file, "vanish") != NULL)
        _exit(3);
    if (strstr(file, "fail") != NULL) {
        fprintf(stderr, "faulty: giving up on %s\n", file);
        return -1;
    }
    mr_emit(out, file, strlen(file), "1", 1);
    return 0;
}

static int
faulty_reduce(const char *key, size_t klen, struct mr_values *values,
              struct mr_output *out)
{
    (void)key;
    (void)klen;
    mr_write_u64(out, mr_sum_values(values));
    return 0;
}

MR_APP("faulty", faulty_map, faulty_reduce, NULL);
