/* The shuffle on real processes and sockets: a worker's shuffle server (a
 * child process) serves intermediate files from a directory, and a
 * reduce's fetch merges partitions from it piece by piece. What arrives
 * must be exactly what reading the files in place gives; a missing output,
 * a dead server and corrupt bytes must each be told apart. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imfile.h"
#include "keys.h"
#include "merge.h"
#include "run_window.h"
#include "shuffle_fetch.h"
#include "shuffle_server.h"
#include "tmpdir.h"

#define JOB    "0123456789ab"
#define NRED   3
#define NMAPS  3

static char dir[64];
static struct shuffle_server srv;

/* Writes map m's output: records of keys "k<i>" spread over NRED
 * partitions, values long enough that a partition spans many pieces. */
static void
write_output(uint32_t m, uint32_t records)
{
    struct im_writer w;
    char path[128], err[MR_ERR_LEN], key[32], val[600];

    snprintf(path, sizeof(path), "%s/mr-im-%u-1", dir, m);
    cr_assert_eq(im_writer_open(&w, path, NRED, err), 0, "%s", err);
    for (uint32_t p = 0; p < NRED; p++)
        for (uint32_t i = 0; i < records; i++) {
            /* Sorted within a partition: zero-padded keys. */
            int kl = snprintf(key, sizeof(key), "k%08u-%u", i * NMAPS + m,
                              p);
            memset(val, 'a' + (char)((i + m) % 26), sizeof(val));
            im_writer_add(&w, p, key, (size_t)kl, val,
                          (i % 7) * 90 + 1);
        }
    cr_assert_eq(im_writer_commit(&w, err), 0, "%s", err);
}

static void
setup(void)
{
    struct shuffle_server_opts o = {.listen = "tcp:127.0.0.1:0",
                                    .dir = dir, .job_id = JOB};
    char err[MR_ERR_LEN];

    cr_assert_eq(tmpdir_create(dir, sizeof(dir), "shuffle-test"), 0);
    for (uint32_t m = 0; m < NMAPS; m++)
        write_output(m, 3000);
    cr_assert_eq(shuffle_server_start(&srv, &o, err), 0, "%s", err);
    cr_assert_eq(strncmp(srv.addr, "tcp:127.0.0.1:", 14), 0, "%s", srv.addr);
}

static void
teardown(void)
{
    shuffle_server_stop(&srv);
    cr_assert_eq(tmpdir_remove(dir), 0);
}

TestSuite(shuffle, .init = setup, .fini = teardown, .timeout = 60);

/* Every group of a merge, as "key:value-bytes-sum;" text. */
static char *
drain(struct merger *m)
{
    size_t cap = 1 << 20, len = 0;
    char *out = malloc(cap);
    struct merge_group g;

    while (merger_next_group(m, &g)) {
        const char *v;
        size_t vl, sum = 0;
        while (g.base.next(&g.base, &v, &vl))
            for (size_t i = 0; i < vl; i++)
                sum += (unsigned char)v[i];
        if (len + g.klen + 32 > cap)
            out = realloc(out, cap *= 2);
        len += (size_t)sprintf(out + len, "%.*s:%zu;", (int)g.klen, g.key,
                               sum);
    }
    out[len] = '\0';
    return out;
}

/* Partition part of every map output, read in place. */
static char *
in_place(uint32_t part)
{
    struct im_reader r[NMAPS];
    struct merger m;
    char path[128], err[MR_ERR_LEN], *text;

    cr_assert_eq(merger_init(&m, NMAPS), 0);
    for (uint32_t i = 0; i < NMAPS; i++) {
        struct im_cursor cur;
        snprintf(path, sizeof(path), "%s/mr-im-%u-1", dir, i);
        cr_assert_eq(im_reader_open(&r[i], path, NRED, err), 0, "%s", err);
        cr_assert_eq(im_reader_partition(&r[i], part, &cur), 0);
        merger_add(&m, i, &cur);
    }
    text = drain(&m);
    cr_assert_eq(m.error, 0);
    for (uint32_t i = 0; i < NMAPS; i++)
        im_reader_close(&r[i]);
    merger_free(&m);
    return text;
}

Test(shuffle, a_fetched_partition_merges_as_read_in_place)
{
    for (uint32_t part = 0; part < NRED; part++) {
        struct shuffle_fetch *f = shuffle_fetch_create(JOB, part, NULL, 0);
        char err[MR_ERR_LEN] = "", *want = in_place(part), *got;
        struct merger m;

        cr_assert_eq(merger_init(&m, NMAPS), 0);
        for (uint32_t i = 0; i < NMAPS; i++)
            cr_assert_eq(shuffle_fetch_add(f, i, srv.addr, i, 1), 0);
        cr_assert_eq(shuffle_fetch_start(f, &m, err), 0, "%s", err);
        got = drain(&m);
        cr_assert_eq(m.error, 0, "%s", shuffle_fetch_error(f));
        cr_assert_str_eq(got, want);
        cr_assert_gt(shuffle_fetch_bytes(f), 0);
        free(got);
        free(want);
        merger_free(&m);
        shuffle_fetch_free(f);
    }
}
