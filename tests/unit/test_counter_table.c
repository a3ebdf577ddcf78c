/* A task's app counters (worker/counter_table.h): a literal is known by its
 * address after the first call, yet two literals with the same bytes are
 * one counter and a rewritten buffer is looked up by its contents; the
 * limits on names fail the table with a sentence saying why; mr_count and
 * mr_count_name reach it through include/mrapp.h from map and reduce. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "counter_table.h"

/* The counter named name, or NULL. */
static const struct counter *
find(const struct counter_table *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->counters[i].name, name) == 0)
            return &t->counters[i];
    return NULL;
}

static uint64_t
value_of(const struct counter_table *t, const char *name)
{
    const struct counter *c = find(t, name);

    cr_assert_not_null(c, "no counter \"%s\"", name);
    return c->value;
}

Test(counter_table, a_literal_is_found_by_its_address)
{
    static const char name[] = "bad lines";
    struct counter_table t;

    counter_table_init(&t);
    for (int i = 0; i < 1000; i++)
        cr_assert_eq(counter_table_add(&t, name, 2, true), 0);
    cr_assert_eq(t.n, 1);
    cr_assert_eq(value_of(&t, "bad lines"), 2000);
    /* The cache holds the address: the next call is a hit. */
    cr_assert_eq(t.cache[counter__slot(name)].literal, name);
    counter_table_free(&t);
    cr_assert_eq(t.n, 0);
}

Test(counter_table, the_same_bytes_at_two_addresses_are_one_counter)
{
    char a[] = "records", b[] = "records";
    struct counter_table t;

    counter_table_init(&t);
    cr_assert_eq(counter_table_add(&t, a, 1, true), 0);
    cr_assert_eq(counter_table_add(&t, b, 1, true), 0);
    cr_assert_eq(counter_table_add(&t, "records", 1, false), 0);
    cr_assert_eq(t.n, 1);
    cr_assert_eq(value_of(&t, "records"), 3);
    counter_table_free(&t);
}

/* mr_count_name's buffer, rewritten between calls, is looked up by what
 * it holds each time, never by its address. */
Test(counter_table, a_rewritten_buffer_is_looked_up_by_its_contents)
{
    struct counter_table t;
    char buf[32];

    counter_table_init(&t);
    for (int i = 0; i < 30; i++) {
        snprintf(buf, sizeof(buf), "length %d", i % 3);
        cr_assert_eq(counter_table_add(&t, buf, 1, false), 0);
    }
    cr_assert_eq(t.n, 3);
    cr_assert_eq(value_of(&t, "length 0"), 10);
    cr_assert_eq(value_of(&t, "length 1"), 10);
    cr_assert_eq(value_of(&t, "length 2"), 10);
    counter_table_free(&t);
}

/* Many literals share the cache's slots: a slot taken over by another
 * address never adds to the wrong counter. */
Test(counter_table, literals_that_share_a_cache_slot_stay_apart)
{
    static char names[200][8];
    struct counter_table t;

    counter_table_init(&t);
    for (int i = 0; i < 200; i++)
        snprintf(names[i], sizeof(names[i]), "n%d", i);
    for (int round = 0; round < 5; round++)
        for (int i = 0; i < 200; i++)
            cr_assert_eq(counter_table_add(&t, names[i], (uint64_t)i, true),
                         0);
    cr_assert_eq(t.n, 200);
    for (int i = 0; i < 200; i++)
        cr_assert_eq(value_of(&t, names[i]), 5 * (uint64_t)i, "%s",
                     names[i]);
    counter_table_free(&t);
}

Test(counter_table, at_most_256_names)
{
    struct counter_table t;
    char buf[32];

    counter_table_init(&t);
    for (int i = 0; i < MR_COUNTERS_MAX; i++) {
        snprintf(buf, sizeof(buf), "c%d", i);
        cr_assert_eq(counter_table_add(&t, buf, 1, false), 0, "%s",
                     counter_table_error(&t));
    }
    cr_assert_not(counter_table_failed(&t));
    cr_assert_eq(counter_table_add(&t, "one too many", 1, true), MR_EAPP);
    cr_assert(counter_table_failed(&t));
    cr_assert(strstr(counter_table_error(&t), "more than 256 distinct"),
              "%s", counter_table_error(&t));
    cr_assert(strstr(counter_table_error(&t), "\"one too many\""), "%s",
              counter_table_error(&t));
    /* Failed: no count is taken any more, not even of a known name. */
    cr_assert_eq(counter_table_add(&t, "c0", 1, false), MR_EAPP);
    cr_assert_eq(value_of(&t, "c0"), 1);
    counter_table_free(&t);
    cr_assert_not(counter_table_failed(&t));
}

Test(counter_table, names_that_break_a_rule)
{
    static const struct {
        const char *name, *why;
    } cases[] = {
        {"", "empty counter name"},
        {"tab\there", "control character"},
        {"del\x7f", "control character"},
        {"map input bytes", "the framework keeps itself"},
        {"failed attempts", "the framework keeps itself"},
        {NULL, "NULL counter name"},
    };
    struct counter_table t;
    char longest[MR_COUNTER_NAME_MAX + 2];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        counter_table_init(&t);
        cr_assert_eq(counter_table_add(&t, cases[i].name, 1, false),
                     MR_EAPP, "%s", cases[i].why);
        cr_assert(strstr(counter_table_error(&t), cases[i].why), "%s",
                  counter_table_error(&t));
        cr_assert_eq(t.n, 0);
        counter_table_free(&t);
    }
    memset(longest, 'x', MR_COUNTER_NAME_MAX);
    longest[MR_COUNTER_NAME_MAX] = '\0';
    counter_table_init(&t);
    cr_assert_eq(counter_table_add(&t, longest, 1, false), 0);
    longest[MR_COUNTER_NAME_MAX] = 'x';
    longest[MR_COUNTER_NAME_MAX + 1] = '\0';
    cr_assert_eq(counter_table_add(&t, longest, 1, false), MR_EAPP);
    cr_assert(strstr(counter_table_error(&t), "longer than 120 bytes"), "%s",
              counter_table_error(&t));
    counter_table_free(&t);
}

Test(counter_table, a_sum_stops_at_the_largest_value)
{
    struct counter_table t;

    counter_table_init(&t);
    cr_assert_eq(counter_table_add(&t, "big", UINT64_MAX - 1, true), 0);
    cr_assert_eq(counter_table_add(&t, "big", 5, true), 0);
    cr_assert_eq(value_of(&t, "big"), UINT64_MAX);
    counter_table_free(&t);
}

/* ---------------------------------------------------------------- the API */

/* An emitter and an output that count into a table, as the worker's do. */
struct test_emitter {
    struct mr_emitter base;
    struct counter_table *t;
    int literal_calls, name_calls;
};

static void
test_emit(struct mr_emitter *e, const char *k, size_t kl, const char *v,
          size_t vl)
{
    (void)e;
    (void)k;
    (void)kl;
    (void)v;
    (void)vl;
}

static void
test_count(struct mr_emitter *e, const char *name, uint64_t n, bool literal)
{
    struct test_emitter *te = (struct test_emitter *)e;

    if (literal)
        te->literal_calls++;
    else
        te->name_calls++;
    counter_table_add(te->t, name, n, literal);
}

struct test_output {
    struct mr_output base;
    struct counter_table *t;
};

static void
test_write(struct mr_output *o, const char *b, size_t n)
{
    (void)o;
    (void)b;
    (void)n;
}

static void
test_out_count(struct mr_output *o, const char *name, uint64_t n,
               bool literal)
{
    counter_table_add(((struct test_output *)o)->t, name, n, literal);
}

#define ODD "odd lines"

/* mr_count passes its literal as one; mr_count_name passes any string as
 * none; both reach the same counter through an emitter or an output. */
Test(counter_table, mr_count_and_mr_count_name)
{
    struct counter_table t;
    struct test_emitter e = {{test_emit, test_count, NULL}, &t, 0, 0};
    struct test_output o = {{test_write, test_out_count}, &t};
    char name[] = "odd lines";

    counter_table_init(&t);
    mr_count(&e.base, "odd lines", 1);
    mr_count(&e.base, ODD, 2);
    mr_count_name(&e.base, name, 3);
    mr_count(&o.base, "odd lines", 4);
    mr_count_name(&o.base, name, 5);
    cr_assert_eq(e.literal_calls, 2);
    cr_assert_eq(e.name_calls, 1);
    cr_assert_eq(t.n, 1);
    cr_assert_eq(value_of(&t, "odd lines"), 15);
    counter_table_free(&t);
}

/* A framework that does not count leaves count NULL: the helpers do
 * nothing. */
Test(counter_table, no_count_member_means_no_count)
{
    struct mr_emitter e = {test_emit, NULL, NULL};
    struct mr_output o = {test_write, NULL};

    mr_count(&e, "x", 1);
    mr_count(&o, "x", 1);
    mr_count_name(&e, "x", 1);
}
