/* The coordinator's journal: records come back in order; a journal cut at
 * any byte of its last record reads as the records before it; a flipped
 * bit stops reading at the record it is in, never yields a bad record;
 * reopening at the valid prefix drops a damaged tail for good. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "tmpdir.h"

static char dir[64], path[128];

static void
setup(void)
{
    cr_assert_eq(tmpdir_create(dir, sizeof(dir), "journal-test"), 0);
    snprintf(path, sizeof(path), "%s/" JOURNAL_NAME, dir);
}

static void
teardown(void)
{
    cr_assert_eq(tmpdir_remove(dir), 0);
}

TestSuite(journal, .init = setup, .fini = teardown);

static void
append_map_done(journal *j, uint32_t map, uint32_t attempt)
{
    Mrj__Record rec = MRJ__RECORD__INIT;
    Mrj__MapDone m = MRJ__MAP_DONE__INIT;

    m.map = map;
    m.attempt = attempt;
    m.addr = (char *)"tcp:10.0.0.1:4000";
    m.path = (char *)"/scratch/mr-im";
    m.size = 1000 + map;
    rec.what_case = MRJ__RECORD__WHAT_MAP_DONE;
    rec.map_done = &m;
    cr_assert_eq(journal_append(j, &rec), 0);
}

/* A journal of n MapDone records (map i, attempt i + 1), synced. Returns
 * the offset where each record starts in starts[0..n], starts[n] the end. */
static void
write_journal(uint32_t n, uint64_t *starts)
{
    char err[MR_ERR_LEN];
    journal *j;
    struct stat st;

    cr_assert_eq(journal_open(path, 0, &j, err), 0, "%s", err);
    starts[0] = JOURNAL_MAGIC_LEN;
    for (uint32_t i = 0; i < n; i++) {
        append_map_done(j, i, i + 1);
        /* One sync per record, to learn where each one ends. */
        cr_assert_eq(journal_sync(j, err), 0, "%s", err);
        cr_assert_eq(stat(path, &st), 0);
        starts[i + 1] = (uint64_t)st.st_size;
    }
    cr_assert_not(journal_dirty(j));
    journal_close(j);
}

/* The records read are exactly maps 0 .. n-1, in order. */
static void
assert_prefix(const struct journal_contents *c, size_t n)
{
    cr_assert_eq(c->n, n);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(c->records[i]->what_case, MRJ__RECORD__WHAT_MAP_DONE);
        cr_assert_eq(c->records[i]->map_done->map, i);
        cr_assert_eq(c->records[i]->map_done->attempt, i + 1);
        cr_assert_str_eq(c->records[i]->map_done->addr, "tcp:10.0.0.1:4000");
    }
}

Test(journal, records_come_back_in_order)
{
    uint64_t starts[6];
    struct journal_contents c;
    char err[MR_ERR_LEN];

    write_journal(5, starts);
    cr_assert_eq(journal_read(path, &c, err), 0, "%s", err);
    assert_prefix(&c, 5);
    cr_assert_eq(c.end, JOURNAL_WHOLE);
    cr_assert_eq(c.valid_bytes, starts[5]);
    cr_assert_eq(c.file_bytes, starts[5]);
    journal_contents_free(&c);
}

Test(journal, a_cut_at_any_byte_of_the_last_record_leaves_the_rest)
{
    uint64_t starts[5];
    char err[MR_ERR_LEN];

    write_journal(4, starts);
    /* Longest first: truncate(2) past the end would pad with zeros. */
    for (uint64_t cut = starts[4] - 1; cut >= starts[3]; cut--) {
        struct journal_contents c;
        cr_assert_eq(truncate(path, (off_t)cut), 0);
        cr_assert_eq(journal_read(path, &c, err), 0, "%s", err);
        assert_prefix(&c, 3);
        cr_assert_eq(c.valid_bytes, starts[3]);
        cr_assert_eq(c.end, cut == starts[3] ? JOURNAL_WHOLE : JOURNAL_TORN,
                     "cut at %llu", (unsigned long long)cut);
        journal_contents_free(&c);
    }
}

/* Flips bit `bit` of byte `at` of the file. */
static void
flip(uint64_t at, int bit)
{
    int fd = open(path, O_RDWR);
    unsigned char b;

    cr_assert_geq(fd, 0);
    cr_assert_eq(pread(fd, &b, 1, (off_t)at), 1);
    b ^= (unsigned char)(1u << bit);
    cr_assert_eq(pwrite(fd, &b, 1, (off_t)at), 1);
    close(fd);
}

Test(journal, a_flipped_bit_anywhere_in_a_record_stops_reading_there)
{
    uint64_t starts[5];
    char err[MR_ERR_LEN];

    write_journal(4, starts);
    /* Every bit of record 2 (its length, checksum and payload). */
    for (uint64_t at = starts[2]; at < starts[3]; at++)
        for (int bit = 0; bit < 8; bit++) {
            struct journal_contents c;
            flip(at, bit);
            cr_assert_eq(journal_read(path, &c, err), 0, "%s", err);
            assert_prefix(&c, 2);
            cr_assert_eq(c.valid_bytes, starts[2]);
            cr_assert_neq(c.end, JOURNAL_WHOLE);
            cr_assert_neq(c.damage[0], '\0');
            journal_contents_free(&c);
            flip(at, bit);
        }
}

Test(journal, reopening_at_the_valid_prefix_drops_the_damaged_tail)
{
    uint64_t starts[5];
    struct journal_contents c;
    char err[MR_ERR_LEN];
    journal *j;

    write_journal(4, starts);
    flip(starts[2] + 9, 3);
    cr_assert_eq(journal_read(path, &c, err), 0, "%s", err);
    cr_assert_eq(c.n, 2);
    cr_assert_eq(journal_open(path, c.valid_bytes, &j, err), 0, "%s", err);
    journal_contents_free(&c);
    append_map_done(j, 2, 3);
    cr_assert(journal_dirty(j));
    cr_assert_eq(journal_sync(j, err), 0, "%s", err);
    journal_close(j);
    cr_assert_eq(journal_read(path, &c, err), 0, "%s", err);
    assert_prefix(&c, 3);
    cr_assert_eq(c.end, JOURNAL_WHOLE);
    journal_contents_free(&c);
}

Test(journal, a_file_that_is_not_a_journal_is_said_so)
{
    struct journal_contents c;
    char err[MR_ERR_LEN];
    FILE *f = fopen(path, "w");

    cr_assert_not_null(f);
    fputs("mr-commit 3\n", f);
    fclose(f);
    cr_assert_eq(journal_read(path, &c, err), MR_EBADDATA);
    cr_assert(strstr(err, "not a journal") != NULL, "%s", err);
    journal_contents_free(&c);
}

Test(journal, none_is_enoent_and_a_second_create_fails)
{
    struct journal_contents c;
    char err[MR_ERR_LEN];
    uint64_t starts[2];
    journal *j;

    cr_assert_eq(journal_read(path, &c, err), -ENOENT);
    write_journal(1, starts);
    cr_assert_lt(journal_open(path, 0, &j, err), 0);
}
