/* The stderr capture (worker/stderr_capture.h) with a real stderr that
 * blocks (a pipe nobody reads until the test does), or that takes bytes
 * slowly while writers keep the pipe full: a tail, a mark and a dying
 * handler still return at once with the last lines, and the user still
 * gets the bytes, in order. Each test runs in its own process (Criterion
 * forks), so fd 2 is the test's to change. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "stderr_capture.h"
#include "stderr_ring.h"

/* More than a pipe holds, less than the capture pipe and a full real
 * stderr pipe beyond it hold: a writer gets through it. */
#define FLOOD_BYTES (96 * 1024)

static int real_rd = -1;               /* the real stderr's reading end */
static char flood[FLOOD_BYTES + 128];  /* what the test wrote to fd 2 */
static size_t flood_len;
static char tail[STDERR_TAIL_BYTES + 1];

/* Makes fd 2 a pipe that nobody reads (the test reads real_rd when it
 * chooses), then captures it. */
static void
capture_into_a_pipe(void)
{
    char err[MR_ERR_LEN];
    int p[2];

    cr_assert_eq(pipe(p), 0);
    cr_assert_eq(dup2(p[1], STDERR_FILENO), STDERR_FILENO);
    close(p[1]);
    real_rd = p[0];
    cr_assert_eq(stderr_capture_start(err), 0, "%s", err);
}

static void
write_all(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(STDERR_FILENO, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        cr_assert_gt(k, 0, "write to fd 2: %s", strerror(errno));
        p += k;
        n -= (size_t)k;
    }
}

/* Writes FLOOD_BYTES of numbered lines, then last, to fd 2, keeping a
 * copy in flood. */
static void
write_flood_then(const char *last)
{
    int i = 0;

    flood_len = 0;
    while (flood_len < FLOOD_BYTES)
        flood_len += (size_t)snprintf(flood + flood_len, 64,
                                      "flood line %06d\n", i++);
    flood_len += (size_t)snprintf(flood + flood_len, 64, "%s", last);
    write_all(flood, flood_len);
}

/* Reads real_rd until want bytes came (5 s at most for each read) into
 * got. Returns how many came. */
static size_t
read_real(char *got, size_t want)
{
    struct pollfd p = {.fd = real_rd, .events = POLLIN};
    size_t n = 0;

    while (n < want && poll(&p, 1, 5000) == 1) {
        ssize_t k = read(real_rd, got + n, want - n);
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    return n;
}

/* Reads what real_rd holds now, cap bytes at most, into got. Returns how
 * many bytes it held. */
static size_t
read_now(char *got, size_t cap)
{
    size_t n = 0;
    ssize_t k;

    fcntl(real_rd, F_SETFL, O_NONBLOCK);
    while (n < cap && (k = read(real_rd, got + n, cap - n)) > 0)
        n += (size_t)k;
    return n;
}

/* Whether s ends with end. */
static bool
ends_with(const char *s, const char *end)
{
    size_t n = strlen(s), k = strlen(end);

    return n >= k && strcmp(s + n - k, end) == 0;
}

/* Criterion ends a test that runs longer with a failure: a call that
 * waits for the stuck stderr never returns. */
TestSuite(stderr_capture, .timeout = 20);

Test(stderr_capture, a_tail_does_not_wait_for_a_stuck_stderr)
{
    static char got[sizeof(flood)];

    capture_into_a_pipe();
    stderr_capture_mark();
    write_flood_then("the task's last line\n");
    stderr_capture_tail(tail, sizeof(tail));
    cr_assert(ends_with(tail, "\nthe task's last line"), "tail: %s", tail);
    /* The user, reading at last, gets it all, in order. */
    cr_assert_eq(read_real(got, flood_len), flood_len);
    cr_assert_eq(memcmp(got, flood, flood_len), 0);
    stderr_capture_mark();
    cr_assert_eq(stderr_capture_tail(tail, sizeof(tail)), 0);
    stderr_capture_stop();
}

Test(stderr_capture, dying_does_not_wait_for_a_stuck_stderr)
{
    static char got[sizeof(flood)];
    size_t n;

    capture_into_a_pipe();
    stderr_capture_mark();
    write_flood_then("faulty: about to crash\n");
    n = stderr_capture_dying(tail, sizeof(tail));
    cr_assert_eq(n, strlen(tail));
    cr_assert(ends_with(tail, "\nfaulty: about to crash"), "tail: %s", tail);
    stderr_capture_dying_forward();
    /* What reached the real stderr is the flood's beginning, in order;
     * reading it lets the forwarder finish its write and end. */
    n = read_now(got, flood_len);
    cr_assert_gt(n, 0);
    cr_assert_eq(memcmp(got, flood, n), 0);
}

Test(stderr_capture, dying_forwards_what_stderr_takes)
{
    static const char line[] = "faulty: about to crash\n";
    char got[64] = "";

    capture_into_a_pipe();
    stderr_capture_mark();
    write_all(line, strlen(line));
    stderr_capture_dying(tail, sizeof(tail));
    cr_assert_str_eq(tail, "faulty: about to crash");
    stderr_capture_dying_forward();
    /* Once: by the forwarder before, or by the dying handler. */
    cr_assert_eq(read_real(got, strlen(line)), strlen(line));
    cr_assert_eq(read_now(got + strlen(line), sizeof(got) - 1 - strlen(line)),
                 0);
    cr_assert_str_eq(got, line);
}

static atomic_bool writers_stop, reader_stop;

/* Writes to fd 2 as fast as it can until told to stop. */
static void *
endless_writer(void *arg)
{
    char block[4096];

    (void)arg;
    memset(block, 'w', sizeof(block));
    block[sizeof(block) - 1] = '\n';
    while (!atomic_load(&writers_stop))
        if (write(STDERR_FILENO, block, sizeof(block)) < 0 && errno != EINTR)
            break;
    return NULL;
}

/* The real stderr's slow reader: 4 KiB every 5 ms, until told to stop
 * and nothing is left. */
static void *
slow_reader(void *arg)
{
    struct pollfd p = {.fd = real_rd, .events = POLLIN};
    struct timespec pause = {0, 5 * 1000000L};
    char block[4096];

    (void)arg;
    for (;;) {
        int ready = poll(&p, 1, 10);
        if (ready == 0 && atomic_load(&reader_stop))
            break;
        if (ready == 1 && read(real_rd, block, sizeof(block)) <= 0)
            break;
        nanosleep(&pause, NULL);
    }
    return NULL;
}

/* Waits until the real stderr's pipe holds n bytes (5 s at most). */
static bool
real_pipe_holds(int n)
{
    struct timespec ms = {0, 1000000L};
    int held = 0;

    for (int waited = 0; waited < 5000; waited++) {
        if (ioctl(real_rd, FIONREAD, &held) == 0 && held >= n)
            return true;
        nanosleep(&ms, NULL);
    }
    return false;
}

/* Writers that refill the pipe faster than a slow stderr, full from the
 * start, takes it: the pipe is never empty, yet a mark and a tail take
 * what it held and return. */
Test(stderr_capture, endless_writers_and_a_slow_stderr_do_not_hold_up_a_tail)
{
    static char full[64 * 1024];
    pthread_t writers[2], reader;

    capture_into_a_pipe();
    memset(full, 'f', sizeof(full));
    write_all(full, sizeof(full));
    cr_assert(real_pipe_holds(sizeof(full)), "the real stderr never filled");
    cr_assert_eq(pthread_create(&reader, NULL, slow_reader, NULL), 0);
    for (int i = 0; i < 2; i++)
        cr_assert_eq(pthread_create(&writers[i], NULL, endless_writer, NULL),
                     0);
    for (int i = 0; i < 100; i++) {
        stderr_capture_mark();
        write_all("mine\n", 5);
        cr_assert_gt(stderr_capture_tail(tail, sizeof(tail)), 0);
    }
    atomic_store(&writers_stop, true);
    for (int i = 0; i < 2; i++)
        pthread_join(writers[i], NULL);
    stderr_capture_stop();
    atomic_store(&reader_stop, true);
    pthread_join(reader, NULL);
}
