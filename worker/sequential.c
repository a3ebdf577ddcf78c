/* mrsequential: the one-process reference. Maps every file, sorts all pairs
 * in memory, reduces each key and writes mr-out-0. Deliberately shares none
 * of the distributed data path (no partitions, combining, intermediate files
 * or merging; its own collecting, sorting and grouping) so that it can check
 * it. What it shares is the contract both must meet: the allocator, the
 * order of keys (keys.h), and the output file with its line format
 * (file_output_line), so that the two cannot differ in format by accident;
 * test-records.sh checks that format itself against awk. With
 * --check-combiner it writes nothing and instead checks the app's combiner
 * against its reduce, key by key (combinecheck.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "app_name.h"
#include "arena.h"
#include "atomic_file.h"
#include "cli.h"
#include "combinecheck.h"
#include "counter_table.h"
#include "exec_cli.h"
#include "exec_signals.h"
#include "exec_task.h"
#include "exit_codes.h"
#include "file_output.h"
#include "input_list.h"
#include "keys.h"
#include "log.h"
#include "maptask.h"
#include "split_data.h"

struct pair {
    const char *key, *val;      /* in the arena */
    uint32_t klen, vlen;
};

struct pairs {
    struct mr_emitter emitter;  /* first: the app emits here */
    struct pair *v;
    size_t n, cap;
    struct arena bytes;         /* every key and value, copied */
    struct counter_table counters;      /* the app's mr_count calls, in
                                   map and reduce */
};

static const char *
copy_bytes(struct pairs *ps, const char *p, size_t len)
{
    char *q = arena_alloc(&ps->bytes, len);

    if (q == NULL) {
        fprintf(stderr, "mrsequential: out of memory\n");
        exit(1);
    }
    memcpy(q, p, len);
    return q;
}

static void
collect(struct mr_emitter *e, const char *key, size_t klen, const char *val,
        size_t vlen)
{
    struct pairs *ps = (struct pairs *)e;

    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 1024;
        ps->v = realloc(ps->v, ps->cap * sizeof(*ps->v));
        if (ps->v == NULL) {
            fprintf(stderr, "mrsequential: out of memory\n");
            exit(1);
        }
    }
    ps->v[ps->n++] = (struct pair){copy_bytes(ps, key, klen),
                                   copy_bytes(ps, val, vlen),
                                   (uint32_t)klen, (uint32_t)vlen};
}

/* A refused count stays in the table, checked after each map. */
static void
count(struct mr_emitter *e, const char *name, uint64_t n, bool literal)
{
    counter_table_add(&((struct pairs *)e)->counters, name, n, literal);
}

static int
pair_compare(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;

    return key_compare(x->key, x->klen, y->key, y->klen);
}

/* The values of pairs [next, end), for reduce. */
struct seq_values {
    struct mr_values base;
    const struct pair *v;
    size_t next, end;
};

static bool
seq_next(struct mr_values *vals, const char **val, size_t *len)
{
    struct seq_values *sv = (struct seq_values *)vals;

    if (sv->next == sv->end)
        return false;
    *val = sv->v[sv->next].val;
    *len = sv->v[sv->next].vlen;
    sv->next++;
    return true;
}

/* The end of the key that starts at pair i of the sorted pairs. */
static size_t
key_end(const struct pairs *ps, size_t i)
{
    size_t j = i;

    while (j < ps->n && pair_compare(&ps->v[i], &ps->v[j]) == 0)
        j++;
    return j;
}

static void
sort_pairs(struct pairs *ps)
{
    if (ps->n > 0)              /* v is NULL for no pairs */
        qsort(ps->v, ps->n, sizeof(*ps->v), pair_compare);
}

/* The sorted pairs as an executable app's reducer reads them. */
struct seq_groups {
    struct pairs *ps;
    size_t next;                /* the first pair of the next key */
    struct seq_values sv;
};

static bool
seq_next_group(void *arg, const char **key, size_t *klen,
               struct mr_values **values)
{
    struct seq_groups *sg = arg;
    size_t i = sg->next;

    if (i == sg->ps->n)
        return false;
    sg->next = key_end(sg->ps, i);
    sg->sv = (struct seq_values){{seq_next}, sg->ps->v, i, sg->next};
    *key = sg->ps->v[i].key;
    *klen = sg->ps->v[i].klen;
    *values = &sg->sv.base;
    return true;
}

/* Writes mr-out-0 through an executable app's reducer. */
static int
reduce_all_exec(const struct exec_app *x, struct pairs *ps)
{
    char err[MR_ERR_LEN];
    struct atomic_file out;
    struct seq_groups sg = {ps, 0, {{seq_next}, NULL, 0, 0}};
    struct exec_groups in = {seq_next_group, NULL, &sg};
    uint64_t lines;

    sort_pairs(ps);
    if (atomic_file_open(&out, "mr-out-0", true, err) < 0) {
        fprintf(stderr, "mrsequential: %s\n", err);
        return 1;
    }
    if (exec_reduce(x, &in, &out, &lines, err) != 0) {
        fprintf(stderr, "mrsequential: %s\n", err);
        atomic_file_abort(&out);
        return 1;
    }
    if (atomic_file_commit(&out, err) < 0) {
        fprintf(stderr, "mrsequential: %s\n", err);
        return 1;
    }
    return 0;
}

static int
reduce_all(const struct mr_app *app, struct pairs *ps)
{
    char err[MR_ERR_LEN];
    struct atomic_file out;
    struct file_output so = file_output_to(&out, &ps->counters);

    if (exec_app_of(app) != NULL)
        return reduce_all_exec(exec_app_of(app), ps);
    sort_pairs(ps);
    if (atomic_file_open(&out, "mr-out-0", true, err) < 0) {
        fprintf(stderr, "mrsequential: %s\n", err);
        return 1;
    }
    for (size_t i = 0, j; i < ps->n; i = j) {
        struct seq_values sv = {{seq_next}, ps->v, i, key_end(ps, i)};
        j = sv.end;
        if (file_output_line(&so, app, ps->v[i].key, ps->v[i].klen,
                             &sv.base) != 0) {
            fprintf(stderr, "mrsequential: %s\n",
                    counter_table_failed(&ps->counters)
                        ? counter_table_error(&ps->counters)
                        : "the app's reduce failed");
            atomic_file_abort(&out);
            return 1;
        }
    }
    if (atomic_file_commit(&out, err) < 0) {
        fprintf(stderr, "mrsequential: %s\n", err);
        return 1;
    }
    return 0;
}

/* Checks the app's combiner on every key; writes nothing. */
static int
check_all(const struct mr_app *app, struct pairs *ps, uint64_t seed)
{
    struct combine_check cc;
    char msg[COMBINE_CHECK_MSG_LEN];
    int rc = 0;

    sort_pairs(ps);
    combine_check_init(&cc, app, seed);
    for (size_t i = 0, j; i < ps->n && rc == 0; i = j) {
        struct seq_values sv = {{seq_next}, ps->v, i, key_end(ps, i)};
        j = sv.end;
        rc = combine_check_key(&cc, ps->v[i].key, ps->v[i].klen, &sv.base,
                               msg);
    }
    if (rc != 0)
        fprintf(stderr, "mrsequential: %s\n", msg);
    else
        printf("combiner check passed: %llu keys, %llu combine calls (seed "
               "%llu)\n", (unsigned long long)cc.keys,
               (unsigned long long)cc.combines, (unsigned long long)seed);
    combine_check_free(&cc);
    return rc == 0 ? 0 : 1;
}

/* A seed for --check-combiner when none is given. */
static uint64_t
random_seed(void)
{
    uint32_t r;

    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) == (ssize_t)sizeof(r))
        return r;
    return (uint64_t)time(NULL) ^ (uint64_t)getpid();
}

/* Maps each input file into ps. Returns 0, or 1 with a line on stderr. */
static int
map_files(const struct mr_app *app, char **files, size_t nfiles,
          struct pairs *ps)
{
    for (size_t i = 0; i < nfiles; i++) {
        struct map_input in = {.name = files[i], .whole = true};
        struct map_feed feed = {files[i], 0, NULL, 0};
        struct split_data sd;
        char err[MR_ERR_LEN];
        uint64_t read, skipped;
        int rc = 0;

        if (split_data_open(&in, &sd, err) < 0) {
            fprintf(stderr, "mrsequential: %s\n", err);
            return 1;
        }
        if (exec_app_of(app) != NULL) {
            if (exec_map(exec_app_of(app), 0, sd.bytes, sd.len,
                         &ps->emitter, NULL, err) != 0) {
                fprintf(stderr, "mrsequential: %s (mapping %s)\n", err,
                        files[i]);
                rc = 1;
            }
        } else if (map_feed(app, &feed, sd.bytes, sd.len, &ps->emitter,
                            &read, &skipped) != 0) {
            fprintf(stderr, "mrsequential: the app's map failed on %s\n",
                    files[i]);
            rc = 1;
        }
        if (rc == 0 && counter_table_failed(&ps->counters)) {
            fprintf(stderr, "mrsequential: %s (mapping %s)\n",
                    counter_table_error(&ps->counters), files[i]);
            rc = 1;
        }
        split_data_close(&sd);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Maps every input of args (a directory stands for its files: as the
 * coordinator reads them, input_list.h) into ps. Returns 0, 1 when an
 * input fails, or 2 when args name no list of files (a file twice, an
 * empty directory); with a line on stderr. */
static int
map_all(const struct mr_app *app, char **args, int nargs, struct pairs *ps)
{
    struct input_list inputs;
    char err[MR_ERR_LEN];
    int rc;

    if (input_list_make((const char *const *)args, (size_t)nargs, &inputs,
                        err) < 0) {
        fprintf(stderr, "mrsequential: %s\n", err);
        return 2;
    }
    rc = map_files(app, inputs.files, inputs.n, ps);
    input_list_free(&inputs);
    return rc;
}

static int
counter_compare(const void *a, const void *b)
{
    const struct counter *x = a, *y = b;

    return strcmp(x->name, y->name);
}

/* --counters: the app's counters, sorted by name, "name TAB value". */
static void
print_counters(struct counter_table *t)
{
    qsort(t->counters, t->n, sizeof(t->counters[0]), counter_compare);
    for (size_t i = 0; i < t->n; i++)
        printf("%s\t%llu\n", t->counters[i].name,
               (unsigned long long)t->counters[i].value);
}

static void
usage(FILE *to)
{
    fprintf(to,
        "usage: mrsequential [--counters] APP FILE...\n"
        "       mrsequential --mapper CMD --reducer CMD [--combiner CMD]\n"
        "                    [--framed] FILE...\n"
        "       mrsequential --check-combiner [--seed N] APP FILE...\n"
        "\n"
        "Runs the job in one process and writes mr-out-0: the reference\n"
        "the distributed output is checked against. It never runs the\n"
        "app's combiner (an executable app's --combiner is accepted, so\n"
        "that the same options run here, and ignored). APP is a path\n"
        "(with a '/') as it is; a file of that name in this directory;\n"
        "else an app's name, with or without .so (wc, wc.so), from the\n"
        "apps next to mrsequential (build/apps) or installed with it\n"
        "(PREFIX/lib/mapreduce/apps).\n"
        "\n"
        "  --check-combiner  write nothing; instead check the app's combiner\n"
        "                    (or MR_APP_SUMMING's sum) on these inputs: for\n"
        "                    each key, reduce over all of its values must\n"
        "                    equal reduce over values combined in random\n"
        "                    groups, 1 to 3 rounds deep. Prints one line\n"
        "                    and exits 0 when it holds (or the app has no\n"
        "                    combiner); else one line naming the first key\n"
        "                    that differs, and exits 1\n"
        "  --seed N          the random groupings' seed, to repeat a check\n"
        "                    (default: a random one, printed)\n"
        "  --counters        after the job, print the app's counters (its\n"
        "                    mr_count calls in map and reduce; never the\n"
        "                    framework's), one 'name TAB value' line each,\n"
        "                    sorted by name\n"
        EXEC_OPTIONS_HELP
        "  --help            show this help\n"
        "\n"
        "A FILE that is a directory stands for the files in it, as for\n"
        "mrcoordinator; a gzip or zstd FILE is read decompressed.\n"
        "\n"
        "Exit status: 0 the output is written (or the combiner holds); 1\n"
        "the job failed (an input, the app, or the output: the line says\n"
        "which) or the combiner does not hold; 2 bad usage, app or inputs.\n");
}

/* mrsequential --mapper CMD --reducer CMD FILE... */
static int
main_exec(const struct exec_cli *exec, bool check, bool counters,
          int nfiles, char **files, struct pairs *ps)
{
    struct app_module mod;
    char err[MR_ERR_LEN];
    int rc;

    if (check) {
        fprintf(stderr, "mrsequential: --check-combiner checks an app "
                "module's combiner; an executable app has none\n");
        return 2;
    }
    if (nfiles < 1) {
        fprintf(stderr, "mrsequential: usage: mrsequential --mapper CMD "
                "--reducer CMD FILE...; see 'mrsequential --help'\n");
        return 2;
    }
    if (exec_app_load(&exec->spec, &mod, err) < 0) {
        fprintf(stderr, "mrsequential: %s\n", err);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);   /* a command that stops reading: EPIPE */
    if ((rc = exec_signals_init()) < 0) /* its commands die with it */
        fprintf(stderr, "mrsequential: cannot set up signals: %s\n",
                strerror(-rc));
    rc = map_all(mod.app, files, nfiles, ps);
    if (rc == 0)
        rc = reduce_all(mod.app, ps);
    if (rc == 0 && counters)
        print_counters(&ps->counters);
    counter_table_free(&ps->counters);
    arena_reset(&ps->bytes);
    free(ps->v);
    app_unload(&mod);
    return rc;
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"check-combiner", no_argument, NULL, 'c'},
        {"seed", required_argument, NULL, 's'},
        {"counters", no_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        EXEC_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    struct exec_cli exec;
    struct pairs ps = {.emitter = {collect, count, NULL}};
    struct app_module mod;
    char err[MR_ERR_LEN], name_err[APP_NAME_ERR_LEN], app_file[PATH_MAX];
    bool check = false, seeded = false, counters = false;
    unsigned long seed = 0;
    int opt, rc;

    if (mr_log_init(argv[0]) < 0)
        return MR_EXIT_USAGE;
    exec_cli_init(&exec);
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            check = true;
            break;
        case 's':
            if (cli_parse_uint("--seed", optarg, 0, ~0ul, &seed, err) < 0) {
                fprintf(stderr, "mrsequential: %s\n", err);
                return 2;
            }
            seeded = true;
            break;
        case 'C':
            counters = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            if ((rc = exec_cli_parse(&exec, opt, optarg, err)) < 0) {
                fprintf(stderr, "mrsequential: %s\n", err);
                return 2;
            }
            if (rc > 0) {
                cli_bad_option("mrsequential", argv, optind, optopt);
                return 2;
            }
        }
    }
    if (exec_cli_check(&exec, err) < 0) {
        fprintf(stderr, "mrsequential: %s; see 'mrsequential --help'\n",
                err);
        return 2;
    }
    if (exec_cli_given(&exec))
        return main_exec(&exec, check, counters, argc - optind,
                         argv + optind, &ps);
    if (argc - optind < 2) {
        fprintf(stderr, "mrsequential: usage: mrsequential "
                "[--counters | --check-combiner [--seed N]] APP FILE...; "
                "see "
                "'mrsequential --help'\n");
        return 2;
    }
    if (counters && check) {
        fprintf(stderr, "mrsequential: --counters is for a run, not "
                "--check-combiner; see 'mrsequential --help'\n");
        return 2;
    }
    if (seeded && !check) {
        fprintf(stderr, "mrsequential: --seed is for --check-combiner; see "
                "'mrsequential --help'\n");
        return 2;
    }
    if (app_name_resolve(argv[optind], app_file, sizeof(app_file),
                         name_err) < 0) {
        fprintf(stderr, "mrsequential: %s\n", name_err);
        return 2;
    }
    if (app_load(app_file, &mod, err) < 0) {
        fprintf(stderr, "mrsequential: %s\n", err);
        return 2;
    }
    if (check && !combine_check_applies(mod.app)) {
        printf("%s has no combiner: nothing to check\n", argv[optind]);
        app_unload(&mod);
        return 0;
    }
    rc = map_all(mod.app, argv + optind + 1, argc - optind - 1, &ps);
    if (rc == 0 && check)
        rc = check_all(mod.app, &ps, seeded ? seed : random_seed());
    else if (rc == 0)
        rc = reduce_all(mod.app, &ps);
    if (rc == 0 && counters)
        print_counters(&ps.counters);
    counter_table_free(&ps.counters);
    arena_reset(&ps.bytes);
    free(ps.v);
    app_unload(&mod);
    return rc;
}
