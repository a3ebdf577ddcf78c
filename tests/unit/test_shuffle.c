/* The shuffle on real processes and sockets: a worker's shuffle server (a
 * child process) serves intermediate files from a directory, and a
 * reduce's fetch merges partitions from it piece by piece. What arrives
 * must be exactly what reading the files in place gives; a missing output,
 * a dead server and corrupt bytes must each be told apart. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imcache.h"
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
static struct im_cache *shed_cache;     /* fetch_text's to shed, or NULL */

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

/* Fetches partition part of maps[0..n) (attempt 1) from addr into a
 * merge, in pieces of piece bytes (0: the fetch's own choice); returns
 * the merged text, or NULL with *rc set and err filled. */
static char *
fetch_text(const char *addr, const uint32_t *maps, uint32_t n,
           uint32_t part, uint32_t piece, const char *job,
           const char *token, int *rc, char err[MR_ERR_LEN])
{
    struct shuffle_fetch *f = shuffle_fetch_create(
        job, part, (const uint8_t *)token, token ? strlen(token) : 0);
    struct merger m;
    char *text = NULL;

    cr_assert_not_null(f);
    cr_assert_eq(merger_init(&m, n), 0);
    if (piece)
        shuffle_fetch_set_piece(f, piece);
    shuffle_fetch_shed_from(f, shed_cache);
    for (uint32_t i = 0; i < n; i++)
        cr_assert_eq(shuffle_fetch_add(f, i, addr, maps[i], 1, 0), 0);
    if ((*rc = shuffle_fetch_start(f, &m, err)) == 0) {
        text = drain(&m);
        if ((*rc = m.error) != 0) {
            snprintf(err, MR_ERR_LEN, "%s", shuffle_fetch_error(f));
            free(text);
            text = NULL;
        }
    }
    merger_free(&m);
    shuffle_fetch_free(f);
    return text;
}

static const uint32_t all_maps[NMAPS] = {0, 1, 2};

Test(shuffle, pieces_smaller_than_a_record_still_merge_right)
{
    char err[MR_ERR_LEN] = "", *want = in_place(1), *got;
    int rc;

    /* 1000-byte pieces: records (up to 560 bytes of value) are cut
     * everywhere, some across several pieces' boundaries. */
    got = fetch_text(srv.addr, all_maps, NMAPS, 1, 1000, JOB, NULL, &rc,
                     err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_str_eq(got, want);
    free(got);
    free(want);
}

/* The values of one key stay valid for the whole reduce call, however
 * many pieces they span: an app may keep them all (the lab's indexer
 * does, through apputil_collect_sorted) and read them at the end. */
Test(shuffle, every_value_of_a_key_lives_until_its_group_ends)
{
    enum { VALUES = 5000 };
    struct shuffle_fetch *f = shuffle_fetch_create(JOB, 0, NULL, 0);
    struct im_writer w;
    struct merger m;
    struct merge_group g;
    const char *kept[VALUES];
    size_t lens[VALUES], n = 0;
    char path[128], err[MR_ERR_LEN] = "", val[40];

    snprintf(path, sizeof(path), "%s/mr-im-9-1", dir);
    cr_assert_eq(im_writer_open(&w, path, 1, err), 0, "%s", err);
    for (int i = 0; i < VALUES; i++) {
        int vl = snprintf(val, sizeof(val), "value %05d of one key", i);
        im_writer_add(&w, 0, "same", 4, val, (size_t)vl);
    }
    cr_assert_eq(im_writer_commit(&w, err), 0, "%s", err);
    cr_assert_eq(merger_init(&m, 1), 0);
    shuffle_fetch_set_piece(f, 64);
    cr_assert_eq(shuffle_fetch_add(f, 0, srv.addr, 9, 1, 0), 0);
    cr_assert_eq(shuffle_fetch_start(f, &m, err), 0, "%s", err);
    cr_assert(merger_next_group(&m, &g));
    while (n < VALUES && g.base.next(&g.base, &kept[n], &lens[n]))
        n++;
    cr_assert_eq(n, VALUES, "%s", shuffle_fetch_error(f));
    for (size_t i = 0; i < n; i++) {
        int vl = snprintf(val, sizeof(val), "value %05zu of one key", i);
        cr_assert_eq(lens[i], (size_t)vl);
        cr_assert_arr_eq(kept[i], val, (size_t)vl, "value %zu changed", i);
    }
    cr_assert_eq(g.klen, 4);
    cr_assert_arr_eq(g.key, "same", 4);
    merger_end_group(&g);
    cr_assert_not(merger_next_group(&m, &g));
    cr_assert_eq(m.error, 0, "%s", shuffle_fetch_error(f));
    merger_free(&m);
    shuffle_fetch_free(f);
}

Test(shuffle, an_output_the_worker_does_not_keep_is_a_fetch_failure)
{
    const uint32_t maps[] = {0, 7};
    char err[MR_ERR_LEN] = "";
    int rc;

    cr_assert_null(fetch_text(srv.addr, maps, 2, 0, 0, JOB, NULL, &rc, err));
    cr_assert_eq(rc, MR_EFETCH, "%d: %s", rc, err);
    cr_assert(strstr(err, "map task 7") && strstr(err, srv.addr) &&
              strstr(err, "keeps no output"), "%s", err);
}

/* A reduce out of descriptors cannot connect: a shortage of its own
 * (-EMFILE), not a lost output for the coordinator to rerun maps for;
 * with open files kept, it gives up half of them and fetches. */
Test(shuffle, a_fetch_out_of_descriptors_is_a_shortage_not_a_lost_output)
{
    enum { LIMIT = 64 };
    char err[MR_ERR_LEN] = "", path[128], *got, *want = in_place(0);
    struct rlimit old, low;
    int held[LIMIT], nheld = 0, rc, fd;

    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
    low = (struct rlimit){LIMIT, old.rlim_max};
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
    while (nheld < LIMIT && (fd = open("/dev/null", O_RDONLY)) >= 0)
        held[nheld++] = fd;
    cr_assert_null(fetch_text(srv.addr, all_maps, NMAPS, 0, 0, JOB, NULL,
                              &rc, err));
    cr_assert_eq(rc, -EMFILE, "%d: %s", rc, err);
    cr_assert(strstr(err, srv.addr), "%s", err);

    /* Most of them held by the worker's cache of outputs instead. */
    while (nheld > 0)
        close(held[--nheld]);
    shed_cache = im_cache_create(2 * LIMIT);
    cr_assert_not_null(shed_cache);
    snprintf(path, sizeof(path), "%s/mr-im-0-1", dir);
    for (int i = 0; i < LIMIT - 8; i++) {
        char link_path[160];
        snprintf(link_path, sizeof(link_path), "%s/link-%d", dir, i);
        cr_assert_eq(link(path, link_path), 0);
        cr_assert_not_null(im_cache_open(shed_cache, link_path, NRED, &rc,
                                         err), "%s", err);
    }
    while (nheld < LIMIT && (fd = open("/dev/null", O_RDONLY)) >= 0)
        held[nheld++] = fd;
    got = fetch_text(srv.addr, all_maps, NMAPS, 0, 0, JOB, NULL, &rc, err);
    cr_assert_not_null(got, "%d: %s", rc, err);
    cr_assert_str_eq(got, want);
    cr_assert_gt(im_cache_count(shed_cache), 0);
    im_cache_free(shed_cache);
    shed_cache = NULL;
    while (nheld > 0)
        close(held[--nheld]);
    free(got);
    free(want);
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
}

Test(shuffle, another_jobs_output_or_partition_is_refused)
{
    char err[MR_ERR_LEN] = "";
    int rc;

    cr_assert_null(fetch_text(srv.addr, all_maps, 1, 0, 0, "ffffffffffff",
                              NULL, &rc, err));
    cr_assert_eq(rc, MR_EFETCH, "%s", err);
    cr_assert_null(fetch_text(srv.addr, all_maps, 1, NRED, 0, JOB, NULL,
                              &rc, err));
    cr_assert_eq(rc, MR_EFETCH, "%s", err);
    cr_assert(strstr(err, "no partition"), "%s", err);
}

Test(shuffle, a_gone_worker_is_a_fetch_failure_naming_it)
{
    char err[MR_ERR_LEN] = "", addr[sizeof(srv.addr)];
    int rc;

    snprintf(addr, sizeof(addr), "%s", srv.addr);
    shuffle_server_stop(&srv);
    cr_assert_null(fetch_text(addr, all_maps, NMAPS, 0, 0, JOB, NULL, &rc,
                              err));
    cr_assert_eq(rc, MR_EFETCH, "%s", err);
    cr_assert(strstr(err, addr), "%s", err);
}

Test(shuffle, bytes_changed_on_the_workers_disk_are_bad_data)
{
    char path[128], err[MR_ERR_LEN] = "";
    int fd, rc;

    /* Flip a byte inside partition 0's values (after its first record's
     * lengths and key): the holder serves it, the CRC catches it. */
    snprintf(path, sizeof(path), "%s/mr-im-1-1", dir);
    cr_assert((fd = open(path, O_RDWR)) >= 0);
    cr_assert_eq(pwrite(fd, "#", 1, 40), 1);
    close(fd);
    cr_assert_null(fetch_text(srv.addr, all_maps, NMAPS, 0, 0, JOB, NULL,
                              &rc, err));
    cr_assert_eq(rc, MR_EBADDATA, "%d: %s", rc, err);
    cr_assert(strstr(err, "map task 1") && strstr(err, "CRC"), "%s", err);
}

/* Connects to addr ("tcp:127.0.0.1:PORT") and sends len bytes of junk. */
static void
send_junk(const char *addr, size_t len)
{
    struct sockaddr_in sin = {.sin_family = AF_INET};
    char junk[4096];
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (char)(i * 7919u >> 3);
    sin.sin_port = htons((uint16_t)atoi(strrchr(addr, ':') + 1));
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert(fd >= 0);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    cr_assert_eq(write(fd, junk, len), (ssize_t)len);
    close(fd);
}

/* Bytes that change after the holder checked the partition (as if in
 * flight: the holder checks only before the first piece) are caught by the
 * reduce's own CRC when the last piece comes. The holder maps its file
 * privately but never writes it, so on Linux it serves what the file holds
 * now. */
Test(shuffle, bytes_changed_after_the_holders_check_are_caught_at_the_end)
{
    struct shuffle_fetch *f = shuffle_fetch_create(JOB, 0, NULL, 0);
    char path[128], err[MR_ERR_LEN] = "";
    struct merger m;
    char *text;
    int fd;

    cr_assert_eq(merger_init(&m, 1), 0);
    shuffle_fetch_set_piece(f, 1000);
    cr_assert_eq(shuffle_fetch_add(f, 0, srv.addr, 2, 1, 0), 0);
    cr_assert_eq(shuffle_fetch_start(f, &m, err), 0, "%s", err);
    snprintf(path, sizeof(path), "%s/mr-im-2-1", dir);
    cr_assert((fd = open(path, O_RDWR)) >= 0);
    cr_assert_eq(pwrite(fd, "#", 1, 200000), 1);   /* far into part 0 */
    close(fd);
    text = drain(&m);
    cr_assert_eq(m.error, MR_EBADDATA, "%d: %s", m.error,
                 shuffle_fetch_error(f));
    cr_assert(strstr(shuffle_fetch_error(f), "CRC"), "%s",
              shuffle_fetch_error(f));
    free(text);
    merger_free(&m);
    shuffle_fetch_free(f);
}

Test(shuffle, garbage_on_the_shuffle_port_does_not_stop_the_server)
{
    char err[MR_ERR_LEN] = "", *want = in_place(2), *got;
    int rc;

    send_junk(srv.addr, 3000);
    got = fetch_text(srv.addr, all_maps, NMAPS, 2, 0, JOB, NULL, &rc, err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_str_eq(got, want);
    free(got);
    free(want);
}

Test(shuffle, a_server_with_a_token_serves_only_who_proves_it)
{
    static const char token[] = "the job's token, 32 bytes long..";
    struct shuffle_server_opts o = {.listen = "tcp:127.0.0.1:0",
                                    .dir = dir, .job_id = JOB,
                                    .token = (const uint8_t *)token,
                                    .token_len = sizeof(token) - 1};
    struct shuffle_server guarded;
    char err[MR_ERR_LEN] = "", *got, *want = in_place(0);
    int rc;

    cr_assert_eq(shuffle_server_start(&guarded, &o, err), 0, "%s", err);
    cr_assert_null(fetch_text(guarded.addr, all_maps, NMAPS, 0, 0, JOB,
                              NULL, &rc, err));
    cr_assert_eq(rc, MR_EFETCH, "%s", err);
    cr_assert_null(fetch_text(guarded.addr, all_maps, NMAPS, 0, 0, JOB,
                              "another token, also 32 bytes....", &rc,
                              err));
    cr_assert_eq(rc, MR_EFETCH, "%s", err);
    cr_assert(strstr(err, "token"), "%s", err);
    got = fetch_text(guarded.addr, all_maps, NMAPS, 0, 0, JOB, token, &rc,
                     err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_str_eq(got, want);
    free(got);
    free(want);
    shuffle_server_stop(&guarded);
}

Test(shuffle, a_non_loopback_address_needs_a_token)
{
    struct shuffle_server_opts o = {.listen = "tcp:0.0.0.0:0", .dir = dir,
                                    .job_id = JOB};
    struct shuffle_server s;
    char err[MR_ERR_LEN] = "";

    cr_assert_lt(shuffle_server_start(&s, &o, err), 0);
    cr_assert(strstr(err, "token"), "%s", err);
    cr_assert_eq(s.pid, 0);
}

Test(shuffle, a_fetched_partition_merges_as_read_in_place)
{
    for (uint32_t part = 0; part < NRED; part++) {
        struct shuffle_fetch *f = shuffle_fetch_create(JOB, part, NULL, 0);
        char err[MR_ERR_LEN] = "", *want = in_place(part), *got;
        struct merger m;

        cr_assert_eq(merger_init(&m, NMAPS), 0);
        for (uint32_t i = 0; i < NMAPS; i++)
            cr_assert_eq(shuffle_fetch_add(f, i, srv.addr, i, 1, 0), 0);
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
