/* The shuffle alone, for make bench-net: map outputs served by a worker's
 * shuffle server and fetched by a reduce's fetch, every partition of every
 * output merged and every value visited, with no app work, to compare its
 * rate with a raw TCP copy of the same bytes.
 *
 *   shuffle_rate make DIR MAPS REDUCES MB   writes MAPS outputs, MB in all
 *   shuffle_rate serve DIR ADDR             serves them at ADDR (port 0:
 *                                           any); prints where, then runs
 *                                           until its stdin closes
 *   shuffle_rate fetch ADDR MAPS REDUCES    fetches every partition; prints
 *                                           "BYTES SECONDS"
 * A benchmark's tool: it checks nothing but that the bytes arrived. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imfile.h"
#include "merge.h"
#include "shuffle_fetch.h"
#include "shuffle_server.h"

#define JOB   "5b0ff1e5ba5e"
#define TOKEN "shuffle_rate's own token, not a secret"

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Keys "k<8 digits>" in order, values of 10 to 100 bytes, spread over the
 * partitions in turn. */
static int
make(const char *dir, uint32_t maps, uint32_t reduces, uint64_t mb)
{
    uint64_t per_map = mb * 1000000 / maps;
    char path[4096 + 32], err[MR_ERR_LEN], key[16], val[100];

    memset(val, 'v', sizeof(val));
    for (uint32_t m = 0; m < maps; m++) {
        struct im_writer w;
        uint64_t bytes = 0, i = 0;
        snprintf(path, sizeof(path), "%s/mr-im-%u-1", dir, m);
        if (im_writer_open(&w, path, reduces, err) < 0) {
            fprintf(stderr, "shuffle_rate: %s\n", err);
            return 1;
        }
        for (uint32_t p = 0; p < reduces; p++)
            for (bytes = bytes; bytes < per_map * (p + 1) / reduces; i++) {
                size_t vl = 10 + (i * 37) % 91;
                snprintf(key, sizeof(key), "k%08llu", (unsigned long long)i);
                im_writer_add(&w, p, key, 9, val, vl);
                bytes += 11 + vl;
            }
        if (im_writer_commit(&w, err) < 0) {
            fprintf(stderr, "shuffle_rate: %s\n", err);
            return 1;
        }
    }
    return 0;
}

static int
serve(const char *dir, const char *addr)
{
    struct shuffle_server_opts o = {.listen = addr, .dir = dir,
                                    .job_id = JOB,
                                    .token = (const uint8_t *)TOKEN,
                                    .token_len = sizeof(TOKEN) - 1};
    struct shuffle_server s;
    char err[MR_ERR_LEN], c;

    if (shuffle_server_start(&s, &o, err) < 0) {
        fprintf(stderr, "shuffle_rate: %s\n", err);
        return 1;
    }
    printf("%s\n", s.addr);
    fflush(stdout);
    while (read(STDIN_FILENO, &c, 1) > 0)
        ;
    shuffle_server_stop(&s);
    return 0;
}

static int
fetch(const char *addr, uint32_t maps, uint32_t reduces)
{
    uint64_t bytes = 0;
    double t0 = now();

    for (uint32_t p = 0; p < reduces; p++) {
        struct shuffle_fetch *f = shuffle_fetch_create(
            JOB, p, (const uint8_t *)TOKEN, sizeof(TOKEN) - 1);
        char err[MR_ERR_LEN] = "";
        struct merge_group g;
        struct merger m;
        uint64_t sum = 0;

        if (f == NULL || merger_init(&m, maps) < 0)
            return 1;
        for (uint32_t i = 0; i < maps; i++)
            shuffle_fetch_add(f, i, addr, i, 1, 0);
        if (shuffle_fetch_start(f, &m, err) < 0) {
            fprintf(stderr, "shuffle_rate: %s\n", err);
            return 1;
        }
        while (merger_next_group(&m, &g)) {
            const char *v;
            size_t vl;
            while (g.base.next(&g.base, &v, &vl))
                sum += vl;
            merger_end_group(&g);
        }
        if (m.error != 0 || sum == 0) {
            fprintf(stderr, "shuffle_rate: %s\n", shuffle_fetch_error(f));
            return 1;
        }
        bytes += shuffle_fetch_bytes(f);
        merger_free(&m);
        shuffle_fetch_free(f);
    }
    printf("%llu %.4f\n", (unsigned long long)bytes, now() - t0);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "make") == 0)
        return make(argv[2], (uint32_t)atoi(argv[3]),
                    (uint32_t)atoi(argv[4]), (uint64_t)atoll(argv[5]));
    if (argc == 4 && strcmp(argv[1], "serve") == 0)
        return serve(argv[2], argv[3]);
    if (argc == 5 && strcmp(argv[1], "fetch") == 0)
        return fetch(argv[2], (uint32_t)atoi(argv[3]),
                     (uint32_t)atoi(argv[4]));
    fprintf(stderr, "usage: shuffle_rate make DIR MAPS REDUCES MB | serve "
            "DIR ADDR | fetch ADDR MAPS REDUCES\n");
    return 2;
}
