/* Loading app modules: the real apps load, and so does one written in C++,
 * and ones built for older ABI versions (they also run); a missing file,
 * a file that is not ELF, a .so without the entry symbol (or with only a
 * C++ one) and one built for another ABI are each refused with a message
 * saying what is wrong. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "build_dir.h"
#include "maptask.h"
#include "reducetask.h"
#include "tmpdir.h"

static char apps[PATH_MAX];     /* build/apps, found from this binary */
static char test_apps[PATH_MAX];    /* build/tests/apps */
static char dir[64];

static void
setup(void)
{
    char build[PATH_MAX - 16];

    cr_assert_eq(build_dir_find(build, sizeof(build)), 0);
    snprintf(apps, sizeof(apps), "%s/apps", build);
    snprintf(test_apps, sizeof(test_apps), "%s/tests/apps", build);
    cr_assert_eq(tmpdir_create(dir, sizeof(dir), "app-test"), 0);
}

static void
teardown(void)
{
    cr_assert_eq(tmpdir_remove(dir), 0);
}

TestSuite(app, .init = setup, .fini = teardown);

/* Builds a tiny .so named name from source (file name name.ext) with
 * compiler (the words before the source: "cc -shared -fPIC ...") in the
 * temporary directory. */
static void
build_with(const char *compiler, const char *name, const char *ext,
           const char *source, char *path, size_t len)
{
    char src[128], cmd[1024];
    FILE *f;

    snprintf(src, sizeof(src), "%s/%s.%s", dir, name, ext);
    snprintf(path, len, "%s/%s.so", dir, name);
    cr_assert_not_null(f = fopen(src, "w"));
    fputs(source, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "%s -Iinclude %s -o %s", compiler, src, path);
    cr_assert_eq(system(cmd), 0, "cannot build %s", name);
}

/* Builds a tiny .so from C source in the temporary directory. */
static void
build_so(const char *name, const char *source, char *path, size_t len)
{
    build_with("cc -shared -fPIC", name, "c", source, path, len);
}

Test(app, every_lab_app_loads)
{
    const char *names[] = {"wc", "indexer", "mtiming", "rtiming", "jobcount",
                           "early_exit", "crash", "nocrash"};
    char path[PATH_MAX + 32], err[MR_ERR_LEN];
    struct app_module m;

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s.so", apps, names[i]);
        cr_assert_eq(app_load(path, &m, err), 0, "%s", err);
        cr_assert_str_eq(m.app->name, names[i]);
        cr_assert_not_null(m.app->map);
        cr_assert_not_null(m.app->reduce);
        app_unload(&m);
    }
}

/* What a map emitted: the pairs counted and their values added up; what
 * it counted with mr_count and mr_count_name. */
struct count_emitter {
    struct mr_emitter base;
    unsigned long long pairs, total;
    unsigned long long words, distinct;     /* its "words" and "distinct
                                               words" counters */
    int literal;                /* calls that passed a literal */
};

static void
count_count(struct mr_emitter *e, const char *name, uint64_t n, bool literal)
{
    struct count_emitter *ce = (struct count_emitter *)e;

    if (strcmp(name, "words") == 0)
        ce->words += n;
    else if (strcmp(name, "distinct words") == 0)
        ce->distinct += n;
    ce->literal += literal;
}

static void
count_emit(struct mr_emitter *e, const char *key, size_t klen,
           const char *val, size_t vlen)
{
    struct count_emitter *ce = (struct count_emitter *)e;

    (void)key;
    (void)klen;
    ce->pairs++;
    ce->total += mr_parse_u64(val, vlen);
}

/* A C++ module exports mr_app_entry with C linkage (include/mrapp.h's
 * extern "C"), loads, and its callbacks work when called from C, its
 * counts included. */
Test(app, a_cxx_module_loads)
{
    static const char text[] = "the cat and the hat, the end";
    struct count_emitter ce = {{count_emit, count_count, NULL}, 0, 0, 0, 0, 0};
    char path[PATH_MAX + 32], err[MR_ERR_LEN];
    struct app_module m;

    snprintf(path, sizeof(path), "%s/cxxwc.so", test_apps);
    cr_assert_eq(app_load(path, &m, err), 0, "%s (built by 'make test')",
                 err);
    cr_assert_str_eq(m.app->name, "cxxwc");
    cr_assert_not_null(m.app->combine);
    cr_assert_eq(m.app->map("t.txt", text, sizeof(text) - 1, &ce.base), 0);
    cr_assert_eq(ce.pairs, 5, "distinct words: %llu", ce.pairs);
    cr_assert_eq(ce.total, 7, "words: %llu", ce.total);
    /* mr_count and mr_count_name work from C++. */
    cr_assert_eq(ce.words, 7);
    cr_assert_eq(ce.distinct, 5);
    cr_assert_eq(ce.literal, 5, "one literal call per distinct word");
    app_unload(&m);
}

/* A C++ module that wraps the header in extern "C" builds (make test
 * builds it) and counts. */
Test(app, a_cxx_module_wrapping_the_header_in_extern_c)
{
    struct count_emitter ce = {{count_emit, count_count, NULL}, 0, 0, 0, 0, 0};
    char path[PATH_MAX + 32], err[MR_ERR_LEN];
    struct app_module m;

    snprintf(path, sizeof(path), "%s/cxxexternc.so", test_apps);
    cr_assert_eq(app_load(path, &m, err), 0, "%s (built by 'make test')",
                 err);
    cr_assert_str_eq(m.app->name, "cxxexternc");
    cr_assert_eq(m.app->map("t.txt", "x", 1, &ce.base), 0);
    cr_assert_eq(ce.literal, 1, "mr_count passed the literal once");
    cr_assert_eq(ce.pairs, 0);
    app_unload(&m);
}

Test(app, missing_file)
{
    char err[MR_ERR_LEN];
    struct app_module m;

    cr_assert_eq(app_load("/nonexistent/app.so", &m, err), -ENOENT);
    cr_assert(strstr(err, "/nonexistent/app.so"), "%s", err);
    cr_assert(strstr(err, "No such file"), "%s", err);
}

Test(app, not_an_elf_file)
{
    char path[128], err[MR_ERR_LEN];
    struct app_module m;
    FILE *f;

    snprintf(path, sizeof(path), "%s/text.so", dir);
    f = fopen(path, "w");
    fputs("this is not a shared object\n", f);
    fclose(f);
    cr_assert_eq(app_load(path, &m, err), MR_EBADAPP);
    cr_assert(strstr(err, "not a loadable app module"), "%s", err);
    cr_assert(strstr(err, "invalid ELF header") || strstr(err, "too short"),
              "dlerror() missing: %s", err);
}

Test(app, a_directory)
{
    char err[MR_ERR_LEN];
    struct app_module m;

    cr_assert_eq(app_load(dir, &m, err), MR_EBADAPP);
    cr_assert(strstr(err, "not a regular file"), "%s", err);
}

Test(app, missing_entry_symbol)
{
    char path[128], err[MR_ERR_LEN];
    struct app_module m;

    build_so("noentry", "int not_an_app(void) { return 1; }\n", path,
             sizeof(path));
    cr_assert_eq(app_load(path, &m, err), MR_EBADAPP);
    cr_assert(strstr(err, "mr_app_entry"), "%s", err);
    cr_assert(strstr(err, "undefined symbol"), "dlerror() missing: %s", err);
}

/* An entry point defined by hand, in a module built with hidden
 * visibility (as the Makefile builds apps): the header's declaration
 * exports it. */
Test(app, hand_written_entry_with_hidden_visibility_loads)
{
    char path[128], err[MR_ERR_LEN];
    struct app_module m;

    build_with("cc -shared -fPIC -fvisibility=hidden", "hand", "c",
               "#include \"mrapp.h\"\n"
               "static int m(const char *f, const char *d, size_t n,\n"
               "             struct mr_emitter *e)\n"
               "{ (void)f; (void)d; (void)n; (void)e; return 0; }\n"
               "static int r(const char *k, size_t n, struct mr_values *v,\n"
               "             struct mr_output *o)\n"
               "{ (void)k; (void)n; (void)v; (void)o; return 0; }\n"
               "const struct mr_app *mr_app_entry(void) {\n"
               "    static const struct mr_app a = {MR_APP_ABI_VERSION, \"hand\",\n"
               "                                    m, r, 0, 0};\n"
               "    return &a;\n"
               "}\n", path, sizeof(path));
    cr_assert_eq(app_load(path, &m, err), 0, "%s", err);
    cr_assert_str_eq(m.app->name, "hand");
    app_unload(&m);
}

/* A C++ entry point inside a namespace has a mangled name: the message
 * names it and says what to do. */
Test(app, cxx_entry_in_a_namespace_is_named)
{
    char path[128], err[MR_ERR_LEN];
    struct app_module m;

    build_with("g++ -shared -fPIC", "ns", "cc",
               "#include \"mrapp.h\"\n"
               "namespace mine {\n"
               "const mr_app *mr_app_entry() { return nullptr; }\n"
               "}\n", path, sizeof(path));
    cr_assert_eq(app_load(path, &m, err), MR_EBADAPP);
    cr_expect(strstr(err, "_ZN4mine12mr_app_entryEv"), "%s", err);
    cr_expect(strstr(err, "not in a namespace"), "%s", err);
}

Test(app, wrong_abi_version)
{
    char path[128], err[MR_ERR_LEN];
    struct app_module m;

    build_so("oldabi",
             "#include \"mrapp.h\"\n"
             "static int m(const char *f, const char *d, size_t n,\n"
             "             struct mr_emitter *e)\n"
             "{ (void)f; (void)d; (void)n; (void)e; return 0; }\n"
             "static int r(const char *k, size_t n, struct mr_values *v,\n"
             "             struct mr_output *o)\n"
             "{ (void)k; (void)n; (void)v; (void)o; return 0; }\n"
             "const struct mr_app *mr_app_entry(void) {\n"
             "    static const struct mr_app a = {999, \"old\", m, r, 0, 0};\n"
             "    return &a;\n"
             "}\n", path, sizeof(path));
    cr_assert_eq(app_load(path, &m, err), MR_EBADAPP);
    cr_assert(strstr(err, "ABI version 999"), "%s", err);
}

/* A module built before builtin_combiner existed has a shorter table: it
 * loads, and the field it lacks reads as zero rather than past its end. */
Test(app, a_version_1_module_still_loads)
{
    char path[128], err[MR_ERR_LEN];
    struct app_module m;

    build_so("v1",
             "#include <stddef.h>\n"
             "#include <stdint.h>\n"
             "struct v1_app { uint32_t abi; const char *name;\n"
             "                void *map, *reduce, *combine; };\n"
             "static int f(void) { return 0; }\n"
             "const struct v1_app *mr_app_entry(void) {\n"
             "    static const struct v1_app a = {1, \"v1\", (void *)f,\n"
             "                                    (void *)f, NULL};\n"
             "    return &a;\n"
             "}\n", path, sizeof(path));
    cr_assert_eq(app_load(path, &m, err), 0, "%s", err);
    cr_assert_str_eq(m.app->name, "v1");
    cr_assert_eq(m.app->builtin_combiner, MR_COMBINER_APP);
    cr_assert_null(m.app->combine);
    app_unload(&m);
}

/* A module built for ABI version 3 has no map_line: it loads, with
 * map_line NULL rather than read past its table's end. */
Test(app, a_version_3_module_loads_without_map_line)
{
    char path[128], err[MR_ERR_LEN];
    struct app_module m;

    build_so("v3",
             "#include <stddef.h>\n"
             "#include <stdint.h>\n"
             "struct v3_app { uint32_t abi; const char *name;\n"
             "                void *map, *reduce, *combine;\n"
             "                uint32_t builtin; };\n"
             "static int f(void) { return 0; }\n"
             "const struct v3_app *mr_app_entry(void) {\n"
             "    static const struct v3_app a = {3, \"v3\", (void *)f,\n"
             "                                    (void *)f, NULL, 1};\n"
             "    return &a;\n"
             "}\n", path, sizeof(path));
    cr_assert_eq(app_load(path, &m, err), 0, "%s", err);
    cr_assert_not_null(m.app->map);
    cr_assert_null(m.app->map_line);
    cr_assert_eq(m.app->builtin_combiner, MR_COMBINER_SUM);
    app_unload(&m);
}

/* An app maps whole inputs or lines: a table with both, or neither, is
 * refused in one line saying so; MR_APP_LINES declares the line form. */
Test(app, a_table_has_map_or_map_line_not_both)
{
    static const char *const tables[] = {
        "MR_APP_TABLE_FULL(\"both\", m, r, NULL, 0, ml)\n",
        "MR_APP_TABLE_FULL(\"neither\", NULL, r, NULL, 0, NULL)\n",
        "MR_APP_LINES(\"lines\", ml, r, NULL)\n",
    };
    static const char *const expected[] = {"both map and map_line",
                                           "no map callback", NULL};
    char path[128], err[MR_ERR_LEN], src[1024];
    struct app_module m;

    for (size_t i = 0; i < 3; i++) {
        snprintf(src, sizeof(src),
                 "#include \"mrapp.h\"\n"
                 "static int m(const char *f, const char *d, size_t n,\n"
                 "             struct mr_emitter *e)\n"
                 "{ (void)f; (void)d; (void)n; (void)e; return 0; }\n"
                 "static int ml(const char *f, uint64_t o, const char *d,\n"
                 "              size_t n, struct mr_emitter *e)\n"
                 "{ (void)f; (void)o; (void)d; (void)n; (void)e; return 0; }\n"
                 "static int r(const char *k, size_t n, struct mr_values *v,\n"
                 "             struct mr_output *o)\n"
                 "{ (void)k; (void)n; (void)v; (void)o; return 0; }\n"
                 "%s%s", i == 2 ? "" : "static void *keep[] = {m, ml};\n"
                 "void *mapped(void) { return keep; }\n", tables[i]);
        build_so(i == 0 ? "both" : i == 1 ? "neither" : "lines", src, path,
                 sizeof(path));
        if (expected[i] == NULL) {
            cr_assert_eq(app_load(path, &m, err), 0, "%s", err);
            cr_assert_null(m.app->map);
            cr_assert_not_null(m.app->map_line);
            app_unload(&m);
        } else {
            cr_assert_eq(app_load(path, &m, err), MR_EBADAPP);
            cr_assert(strstr(err, expected[i]), "%s", err);
        }
    }
}

/* A module built for ABI version 2, before counting: its emitter and
 * output are the shorter structs of then. It loads, and runs as a map
 * task and a reduce task of this worker, whose structs are longer. */
Test(app, a_version_2_module_still_loads_and_runs)
{
    char path[128], err[MR_ERR_LEN], input[160], im[160], out[160];
    const char *inputs[1] = {im};
    struct reduce_stats rst;
    struct map_stats mst;
    struct app_module m;
    char text[64] = "";
    FILE *f;

    build_so("v2",
             "#include <stdbool.h>\n"
             "#include <stddef.h>\n"
             "#include <stdint.h>\n"
             "#include <string.h>\n"
             "struct mr_emitter { void (*emit)(struct mr_emitter *,\n"
             "    const char *, size_t, const char *, size_t); };\n"
             "struct mr_values { bool (*next)(struct mr_values *,\n"
             "    const char **, size_t *); };\n"
             "struct mr_output { void (*write)(struct mr_output *,\n"
             "    const char *, size_t); };\n"
             "struct v2_app { uint32_t abi; const char *name;\n"
             "    void *map, *reduce, *combine; uint32_t builtin; };\n"
             "static int m(const char *f, const char *d, size_t n,\n"
             "             struct mr_emitter *e) {\n"
             "    (void)f;\n"
             "    for (size_t i = 0; i < n; i++)\n"
             "        if (d[i] == '\\n') e->emit(e, \"lines\", 5, \"1\", 1);\n"
             "    return 0;\n"
             "}\n"
             "static int r(const char *k, size_t kl, struct mr_values *v,\n"
             "             struct mr_output *o) {\n"
             "    const char *s; size_t sl; char c = '0';\n"
             "    (void)k; (void)kl;\n"
             "    while (v->next(v, &s, &sl)) c++;\n"
             "    o->write(o, &c, 1);\n"
             "    return 0;\n"
             "}\n"
             "const struct v2_app *mr_app_entry(void) {\n"
             "    static const struct v2_app a = {2, \"v2\", (void *)m,\n"
             "                                    (void *)r, NULL, 0};\n"
             "    return &a;\n"
             "}\n", path, sizeof(path));
    cr_assert_eq(app_load(path, &m, err), 0, "%s", err);
    cr_assert_str_eq(m.app->name, "v2");
    snprintf(input, sizeof(input), "%s/in.txt", dir);
    snprintf(im, sizeof(im), "%s/mr-im-0-1", dir);
    snprintf(out, sizeof(out), "%s/mr-out-0", dir);
    cr_assert_not_null(f = fopen(input, "w"));
    fputs("one\ntwo\nthree\n", f);
    fclose(f);
    {
        struct map_input in = {.name = input, .whole = true};
        struct counter_table t;
        counter_table_init(&t);
        cr_assert_eq(map_run(m.app, &in, 1, im, dir, 0, &t, &mst, err), 0,
                     "%s", err);
        cr_assert_eq(mst.records_in, 3);
        cr_assert_eq(t.n, 0);
        counter_table_free(&t);
    }
    cr_assert_eq(reduce_run(m.app, inputs, 1, 0, 1, out, false, &rst, err),
                 0, "%s", err);
    cr_assert_not_null(f = fopen(out, "r"));
    cr_assert_not_null(fgets(text, sizeof(text), f));
    fclose(f);
    cr_assert_str_eq(text, "lines 3\n");
    app_unload(&m);
}

Test(app, an_unknown_builtin_combiner)
{
    char path[128], err[MR_ERR_LEN];
    struct app_module m;

    build_so("newcomb",
             "#include \"mrapp.h\"\n"
             "static int m(const char *f, const char *d, size_t n,\n"
             "             struct mr_emitter *e)\n"
             "{ (void)f; (void)d; (void)n; (void)e; return 0; }\n"
             "static int r(const char *k, size_t n, struct mr_values *v,\n"
             "             struct mr_output *o)\n"
             "{ (void)k; (void)n; (void)v; (void)o; return 0; }\n"
             "MR_APP_TABLE(\"newcomb\", m, r, NULL, 77)\n",
             path, sizeof(path));
    cr_assert_eq(app_load(path, &m, err), MR_EBADAPP);
    cr_assert(strstr(err, "built-in combiner 77"), "%s", err);
}

Test(app, a_bare_name_means_the_current_directory)
{
    char path[128], err[MR_ERR_LEN], cwd[PATH_MAX];
    struct app_module m;

    build_so("noentry", "int x(void) { return 1; }\n", path, sizeof(path));
    cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
    cr_assert_eq(chdir(dir), 0);
    /* Found as ./noentry.so, not searched for in the library path. */
    cr_assert_eq(app_load("noentry.so", &m, err), MR_EBADAPP);
    cr_assert(strstr(err, "mr_app_entry"), "%s", err);
    cr_assert_eq(chdir(cwd), 0);
}
