/* The per-line map (MR_APP_LINES): map_feed cuts the data at '\n' and
 * calls the app once per line with the line's offset in the file (a split
 * that starts mid-file counts from its origin), empty lines and a last
 * line without '\n' included, '\r' left in; the lines named to skip are
 * left out and counted; the line in hand is known during each call and
 * none after; map_run over a split numbers its lines from the split's
 * offset; an executable's death blames the record in hand. */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lastwords.h"
#include "maptask.h"
#include "record_in_hand.h"
#include "tmpdir.h"

#define SEEN_MAX 16

/* What the app was called with, call by call. */
static struct seen {
    uint64_t offset;
    char line[32];
    bool in_hand;               /* record_in_hand had this very line */
} seen[SEEN_MAX];
static size_t nseen;

static int
note_line(const char *file, uint64_t offset, const char *line, size_t len,
          struct mr_emitter *out)
{
    struct record_in_hand r;

    (void)out;
    cr_assert_lt(nseen, SEEN_MAX);
    cr_assert_lt(len, sizeof(seen[nseen].line));
    seen[nseen].offset = offset;
    memcpy(seen[nseen].line, line, len);
    seen[nseen].line[len] = '\0';
    seen[nseen].in_hand = record_in_hand_get(&r) && r.file == file &&
                          r.offset == offset && r.bytes == line &&
                          r.len == len;
    nseen++;
    return 0;
}

static int
never_reduce(const char *key, size_t klen, struct mr_values *values,
             struct mr_output *out)
{
    (void)key, (void)klen, (void)values, (void)out;
    return 0;
}

static const struct mr_app line_app = {
    .abi_version = MR_APP_ABI_VERSION, .name = "lines",
    .reduce = never_reduce, .map_line = note_line,
};

static void
expect(size_t i, uint64_t offset, const char *line)
{
    cr_assert_eq(seen[i].offset, offset, "line %zu: offset %llu, not %llu",
                 i, (unsigned long long)seen[i].offset,
                 (unsigned long long)offset);
    cr_assert_str_eq(seen[i].line, line, "line %zu", i);
    cr_assert(seen[i].in_hand, "line %zu was not the record in hand", i);
}

Test(maplines, offsets_count_from_the_origin_with_empty_and_last_lines)
{
    /* A split that starts at 1000 in its file. */
    static const char data[] = "ab\n\n\r\ncd\r\nlast";
    struct map_feed f = {"in.txt", 1000, NULL, 0};
    uint64_t read, skipped;
    struct record_in_hand r;

    nseen = 0;
    cr_assert_eq(map_feed(&line_app, &f, data, sizeof(data) - 1, NULL, &read,
                          &skipped), 0);
    cr_assert_eq(nseen, 5);
    expect(0, 1000, "ab");
    expect(1, 1003, "");
    expect(2, 1004, "\r");
    expect(3, 1006, "cd\r");
    expect(4, 1010, "last");
    cr_assert_eq(read, 5);
    cr_assert_eq(skipped, 0);
    cr_assert_not(record_in_hand_get(&r), "a record is in hand after the "
                  "map");
}

Test(maplines, a_final_newline_ends_the_last_line_and_empty_data_has_none)
{
    struct map_feed f = {"in.txt", 0, NULL, 0};
    uint64_t read, skipped;

    nseen = 0;
    cr_assert_eq(map_feed(&line_app, &f, "x\n", 2, NULL, &read, &skipped), 0);
    cr_assert_eq(nseen, 1, "a final '\\n' made %zu lines", nseen);
    expect(0, 0, "x");
    nseen = 0;
    cr_assert_eq(map_feed(&line_app, &f, "", 0, NULL, &read, &skipped), 0);
    cr_assert_eq(nseen, 0);
    cr_assert_eq(read, 0);
}

Test(maplines, the_lines_to_skip_are_left_out_by_offset)
{
    static const char data[] = "a\nbad\nc\nworse\ne";
    /* 7 is the line "c"'s offset + 1 (no line starts there): nothing. */
    static const uint64_t skip[] = {502, 507, 508};
    struct map_feed f = {"in.txt", 500, skip, 3};
    uint64_t read, skipped;

    nseen = 0;
    cr_assert_eq(map_feed(&line_app, &f, data, sizeof(data) - 1, NULL, &read,
                          &skipped), 0);
    cr_assert_eq(nseen, 3);
    expect(0, 500, "a");
    expect(1, 506, "c");
    expect(2, 514, "e");
    cr_assert_eq(read, 3);
    cr_assert_eq(skipped, 2);
}

Test(maplines, map_run_numbers_a_splits_lines_from_its_offset)
{
    static const char text[] = "zero\none\ntwo\nthree\n";
    char dir[64], input[128], out[128], err[MR_ERR_LEN];
    struct map_stats st;
    FILE *f;

    cr_assert_eq(tmpdir_create(dir, sizeof(dir), "maplines-test"), 0);
    snprintf(input, sizeof(input), "%s/in.txt", dir);
    cr_assert_not_null(f = fopen(input, "w"));
    fputs(text, f);
    fclose(f);
    snprintf(out, sizeof(out), "%s/mr-im-0-1", dir);
    nseen = 0;
    {
        /* The split "one\ntwo\n"; the line "two" is skipped. */
        static const uint64_t skip[] = {9};
        struct map_input in = {.name = input, .offset = 5, .length = 8,
                               .skip = skip, .nskip = 1};
        cr_assert_eq(map_run(&line_app, &in, 1, out, dir, 0, NULL, &st, err),
                     0, "%s", err);
    }
    cr_assert_eq(nseen, 1);
    expect(0, 5, "one");
    cr_assert_eq(st.records_read, 1);
    cr_assert_eq(st.records_skipped, 1);
    /* A copy of the split fetched from the coordinator: offset 0 in the
     * copy, lines numbered from where the split starts in the input. */
    nseen = 0;
    {
        struct map_input in = {.name = input, .offset = 0, .length = 4,
                               .fetched_from = 13};
        cr_assert_eq(map_run(&line_app, &in, 1, out, dir, 0, NULL, &st, err),
                     0, "%s", err);
    }
    cr_assert_eq(nseen, 1);
    expect(0, 13, "zero");
    tmpdir_remove(dir);
}

/* What an executable's death reports (lastwords_blame_record): the signal
 * and the record in hand, its head cut to 32 bytes; only the signal when
 * none is in hand. */
Test(maplines, a_record_in_hand_is_blamed_for_a_death)
{
    static const char line[] = "0123456789012345678901234567890123456789";
    Mr__TaskReport rep = MR__TASK_REPORT__INIT;
    Mr__BadRecord room;

    record_in_hand_set("in.txt", 77, line, sizeof(line) - 1);
    lastwords_blame_record(&rep, &room, 11);
    record_in_hand_clear();
    cr_assert_eq(rep.signal, 11);
    cr_assert_eq(rep.bad_record, &room);
    cr_assert_str_eq(room.file, "in.txt");
    cr_assert_eq(room.offset, 77);
    cr_assert_eq(room.head.len, RECORD_HEAD_MAX);
    cr_assert(memcmp(room.head.data, line, RECORD_HEAD_MAX) == 0);

    mr__task_report__init(&rep);
    lastwords_blame_record(&rep, &room, 6);
    cr_assert_eq(rep.signal, 6);
    cr_assert_null(rep.bad_record);
}
