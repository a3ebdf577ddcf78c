/* Reading one partition of an intermediate file at a time, as a reduce
 * does (im_file), and the worker's cache of open map outputs (imcache.h),
 * on real files in a temporary directory: each check looks only at the
 * footer and the partition read, and still refuses a truncated file, a bad
 * footer, an entry pointing outside the file and a checksum mismatch. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec_child.h"
#include "imcache.h"
#include "imfile.h"
#include "merge.h"
#include "reduce_inputs.h"
#include "tmpdir.h"

static char dir[64], path[128];

/* The file below: three partitions of 4, 12 and 4 bytes, then the index
 * (3 entries of 32 bytes) and the 16-byte footer. */
#define INDEX_AT  20
#define FILE_SIZE (INDEX_AT + 3 * 32 + 16)

static void
write_file(const char *to, uint32_t nreduce)
{
    char err[MR_ERR_LEN];
    struct im_writer w;

    cr_assert_eq(im_writer_open(&w, to, nreduce, err), 0, "%s", err);
    im_writer_add(&w, 0, "a", 1, "1", 1);
    if (nreduce > 1)
        im_writer_add(&w, 1, "hello", 5, "world", 5);
    if (nreduce > 2)
        im_writer_add(&w, 2, "k", 1, "v", 1);
    cr_assert_eq(im_writer_commit(&w, err), 0, "%s", err);
}

static void
setup(void)
{
    cr_assert_eq(tmpdir_create(dir, sizeof(dir), "im-one-test"), 0);
    snprintf(path, sizeof(path), "%s/mr-im-0-1", dir);
    write_file(path, 3);
}

static void
teardown(void)
{
    cr_assert_eq(tmpdir_remove(dir), 0);
}

TestSuite(imfile_one, .init = setup, .fini = teardown);

/* Writes len bytes of data at off in path. */
static void
patch(off_t off, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY);

    cr_assert_geq(fd, 0);
    cr_assert_eq(pwrite(fd, data, len, off), (ssize_t)len);
    close(fd);
}

static void
put_u64(off_t off, uint64_t v)
{
    unsigned char b[8];

    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    patch(off, b, sizeof(b));
}

/* Reads partition part through f: 0 with its bytes in out, or the
 * error. */
static int
read_part(struct im_file *f, uint32_t part, char *out, size_t cap,
          size_t *len)
{
    char err[MR_ERR_LEN];
    struct im_partition info;
    int rc = im_file_entry(f, path, part, &info, err);

    if (rc < 0)
        return rc;
    cr_assert_leq(info.length, cap);
    *len = (size_t)info.length;
    return im_file_read(f, path, &info, out, err);
}

Test(imfile_one, each_partition_reads_as_the_whole_file_reader_sees_it)
{
    char err[MR_ERR_LEN], buf[64];
    struct im_reader r;
    struct im_file f;
    struct stat st;
    size_t len;

    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_size, FILE_SIZE, "the layout changed: fix the test");
    cr_assert_eq(im_file_open(&f, path, 3, err), 0, "%s", err);
    cr_assert_eq(f.nreduce, 3);
    cr_assert_eq(im_reader_open(&r, path, 3, err), 0, "%s", err);
    for (uint32_t p = 0; p < 3; p++) {
        struct im_partition info;
        struct im_cursor want, got;
        const unsigned char *data;
        const char *k, *v;
        size_t kl, vl, maplen;
        void *base;

        cr_assert_eq(im_reader_partition(&r, p, &want), 0);
        cr_assert_eq(read_part(&f, p, buf, sizeof(buf), &len), 0);
        cr_assert_eq(len, (size_t)(want.end - want.p));
        cr_assert_eq(memcmp(buf, want.p, len), 0);
        /* Mapped by range, as a large partition is. */
        cr_assert_eq(im_file_entry(&f, path, p, &info, err), 0, "%s", err);
        cr_assert_eq(im_file_map(&f, path, &info, &base, &maplen, &data,
                                 err), 0, "%s", err);
        cr_assert_eq(memcmp(data, want.p, len), 0);
        im_cursor_start(&got, &info, data);
        cr_assert_eq(im_cursor_next(&got, &k, &kl, &v, &vl), 1);
        cr_assert_eq(im_cursor_next(&got, &k, &kl, &v, &vl), 0);
        im_file_unmap(base, maplen);
    }
    im_reader_close(&r);
    im_file_close(&f);
    im_file_close(&f);          /* closed twice: a no-op */
}

Test(imfile_one, a_bad_footer_or_truncated_file_is_refused_on_open)
{
    const struct {
        off_t off;
        const char *bytes;
        const char *says;
    } bad[] = {
        {FILE_SIZE - 4, "MRIX", "no footer"},
        {FILE_SIZE - 12, "\x09", "unknown format version"},
        {FILE_SIZE - 16, "\xff\xff\xff\x00", "index larger than the file"},
    };
    char err[MR_ERR_LEN];
    struct im_file f;

    cr_assert_eq(im_file_open(&f, path, 4, err), MR_EBADDATA);
    cr_assert(strstr(err, "another number of reduce tasks"), "%s", err);
    cr_assert_eq(f.fd, -1);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_file(path, 3);
        patch(bad[i].off, bad[i].bytes, strlen(bad[i].bytes));
        cr_assert_eq(im_file_open(&f, path, 0, err), MR_EBADDATA,
                     "%s went unnoticed", bad[i].says);
        cr_assert(strstr(err, bad[i].says), "%s", err);
    }
    write_file(path, 3);
    for (off_t len = FILE_SIZE - 1; len >= 0; len -= 5) {
        cr_assert_eq(truncate(path, len), 0);
        cr_assert_eq(im_file_open(&f, path, 3, err), MR_EBADDATA,
                     "truncated to %lld bytes: not detected",
                     (long long)len);
    }
    cr_assert_eq(im_file_open(&f, "/nonexistent/mr-im-0-1", 3, err),
                 -ENOENT);
}

Test(imfile_one, an_entry_outside_the_file_fails_only_its_partition)
{
    char err[MR_ERR_LEN], buf[64];
    const uint64_t bad_entries[][2] = {
        {1000, 4},              /* offset past the index */
        {4, INDEX_AT},          /* runs into the index */
        {UINT64_MAX, 2},        /* wraps around */
    };
    struct im_partition info;
    struct im_cursor c;
    struct im_reader r;
    struct im_file f;
    size_t len;

    for (size_t i = 0; i < sizeof(bad_entries) / sizeof(bad_entries[0]);
         i++) {
        write_file(path, 3);
        put_u64(INDEX_AT + 32, bad_entries[i][0]);
        put_u64(INDEX_AT + 32 + 8, bad_entries[i][1]);
        cr_assert_eq(im_file_open(&f, path, 3, err), 0, "%s", err);
        cr_assert_eq(im_file_entry(&f, path, 1, &info, err), MR_EBADDATA,
                     "entry %zu went unnoticed", i);
        cr_assert(strstr(err, "partition outside the file"), "%s", err);
        cr_assert_eq(read_part(&f, 0, buf, sizeof(buf), &len), 0);
        cr_assert_eq(read_part(&f, 2, buf, sizeof(buf), &len), 0);
        im_file_close(&f);
        /* The whole-file reader: the same, at the partition. */
        cr_assert_eq(im_reader_open(&r, path, 3, err), 0, "%s", err);
        cr_assert_eq(im_reader_partition(&r, 1, &c), MR_EBADDATA);
        cr_assert_eq(im_reader_partition(&r, 0, &c), 0);
        im_reader_close(&r);
    }
}

Test(imfile_one, a_checksum_mismatch_fails_the_read)
{
    char err[MR_ERR_LEN], buf[64];
    struct im_partition info;
    const unsigned char *data;
    struct im_file f;
    size_t len, maplen;
    void *base = NULL;

    patch(6, "J", 1);           /* "hello" becomes "Jello" */
    cr_assert_eq(im_file_open(&f, path, 3, err), 0, "%s", err);
    cr_assert_eq(read_part(&f, 1, buf, sizeof(buf), &len), MR_EBADDATA);
    cr_assert_eq(im_file_entry(&f, path, 1, &info, err), 0);
    cr_assert_eq(im_file_map(&f, path, &info, &base, &maplen, &data, err),
                 MR_EBADDATA);
    cr_assert(strstr(err, "checksum"), "%s", err);
    cr_assert_null(base, "handed a mapping it already undid");
    cr_assert_eq(read_part(&f, 0, buf, sizeof(buf), &len), 0);
    im_file_close(&f);
}

Test(imfile_one, a_file_cut_after_its_open_is_caught_by_the_read)
{
    char err[MR_ERR_LEN], buf[64];
    struct im_partition info;
    const unsigned char *data;
    struct im_file f;
    size_t len, maplen;
    void *base;

    cr_assert_eq(im_file_open(&f, path, 3, err), 0, "%s", err);
    cr_assert_eq(im_file_entry(&f, path, 1, &info, err), 0, "%s", err);
    cr_assert_eq(truncate(path, 8), 0);  /* mid partition 1 */
    cr_assert_eq(im_file_read(&f, path, &info, buf, err), MR_EBADDATA);
    cr_assert(strstr(err, "truncated"), "%s", err);
    cr_assert_eq(im_file_map(&f, path, &info, &base, &maplen, &data, err),
                 MR_EBADDATA, "a mapping past the end would SIGBUS");
    cr_assert_eq(read_part(&f, 2, buf, sizeof(buf), &len), MR_EBADDATA,
                 "its bytes are gone");
    im_file_close(&f);
}

/* A partition over READ_MAX (256 KB) is mapped; one failing its checksum
 * must be unmapped once, not again by reduce_inputs_close, which would
 * tear down whatever was mapped at that address since. */
Test(imfile_one, a_corrupt_mapped_partition_is_unmapped_once)
{
    enum { VALUE = 400 << 10, AFTER = 1 << 20 };
    char err[MR_ERR_LEN], big[160];
    char *value = malloc(VALUE);
    struct im_cache *c = im_cache_create(4);
    struct reduce_input in = {.path = big, .addr = ""};
    struct reduce_fetch_id id = {.job_id = "job"};
    struct reduce_inputs ri;
    struct im_writer w;
    struct merger m;
    unsigned char *after;
    int fd;

    cr_assert_not_null(value);
    cr_assert_not_null(c);
    snprintf(big, sizeof(big), "%s/mr-im-7-1", dir);
    memset(value, 'v', VALUE);
    cr_assert_eq(im_writer_open(&w, big, 1, err), 0, "%s", err);
    im_writer_add(&w, 0, "k", 1, value, VALUE);
    cr_assert_eq(im_writer_commit(&w, err), 0, "%s", err);
    free(value);
    fd = open(big, O_WRONLY);
    cr_assert_geq(fd, 0);
    cr_assert_eq(pwrite(fd, "X", 1, VALUE / 2), 1);     /* mid value */
    close(fd);

    cr_assert_eq(merger_init(&m, 1), 0);
    cr_assert_eq(reduce_inputs_open(&ri, &in, 1, 0, 1, &id, c, &m, err),
                 MR_EBADDATA);
    cr_assert(strstr(err, "checksum"), "%s", err);
    /* Memory mapped after the failure, at the address the caller still
     * records for the partition, if any (where a large malloc or another
     * thread's mapping may land): it must survive the close. */
    after = mmap(ri.held[0].map, AFTER, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(after, MAP_FAILED);
    memset(after, 0x5a, AFTER);
    reduce_inputs_close(&ri);
    for (size_t i = 0; i < AFTER; i++)
        cr_assert_eq(after[i], 0x5a, "byte %zu changed", i);
    munmap(after, AFTER);
    merger_free(&m);
    im_cache_free(c);
}

/* ---------------------------------------------------------------- cache */

Test(imfile_one, a_kept_file_corrupted_between_reduces_is_caught)
{
    char err[MR_ERR_LEN], buf[64];
    struct im_cache *c = im_cache_create(4);
    struct im_file *f;
    size_t len;
    int rc = 0;

    cr_assert_not_null(c);
    f = im_cache_open(c, path, 3, &rc, err);
    cr_assert_not_null(f, "%s", err);
    cr_assert_eq(read_part(f, 0, buf, sizeof(buf), &len), 0);  /* reduce 0 */
    patch(6, "J", 1);           /* partition 1's bytes, on disk */
    f = im_cache_open(c, path, 3, &rc, err);                    /* reduce 1 */
    cr_assert_not_null(f, "%s", err);
    cr_assert_eq(read_part(f, 1, buf, sizeof(buf), &len), MR_EBADDATA,
                 "a kept file read stale or unchecked bytes");
    cr_assert_eq(read_part(f, 2, buf, sizeof(buf), &len), 0);
    im_cache_free(c);
}

Test(imfile_one, the_cache_keeps_files_open_and_closes_the_least_used)
{
    char err[MR_ERR_LEN], paths[3][160];
    struct im_cache *c = im_cache_create(2);
    struct im_file *a, *again;
    int rc = 0;

    cr_assert_not_null(c);
    for (int i = 0; i < 3; i++) {
        snprintf(paths[i], sizeof(paths[i]), "%s/mr-im-%d-0", dir, i);
        write_file(paths[i], 3);
    }
    a = im_cache_open(c, paths[0], 3, &rc, err);
    cr_assert_not_null(a, "%s", err);
    cr_assert_not_null(im_cache_open(c, paths[1], 3, &rc, err));
    again = im_cache_open(c, paths[0], 3, &rc, err);
    cr_assert_eq(again, a, "opened again rather than kept");
    cr_assert_eq(im_cache_count(c), 2);
    /* paths[1] is now the least recently used. */
    cr_assert_not_null(im_cache_open(c, paths[2], 3, &rc, err));
    cr_assert_eq(im_cache_count(c), 2);
    cr_assert_null(im_cache_find(c, paths[1]), "not closed when full");
    cr_assert_not_null(im_cache_find(c, paths[0]));
    cr_assert_not_null(im_cache_find(c, paths[2]));
    im_cache_drop(c, paths[0]);
    cr_assert_null(im_cache_find(c, paths[0]));
    cr_assert_eq(im_cache_count(c), 1);
    /* A file that is not there, or not for this many reduces: refused,
     * and nothing kept. */
    cr_assert_null(im_cache_open(c, "/nonexistent/mr-im-9-0", 3, &rc, err));
    cr_assert_eq(rc, -ENOENT);
    cr_assert_null(im_cache_open(c, paths[2], 5, &rc, err));
    cr_assert_eq(rc, MR_EBADDATA);
    cr_assert_eq(im_cache_count(c), 0);
    /* Noted absent: found without a descriptor, until opened for real. */
    im_cache_absent(c, paths[1]);
    cr_assert_not_null(im_cache_find(c, paths[1]));
    cr_assert_eq(im_cache_find(c, paths[1])->fd, -1);
    a = im_cache_open(c, paths[1], 3, &rc, err);
    cr_assert_not_null(a, "%s", err);
    cr_assert_geq(a->fd, 0, "an absent note taken for an open file");
    cr_assert_eq(im_cache_count(c), 1);
    im_cache_absent(c, paths[2]);
    im_cache_free(c);
    im_cache_free(NULL);
}

Test(imfile_one, the_cache_holds_many_files_under_one_bucket_load)
{
    char err[MR_ERR_LEN], p[160];
    struct im_cache *c = im_cache_create(64);
    int rc = 0;

    cr_assert_not_null(c);
    write_file(path, 3);
    for (int i = 0; i < 200; i++) {
        /* Links to one file: 200 paths, 64 kept. */
        snprintf(p, sizeof(p), "%s/link-%d", dir, i);
        cr_assert_eq(link(path, p), 0);
        cr_assert_not_null(im_cache_open(c, p, 3, &rc, err), "%s", err);
    }
    cr_assert_eq(im_cache_count(c), 64);
    for (int i = 0; i < 200; i++) {
        snprintf(p, sizeof(p), "%s/link-%d", dir, i);
        cr_assert_eq(im_cache_find(c, p) != NULL, i >= 136, "link %d", i);
    }
    im_cache_free(c);
}

/* Under a low file limit, with most descriptors taken by others (a
 * worker's sockets), a cache allowed more files than the limit gives up
 * its own when an open fails with EMFILE, and every read is served; with
 * none of its own left to give, the shortage says so, never "no such
 * file". */
Test(imfile_one, a_cache_over_the_file_limit_still_serves_every_read)
{
    enum { LIMIT = 64, FILES = 100 };
    char err[MR_ERR_LEN], p[160], buf[64];
    struct im_cache *c = im_cache_create(FILES);
    struct rlimit old, low;
    int held[LIMIT], nheld = 0, rc = 0, fd;
    struct im_file *f;
    size_t len;

    cr_assert_not_null(c);
    for (int i = 0; i < FILES; i++) {
        snprintf(p, sizeof(p), "%s/link-%d", dir, i);
        cr_assert_eq(link(path, p), 0);
    }
    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
    low = (struct rlimit){LIMIT, old.rlim_max};
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
    /* Others hold all but a few descriptors. */
    while ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0) {
        held[nheld++] = fd;
        if (fd >= LIMIT - 4)
            break;
    }
    cr_assert_geq(fd, 0, "the test itself ran out: %s", strerror(errno));
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < FILES; i++) {
            snprintf(p, sizeof(p), "%s/link-%d", dir, i);
            f = im_cache_open(c, p, 3, &rc, err);
            cr_assert_not_null(f, "file %d: %s", i, err);
            cr_assert_eq(read_part(f, 1, buf, sizeof(buf), &len), 0);
            cr_assert_eq(len, 12);
        }
    cr_assert_lt(im_cache_count(c), LIMIT);
    im_cache_free(c);

    /* Nothing kept to give up: a shortage, not a missing file. */
    c = im_cache_create(4);
    cr_assert_not_null(c);
    while (nheld < LIMIT && (fd = open("/dev/null", O_RDONLY)) >= 0)
        held[nheld++] = fd;
    cr_assert_null(im_cache_open(c, path, 3, &rc, err));
    cr_assert_eq(rc, -EMFILE, "%s", err);
    cr_assert(strstr(err, "open files"), "%s", err);
    im_cache_free(c);
    while (nheld > 0)
        close(held[--nheld]);
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
}

/* The file limit the cache raised for the worker is not the commands':
 * an executable app's mapper run after it sees the one the worker began
 * with. */
Test(imfile_one, commands_see_the_file_limit_from_before_the_raise)
{
    char err[MR_ERR_LEN], out[64] = "";
    struct rlimit old, low, now;
    struct exec_child child;
    struct pollfd pfd;
    struct im_cache *c;
    size_t got = 0;
    ssize_t n;

    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
    if (old.rlim_max != RLIM_INFINITY && old.rlim_max <= 100)
        cr_skip_test("the hard file limit is %llu: nothing to raise",
                     (unsigned long long)old.rlim_max);
    low = (struct rlimit){100, old.rlim_max};
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
    c = im_cache_create(0);
    cr_assert_not_null(c);
    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &now), 0);
    cr_assert_gt(now.rlim_cur, 100, "the cache did not raise the limit");
    cr_assert_eq(exec_child_start(&child, "ulimit -n", err), 0, "%s", err);
    exec_child_close_input(&child);
    pfd = (struct pollfd){.fd = child.from_child, .events = POLLIN};
    while (poll(&pfd, 1, 10000) == 1 &&
           (n = read(child.from_child, out + got, sizeof(out) - 1 - got)) > 0)
        got += (size_t)n;
    cr_assert_eq(exec_child_wait(&child, "mapper", "ulimit -n", err), 0,
                 "%s", err);
    cr_assert_str_eq(out, "100\n");
    im_cache_free(c);
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
}
