/* Checking an app's combiner against its reduce with random groupings of
 * each key's values. See combinecheck.h for the method. */
#include "combinecheck.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counts.h"
#include "mr_err.h"

#define SHOW_BYTES  80          /* bytes of a key or result shown */
#define SHOW_LEN    (4 * SHOW_BYTES + 48)   /* escaped, quoted, "..." */
#define MAX_ROUNDS  3           /* rounds of combining per key */

/* ---------------------------------------------------------------- random */

/* splitmix64: small, fast, and good enough to pick groupings. */
static uint64_t
rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A number in [0, n), n >= 1, without modulo bias. */
static uint64_t
rng_below(uint64_t *state, uint64_t n)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % n, r;

    do
        r = rng_next(state);
    while (r >= limit);
    return r % n;
}

/* The key's own generator: the same seed and key give the same choices,
 * whatever other keys the input has. */
static uint64_t
rng_for_key(uint64_t seed, const char *key, size_t klen)
{
    uint64_t h = 14695981039346656037ULL;   /* FNV-1a */

    for (size_t i = 0; i < klen; i++)
        h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
    return seed ^ h;
}

static void
shuffle(struct combine_check_ref *v, size_t n, uint64_t *rng)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rng_below(rng, i);
        struct combine_check_ref t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

/* ---------------------------------------------------------------- buffers */

/* The check calls combine and reduce many times over on the same values:
 * what they count means nothing, and is dropped. */
static void
buf_count(struct mr_output *o, const char *name, uint64_t n, bool literal)
{
    (void)o;
    (void)name;
    (void)n;
    (void)literal;
}

static void
buf_write(struct mr_output *o, const char *bytes, size_t len)
{
    struct combine_check_buf *b = (struct combine_check_buf *)o;

    if (b->nomem)
        return;
    if (b->cap - b->len < len) {
        size_t cap = b->cap ? b->cap : 256;
        char *p;
        while (cap - b->len < len)
            cap *= 2;
        if ((p = realloc(b->data, cap)) == NULL) {
            b->nomem = true;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
    if (len > 0)                /* bytes may be NULL for nothing */
        memcpy(b->data + b->len, bytes, len);
    b->len += len;
}

static void
buf_clear(struct combine_check_buf *b)
{
    b->base.write = buf_write;
    b->base.count = buf_count;
    b->len = 0;
    b->nomem = false;
}

static bool
buf_equal(const struct combine_check_buf *a, const struct combine_check_buf *b)
{
    return a->len == b->len && (a->len == 0 ||
                                memcmp(a->data, b->data, a->len) == 0);
}

/* A list of refs, as the values of one reduce or combine call. */
struct ref_values {
    struct mr_values base;
    const struct combine_check_ref *v, *end;
};

static bool
ref_next(struct mr_values *values, const char **p, size_t *len)
{
    struct ref_values *rv = (struct ref_values *)values;

    if (rv->v == rv->end)
        return false;
    *p = rv->v->p;
    *len = rv->v->len;
    rv->v++;
    return true;
}

/* ---------------------------------------------------------------- messages */

/* Writes s[from..len) quoted, bytes outside printable ASCII as \xNN, cut
 * after SHOW_BYTES bytes; "..." outside the quotes marks bytes left out. */
static const char *
show(char out[SHOW_LEN], const char *s, size_t len, size_t from)
{
    size_t n = 0, end = len - from > SHOW_BYTES ? from + SHOW_BYTES : len;

    if (from > 0)
        n += (size_t)snprintf(out + n, SHOW_LEN - n, "...");
    out[n++] = '"';
    for (size_t i = from; i < end; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            n += (size_t)snprintf(out + n, SHOW_LEN - n, "\\%c", c);
        else if (c >= 0x20 && c < 0x7f)
            out[n++] = (char)c;
        else
            n += (size_t)snprintf(out + n, SHOW_LEN - n, "\\x%02x", c);
    }
    out[n++] = '"';
    out[n] = '\0';
    if (end < len)
        snprintf(out + n, SHOW_LEN - n, "... (%zu bytes)", len);
    return out;
}

/* Writes "key value" into line, the output line reduce's result makes. */
static int
output_line(struct combine_check_buf *line, const char *key, size_t klen,
            const struct combine_check_buf *value)
{
    buf_clear(line);
    buf_write(&line->base, key, klen);
    buf_write(&line->base, " ", 1);
    buf_write(&line->base, value->data, value->len);
    return line->nomem ? -ENOMEM : 0;
}

/* Fills msg for two results of reduce that differ: the lines they make,
 * shown from a little before their first difference. */
static int
explain_difference(struct combine_check *cc, const char *key, size_t klen,
                   const char *what, const char *first, const char *second,
                   char msg[COMBINE_CHECK_MSG_LEN])
{
    struct combine_check_buf a = {{buf_write, buf_count}, NULL, 0, 0,
                                  false};
    struct combine_check_buf b = {{buf_write, buf_count}, NULL, 0, 0,
                                  false};
    char k[SHOW_LEN], x[SHOW_LEN], y[SHOW_LEN];
    size_t d = 0, from;
    int rc = MR_EAPP;

    if (output_line(&a, key, klen, &cc->want) < 0 ||
        output_line(&b, key, klen, &cc->got) < 0) {
        rc = -ENOMEM;
        snprintf(msg, COMBINE_CHECK_MSG_LEN, "out of memory checking the "
                 "combiner");
        goto out_free;
    }
    while (d < a.len && d < b.len && a.data[d] == b.data[d])
        d++;
    from = d > SHOW_BYTES / 2 ? d - SHOW_BYTES / 4 : 0;
    snprintf(msg, COMBINE_CHECK_MSG_LEN, "%s for key %s: %s %s, %s %s (seed "
             "%llu; rerun with --seed %llu)", what,
             show(k, key, klen, 0), first, show(x, a.data, a.len, from),
             second, show(y, b.data, b.len, from),
             (unsigned long long)cc->seed, (unsigned long long)cc->seed);
out_free:
    free(a.data);
    free(b.data);
    return rc;
}

/* Fills msg with "WHAT for key "KEY" (seed ...)" and returns MR_EAPP. */
static int
fail_key(struct combine_check *cc, const char *key, size_t klen,
         const char *what, char msg[COMBINE_CHECK_MSG_LEN])
{
    char k[SHOW_LEN];

    snprintf(msg, COMBINE_CHECK_MSG_LEN, "%s for key %s (seed %llu; rerun "
             "with --seed %llu)", what, show(k, key, klen, 0),
             (unsigned long long)cc->seed, (unsigned long long)cc->seed);
    return MR_EAPP;
}

static int
out_of_memory(char msg[COMBINE_CHECK_MSG_LEN])
{
    snprintf(msg, COMBINE_CHECK_MSG_LEN, "out of memory checking the "
             "combiner");
    return -ENOMEM;
}

/* ---------------------------------------------------------------- calls */

/* Reduces v[0..n) into out. */
static int
call_reduce(struct combine_check *cc, const char *key, size_t klen,
            const struct combine_check_ref *v, size_t n,
            struct combine_check_buf *out, char msg[COMBINE_CHECK_MSG_LEN])
{
    struct ref_values rv = {{ref_next}, v, v + n};

    buf_clear(out);
    if (cc->app->reduce(key, klen, &rv.base, &out->base) != 0)
        return fail_key(cc, key, klen, "the app's reduce failed", msg);
    return out->nomem ? out_of_memory(msg) : 0;
}

/* Combines v[0..n) into one value, copied into the arena: the app's
 * combiner, or the sum of MR_COMBINER_SUM. */
static int
call_combine(struct combine_check *cc, const char *key, size_t klen,
             const struct combine_check_ref *v, size_t n,
             struct combine_check_ref *result,
             char msg[COMBINE_CHECK_MSG_LEN])
{
    struct ref_values rv = {{ref_next}, v, v + n};
    char *copy;

    cc->combines++;
    buf_clear(&cc->out);
    if (cc->sum) {
        uint64_t total = 0, x = 0;
        for (size_t i = 0; i < n; i++) {
            /* check_counts has made sure that this cannot fail. */
            count_parse(v[i].p, v[i].len, &x);
            total += x;
        }
        mr_write_u64(&cc->out.base, total);
    } else if (cc->app->combine(key, klen, &rv.base, &cc->out.base) != 0) {
        return fail_key(cc, key, klen, "the app's combiner failed", msg);
    }
    if (cc->out.nomem)
        return out_of_memory(msg);
    copy = arena_alloc(&cc->bytes, cc->out.len ? cc->out.len : 1);
    if (copy == NULL)
        return out_of_memory(msg);
    if (cc->out.len > 0)
        memcpy(copy, cc->out.data, cc->out.len);
    *result = (struct combine_check_ref){copy, cc->out.len};
    return 0;
}

/* ---------------------------------------------------------------- check */

bool
combine_check_applies(const struct mr_app *app)
{
    return app->builtin_combiner == MR_COMBINER_SUM || app->combine != NULL;
}

void
combine_check_init(struct combine_check *cc, const struct mr_app *app,
                   uint64_t seed)
{
    memset(cc, 0, sizeof(*cc));
    cc->app = app;
    cc->sum = app->builtin_combiner == MR_COMBINER_SUM;
    cc->seed = seed;
}

void
combine_check_free(struct combine_check *cc)
{
    free(cc->vals);
    free(cc->cur);
    free(cc->next);
    free(cc->want.data);
    free(cc->got.data);
    free(cc->out.data);
    arena_reset(&cc->bytes);
    memset(cc, 0, sizeof(*cc));
}

/* MR_COMBINER_SUM: what the map side requires of a key's values, whatever
 * map task they end up in: numbers, and a sum below 2^64. */
static int
check_counts(struct combine_check *cc, const char *key, size_t klen,
             size_t n, char msg[COMBINE_CHECK_MSG_LEN])
{
    char k[SHOW_LEN], v[SHOW_LEN];
    uint64_t total = 0, x;

    for (size_t i = 0; i < n; i++) {
        if (!count_parse(cc->vals[i].p, cc->vals[i].len, &x)) {
            snprintf(msg, COMBINE_CHECK_MSG_LEN, "the app declares "
                     "MR_COMBINER_SUM but emitted a value that is not a "
                     "whole number below 2^64 for key %s: %s",
                     show(k, key, klen, 0),
                     show(v, cc->vals[i].p, cc->vals[i].len, 0));
            return MR_EAPP;
        }
        if (total + x < total) {
            snprintf(msg, COMBINE_CHECK_MSG_LEN, "MR_COMBINER_SUM: the "
                     "values of key %s add up to 2^64 or more",
                     show(k, key, klen, 0));
            return MR_EAPP;
        }
        total += x;
    }
    return 0;
}

/* Reads values into cc->vals; returns how many, or -ENOMEM. */
static long long
collect(struct combine_check *cc, struct mr_values *values)
{
    const char *p;
    size_t len, n = 0;

    while (values->next(values, &p, &len)) {
        if (n == cc->cap) {
            size_t cap = cc->cap ? 2 * cc->cap : 1024;
            struct combine_check_ref *v[3] = {cc->vals, cc->cur, cc->next};
            for (int i = 0; i < 3; i++) {
                void *q = realloc(v[i], cap * sizeof(*v[i]));
                if (q == NULL)
                    return -ENOMEM;
                v[i] = q;
                cc->vals = v[0];
                cc->cur = v[1];
                cc->next = v[2];
            }
            cc->cap = cap;
        }
        cc->vals[n++] = (struct combine_check_ref){p, len};
    }
    return (long long)n;
}

/* One round: cur[0..*n) is shuffled, cut into groups of 1 to g values
 * (g itself random), and each group replaced by its combination; a group
 * of one is combined half of the time. Leaves the result in cur. */
static int
combine_round(struct combine_check *cc, const char *key, size_t klen,
              size_t *n, uint64_t *rng, char msg[COMBINE_CHECK_MSG_LEN])
{
    size_t g = 1 + (size_t)rng_below(rng, *n), m = 0;
    struct combine_check_ref *t;
    int rc;

    shuffle(cc->cur, *n, rng);
    for (size_t i = 0; i < *n;) {
        size_t size = 1 + (size_t)rng_below(rng, g);
        if (size > *n - i)
            size = *n - i;
        if (size == 1 && rng_below(rng, 2) == 0)
            cc->next[m] = cc->cur[i];
        else if ((rc = call_combine(cc, key, klen, cc->cur + i, size,
                                    &cc->next[m], msg)) != 0)
            return rc;
        m++;
        i += size;
    }
    t = cc->cur;
    cc->cur = cc->next;
    cc->next = t;
    *n = m;
    return 0;
}

int
combine_check_key(struct combine_check *cc, const char *key, size_t klen,
                  struct mr_values *values, char msg[COMBINE_CHECK_MSG_LEN])
{
    uint64_t rng = rng_for_key(cc->seed, key, klen);
    long long got = collect(cc, values);
    size_t n, rounds;
    int rc;

    if (got < 0)
        return out_of_memory(msg);
    n = (size_t)got;
    cc->keys++;
    arena_reset(&cc->bytes);
    if (cc->sum && (rc = check_counts(cc, key, klen, n, msg)) != 0)
        return rc;
    if ((rc = call_reduce(cc, key, klen, cc->vals, n, &cc->want, msg)) != 0)
        return rc;
    if (n == 0)
        return 0;
    /* Reduce alone, in another order: a difference here is reduce's. */
    memcpy(cc->cur, cc->vals, n * sizeof(*cc->vals));
    shuffle(cc->cur, n, &rng);
    if ((rc = call_reduce(cc, key, klen, cc->cur, n, &cc->got, msg)) != 0)
        return rc;
    if (!buf_equal(&cc->want, &cc->got))
        return explain_difference(cc, key, klen, "reduce gives another "
                                  "result when the values come in another "
                                  "order", "in one order", "in another",
                                  msg);
    rounds = 1 + (size_t)rng_below(&rng, MAX_ROUNDS);
    for (size_t r = 0; r < rounds; r++)
        if ((rc = combine_round(cc, key, klen, &n, &rng, msg)) != 0)
            return rc;
    shuffle(cc->cur, n, &rng);
    if ((rc = call_reduce(cc, key, klen, cc->cur, n, &cc->got, msg)) != 0)
        return rc;
    if (!buf_equal(&cc->want, &cc->got))
        return explain_difference(cc, key, klen, "the combiner changes the "
                                  "result", "without it", "with it", msg);
    return 0;
}
