/* mrsequential: the one-process reference. Maps every file, sorts all pairs
 * in memory, reduces each key and writes mr-out-0. Deliberately shares none
 * of the distributed data path (no partitions, combining, intermediate files
 * or merging) so that it can check it; only the allocator is common. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "arena.h"
#include "atomic_file.h"
#include "file_output.h"
#include "keys.h"
#include "log.h"

struct pair {
    const char *key, *val;      /* in the arena */
    uint32_t klen, vlen;
};

struct pairs {
    struct mr_emitter emitter;  /* first: the app emits here */
    struct pair *v;
    size_t n, cap;
    struct arena bytes;         /* every key and value, copied */
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

static int
pair_compare(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;

    return key_compare(x->key, x->klen, y->key, y->klen);
}

/* Reads a whole file into memory. */
static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0;

    *len = 0;
    if (f == NULL)
        return NULL;
    for (;;) {
        if (cap - *len < 65536) {
            cap = cap ? cap * 2 : 65536;
            buf = realloc(buf, cap);
            if (buf == NULL)
                break;
        }
        size_t n = fread(buf + *len, 1, cap - *len, f);
        *len += n;
        if (n == 0)
            break;
    }
    if (buf == NULL || ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
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

static int
reduce_all(const struct mr_app *app, struct pairs *ps)
{
    char err[MR_ERR_LEN];
    struct atomic_file out;
    struct file_output so = file_output_to(&out);

    if (ps->n > 0)              /* v is NULL for no pairs */
        qsort(ps->v, ps->n, sizeof(*ps->v), pair_compare);
    if (atomic_file_open(&out, "mr-out-0", true, err) < 0) {
        fprintf(stderr, "mrsequential: %s\n", err);
        return 1;
    }
    for (size_t i = 0, j; i < ps->n; i = j) {
        struct seq_values sv = {{seq_next}, ps->v, i, i};
        for (j = i; j < ps->n && pair_compare(&ps->v[i], &ps->v[j]) == 0;)
            j++;
        sv.end = j;
        atomic_file_write(&out, ps->v[i].key, ps->v[i].klen);
        atomic_file_write(&out, " ", 1);
        if (app->reduce(ps->v[i].key, ps->v[i].klen, &sv.base,
                        &so.base) != 0) {
            fprintf(stderr, "mrsequential: the app's reduce failed\n");
            atomic_file_abort(&out);
            return 1;
        }
        atomic_file_write(&out, "\n", 1);
    }
    if (atomic_file_commit(&out, err) < 0) {
        fprintf(stderr, "mrsequential: %s\n", err);
        return 1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    struct pairs ps = {{collect}, NULL, 0, 0, {NULL, 0}};
    struct app_module mod;
    char err[MR_ERR_LEN];
    int rc;

    mr_log_init(argv[0]);
    if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: mrsequential APP.so FILE...\n\n"
               "Runs the job in one process and writes mr-out-0: the "
               "reference\nthe distributed output is checked against.\n");
        return 0;
    }
    if (argc < 3) {
        fprintf(stderr, "mrsequential: usage: mrsequential APP.so FILE...\n");
        return 2;
    }
    if (app_load(argv[1], &mod, err) < 0) {
        fprintf(stderr, "mrsequential: %s\n", err);
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        size_t len;
        char *data = slurp(argv[i], &len);
        if (data == NULL) {
            fprintf(stderr, "mrsequential: cannot read input file %s: %s\n",
                    argv[i], strerror(errno ? errno : EIO));
            return 1;
        }
        if (mod.app->map(argv[i], data, len, &ps.emitter) != 0) {
            fprintf(stderr, "mrsequential: the app's map failed on %s\n",
                    argv[i]);
            return 1;
        }
        free(data);
    }
    rc = reduce_all(mod.app, &ps);
    arena_reset(&ps.bytes);
    free(ps.v);
    app_unload(&mod);
    return rc;
}
