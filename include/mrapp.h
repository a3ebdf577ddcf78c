/* The contract between the MapReduce framework and an app module: the one
 * header an app author needs.
 *
 * An app is a shared object built from one C file, with this header
 * installed (make install; see mrapp(3)):
 *
 *     cc -shared -fPIC -O2 $(pkg-config --cflags mrapp) myapp.c -o myapp.so
 *
 * (or -Iinclude from the repository) or from C++ (the declarations below
 * have C linkage, so the entry point keeps its C name; let no exception
 * escape a callback):
 *
 *     g++ -shared -fPIC -O2 $(pkg-config --cflags mrapp) myapp.cc -o myapp.so
 *
 * It defines mr_app_entry(), which returns a table of callbacks and the ABI
 * version it was built against. The worker loads it with dlopen(RTLD_NOW |
 * RTLD_LOCAL) and refuses a module built for a newer ABI than its own;
 * modules built for older versions still load.
 *
 * Keys and values are byte strings with explicit lengths: they need not be
 * NUL-terminated and may hold any byte. Pointers handed to a callback are
 * valid only during that call; copy what must outlive it.
 *
 * Output lines are written by the framework as "%s %s\n": the key, a space,
 * the value the reduce callback wrote.
 *
 * Example, a word count (see apps/wc.c for the full one):
 *
 *     static int
 *     wc_map(const char *file, const char *data, size_t len,
 *            struct mr_emitter *out)
 *     {
 *         for each word w in data:
 *             mr_emit(out, w, wlen, "1", 1);
 *         return 0;
 *     }
 *
 *     static int
 *     wc_reduce(const char *key, size_t klen, struct mr_values *values,
 *               struct mr_output *out)
 *     {
 *         const char *v; size_t vlen; unsigned long long n = 0;
 *         while (mr_values_next(values, &v, &vlen))
 *             n += mr_parse_u64(v, vlen);
 *         mr_write_u64(out, n);
 *         return 0;
 *     }
 *
 *     MR_APP("wc", wc_map, wc_reduce, wc_reduce);
 *
 * A word count's combiner only adds numbers, so apps/wc.c declares that
 * instead, with MR_APP_SUMMING("wc", wc_map, wc_reduce): the framework then
 * keeps one 64-bit sum per distinct key while mapping, with no call into
 * the app per value, which is several times cheaper.
 *
 * The combiner contract. A combiner may run zero, one or many times per
 * key, on any subset of the key's values in any order, and again on its own
 * earlier output (the map side combines as pairs arrive, at every spill and
 * at every merge of spills). So for every way of grouping a key's values,
 * reduce over (combine(some), combine(others)..., the rest) must equal
 * reduce over all the values: the combiner must be associative and
 * commutative in that sense (a sum or a maximum is; an average of averages
 * is not), and the one value it writes must be one that reduce, and
 * combine itself, accept as an input value. `mrsequential
 * --check-combiner APP.so FILE...` tests an app against this on real input:
 * it combines random groups of each key's values over several rounds and
 * compares reduce's results with and without.
 *
 * Apps that think in lines. An app whose map looks at one line at a time
 * declares a map_line callback instead, with MR_APP_LINES (or
 * MR_APP_LINES_SUMMING): the framework cuts the input at '\n' and calls it
 * once per line, with the line's byte offset in the input file and the
 * line without its '\n' (any '\r' stays: the bytes are the file's). An
 * empty line is a call with len 0; a last line without '\n' is a line.
 *
 *     static int
 *     grep_map(const char *file, uint64_t offset, const char *line,
 *              size_t len, struct mr_emitter *out)
 *     {
 *         if (memmem(line, len, "ERROR", 5) != NULL)
 *             mr_emit(out, file, strlen(file), "1", 1);
 *         return 0;
 *     }
 *
 *     MR_APP_LINES_SUMMING("errors", grep_map, count_reduce);
 *
 * Lines are also what a job can skip: with --skip-bad-records, a line whose
 * map kills the worker (a segfault, an abort) in two attempts of its task
 * is left out of the next attempt, and the job lists it (docs/status.md).
 * A whole-input map has no lines to skip: it is retried as always.
 *
 * Counting. map, combine and reduce may add to named counters of their
 * own, which the job adds up over the attempts that won (a task retried or
 * backed up counts once) and shows in mrstatus, the status page and the
 * success marker, next to the framework's own (docs/counters.md):
 *
 *     if (line_is_bad)
 *         mr_count(out, "bad lines", 1);
 *
 * out is the callback's struct mr_emitter or struct mr_output. The name of
 * mr_count must be a string literal (or a macro that expands to one; the
 * call does not compile otherwise): the framework knows it by its address
 * after the first call, so a repeated call costs a call through a pointer,
 * a pointer compare and an add (5 ns measured); counting every record of a
 * hot loop is fine. mr_count_name takes any NUL-terminated string (one
 * built with snprintf, say) and finds it by its contents, a hash and a
 * compare per call (30 ns for a name of 17 bytes). A name is 1 to MR_COUNTER_NAME_MAX bytes without
 * control characters, and not one of the framework's (docs/counters.md
 * lists them); a task may use MR_COUNTERS_MAX distinct names. A name that
 * breaks these rules fails the task, saying why: counters are for a few
 * totals, not one per key (emit pairs for those).
 */
#ifndef MRAPP_H
#define MRAPP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a struct below changes shape. Version 2 added
 * builtin_combiner; version 3 added counting (the count members of
 * struct mr_emitter and struct mr_output, mr_count); version 4 added
 * map_line (MR_APP_LINES); version 5 added emitting pairs in batches
 * (struct mr_emitter's emit_batch, mr_emit_batch). The framework
 * allocates both structs, so a module of an older version, which never
 * reads the new members, runs unchanged; the members an older table lacks
 * read as zero. */
#define MR_APP_ABI_VERSION 5

/* A counter's name: at most this many bytes, and this many distinct names
 * per task (see "Counting" above). */
#define MR_COUNTER_NAME_MAX 120
#define MR_COUNTERS_MAX     256

/* One key/value pair, for mr_emit_batch: pointers to the app's bytes. */
struct mr_pair {
    const char *key;
    size_t klen;
    const char *value;
    size_t vlen;
};

/* Receives the map callback's key/value pairs. The framework copies them. */
struct mr_emitter {
    void (*emit)(struct mr_emitter *self, const char *key, size_t klen,
                 const char *value, size_t vlen);
    /* Since ABI version 3: adds n to the counter name (mr_count); literal
     * says that name is a string literal, which the framework may know by
     * its address. NULL in a framework that does not count: the helpers
     * then do nothing. */
    void (*count)(struct mr_emitter *self, const char *name, uint64_t n,
                  bool literal);
    /* Since ABI version 5: emits pairs[0..n) as n calls of emit would,
     * in fewer calls and with the keys looked up together (mr_emit_batch).
     * NULL in a framework without it: the helper then calls emit. */
    void (*emit_batch)(struct mr_emitter *self, const struct mr_pair *pairs,
                       size_t n);
};

/* The values of one key, in no particular order. next() returns false when
 * there are no more; values a reduce does not read are skipped. */
struct mr_values {
    bool (*next)(struct mr_values *self, const char **value, size_t *len);
};

/* Where reduce (or combine) writes the value for its key; several writes
 * are concatenated. */
struct mr_output {
    void (*write)(struct mr_output *self, const char *bytes, size_t len);
    /* Since ABI version 3: as struct mr_emitter's count. */
    void (*count)(struct mr_output *self, const char *name, uint64_t n,
                  bool literal);
};

/* Called once per input file (or split of one) with its whole contents.
 * Returns 0, or non-zero to fail the task (it is then retried). */
typedef int mr_map_fn(const char *filename, const char *data, size_t len,
                      struct mr_emitter *out);

/* Since ABI version 4: called once per line of the input file (or split
 * of one), in order, with the line's byte offset in the file and its bytes
 * without the '\n'. Returns 0, or non-zero to fail the task. */
typedef int mr_map_line_fn(const char *filename, uint64_t offset,
                           const char *line, size_t len,
                           struct mr_emitter *out);

/* Called once per key with all of its values. Returns 0 or non-zero. */
typedef int mr_reduce_fn(const char *key, size_t klen,
                         struct mr_values *values, struct mr_output *out);

struct mr_app {
    uint32_t abi_version;       /* MR_APP_ABI_VERSION */
    const char *name;
    mr_map_fn *map;             /* this or map_line, not both */
    mr_reduce_fn *reduce;       /* required */
    /* Optional map-side pre-reduction: called on some of a key's values,
     * it writes one value that stands for them all. NULL when the app has
     * none. It may run zero, one or many times per key, on any subset of
     * the values in any order, and on its own earlier output: reduce over
     * any mix of combined and original values must give what reduce over
     * the originals gives (wc: a sum of counts; not a mean of means), and
     * its output must be a value reduce and combine accept as input. Test
     * an app with mrsequential --check-combiner. */
    mr_reduce_fn *combine;
    /* Since ABI version 2: a combiner the framework runs itself, one of
     * enum mr_builtin_combiner. When set, combine is not called. */
    uint32_t builtin_combiner;
    /* Since ABI version 4: the per-line map (MR_APP_LINES), when map is
     * NULL. */
    mr_map_line_fn *map_line;
};

enum mr_builtin_combiner {
    MR_COMBINER_APP = 0,        /* the combine callback, if not NULL */
    /* Every value the map emits is an unsigned decimal number below 2^64
     * ("1", "42"), and one value holding their sum stands for them all. A
     * map that emits anything else fails its task, saying so. */
    MR_COMBINER_SUM = 1,
};

/* The one symbol the worker looks up. Declared here with C linkage and
 * default visibility, so that a definition of its own (rather than
 * MR_APP's) is still found when built with -fvisibility=hidden or as C++;
 * in C++ it must be at file scope, not inside a namespace, or it gets a
 * C++ name the worker does not look for. */
#define MR_APP_ENTRY_SYMBOL "mr_app_entry"
__attribute__((visibility("default"))) const struct mr_app *
mr_app_entry(void);

/* Defines mr_app_entry() for an app. combine may be NULL. */
#define MR_APP(app_name, map_fn, reduce_fn, combine_fn)                     \
    MR_APP_TABLE(app_name, map_fn, reduce_fn, combine_fn, MR_COMBINER_APP)

/* Defines mr_app_entry() for an app whose values are decimal counts that
 * combine by adding up (MR_COMBINER_SUM). */
#define MR_APP_SUMMING(app_name, map_fn, reduce_fn)                         \
    MR_APP_TABLE(app_name, map_fn, reduce_fn, NULL, MR_COMBINER_SUM)

/* Defines mr_app_entry() for an app whose map is called once per line
 * (mr_map_line_fn). combine may be NULL. */
#define MR_APP_LINES(app_name, map_line_fn, reduce_fn, combine_fn)          \
    MR_APP_TABLE_FULL(app_name, NULL, reduce_fn, combine_fn,                \
                      MR_COMBINER_APP, map_line_fn)

/* The same, for values that combine by adding up (MR_COMBINER_SUM). */
#define MR_APP_LINES_SUMMING(app_name, map_line_fn, reduce_fn)              \
    MR_APP_TABLE_FULL(app_name, NULL, reduce_fn, NULL, MR_COMBINER_SUM,     \
                      map_line_fn)

/* Each MR_APP... is a function definition: the ';' after it may be left
 * out. ISO C (-pedantic) warns of an empty declaration at file scope: in C
 * built with -pedantic, leave it out. */

#ifdef __cplusplus
#define MR__LINKAGE extern "C"
#else
#define MR__LINKAGE
#endif

#define MR_APP_TABLE(app_name, map_fn, reduce_fn, combine_fn, builtin)       \
    MR_APP_TABLE_FULL(app_name, map_fn, reduce_fn, combine_fn, builtin, NULL)

#define MR_APP_TABLE_FULL(app_name, map_fn, reduce_fn, combine_fn, builtin,  \
                          map_line_fn)                                       \
    MR__LINKAGE __attribute__((visibility("default")))                       \
    const struct mr_app *mr_app_entry(void)                                  \
    {                                                                        \
        static const struct mr_app app = {MR_APP_ABI_VERSION, app_name,      \
                                          map_fn, reduce_fn, combine_fn,     \
                                          builtin, map_line_fn};             \
        return &app;                                                         \
    }

/* ---------------------------------------------------------------- helpers */

static inline void
mr_emit(struct mr_emitter *e, const char *key, size_t klen, const char *value,
        size_t vlen)
{
    e->emit(e, key, klen, value, vlen);
}

/* Emits pairs[0..n), as mr_emit on each in turn would. Cheaper per pair
 * for an app that emits many small pairs (apps/wc.c gathers 64 words at a
 * time): the framework takes them in one call and looks their keys up
 * together, so the table's cache misses overlap. The pairs' bytes are
 * copied; pairs and what they point to may be reused once it returns. */
static inline void
mr_emit_batch(struct mr_emitter *e, const struct mr_pair *pairs, size_t n)
{
    if (e->emit_batch != NULL) {
        e->emit_batch(e, pairs, n);
        return;
    }
    for (size_t i = 0; i < n; i++)
        e->emit(e, pairs[i].key, pairs[i].klen, pairs[i].value,
                pairs[i].vlen);
}

static inline bool
mr_values_next(struct mr_values *v, const char **value, size_t *len)
{
    return v->next(v, value, len);
}

static inline void
mr_write(struct mr_output *o, const char *bytes, size_t len)
{
    o->write(o, bytes, len);
}

/* Writes n in decimal. */
static inline void
mr_write_u64(struct mr_output *o, unsigned long long n)
{
    char buf[24];
    size_t i = sizeof(buf);

    do
        buf[--i] = (char)('0' + n % 10);
    while ((n /= 10) != 0);
    o->write(o, buf + i, sizeof(buf) - i);
}

/* Parses a decimal prefix of s[0..len); stops at the first non-digit. */
static inline unsigned long long
mr_parse_u64(const char *s, size_t len)
{
    unsigned long long n = 0;

    for (size_t i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
        n = n * 10 + (unsigned long long)(s[i] - '0');
    return n;
}

/* The sum of a key's values read as decimal counts (mr_parse_u64): the
 * reduce of a counting app such as the word count. */
static inline unsigned long long
mr_sum_values(struct mr_values *values)
{
    unsigned long long n = 0;
    const char *v;
    size_t vlen;

    while (mr_values_next(values, &v, &vlen))
        n += mr_parse_u64(v, vlen);
    return n;
}

/* mr_count(out, "literal name", n) and mr_count_name(out, name, n): see
 * "Counting" at the top. out is a struct mr_emitter * (in map) or a struct
 * mr_output * (in combine and reduce). */
#define mr_count(out, name, n) mr__count((out), "" name "", (uint64_t)(n), 1)
#define mr_count_name(out, name, n) mr__count((out), (name), (uint64_t)(n), 0)

static inline void
mr__count_emitter(struct mr_emitter *e, const char *name, uint64_t n,
                  bool literal)
{
    if (e->count != NULL)
        e->count(e, name, n, literal);
}

static inline void
mr__count_output(struct mr_output *o, const char *name, uint64_t n,
                 bool literal)
{
    if (o->count != NULL)
        o->count(o, name, n, literal);
}

#ifdef __cplusplus
}

/* C++ has no _Generic: overloads, with C++ linkage even when an app
 * includes this header inside its own extern "C" block. */
extern "C++" {
static inline void
mr__count(struct mr_emitter *e, const char *name, uint64_t n, bool literal)
{
    mr__count_emitter(e, name, n, literal);
}

static inline void
mr__count(struct mr_output *o, const char *name, uint64_t n, bool literal)
{
    mr__count_output(o, name, n, literal);
}
}
#else
/* __extension__: _Generic is C11, and this header is also for C99. */
#define mr__count(out, name, n, literal)                                     \
    __extension__ _Generic((out),                                            \
                           struct mr_emitter *: mr__count_emitter,           \
                           struct mr_output *: mr__count_output)(            \
        (out), (name), (n), (literal))
#endif

#endif
