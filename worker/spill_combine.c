/* An executable app's --combiner over one buffer of map output (a spill,
 * or the whole output when it never spilled): the records, sorted by key,
 * go through the command as its groups (exec_combine), and what it writes
 * is sorted by (partition, key), unless it already is, before it goes to
 * the run. Its output order is not trusted. See mapout_int.h. */
#include "mapout_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exec_task.h"
#include "partition.h"

/* ---------------------------------------------------------------- input */

/* The buffered records, sorted by key, as groups of equal keys. */
struct buffer_groups {
    struct mr_values values;    /* first: the current group's values */
    struct mapout *mo;
    size_t next;                /* the first record not handed out */
    size_t end;                 /* one past the current group's last */
};

static int
key_only_compare(const void *a, const void *b)
{
    const struct mapout_rec *x = a, *y = b;

    return key_compare(x->key, x->klen, y->key, y->klen);
}

static bool
group_value(struct mr_values *v, const char **val, size_t *len)
{
    struct buffer_groups *g = (struct buffer_groups *)v;
    const struct mapout_rec *r;

    if (g->next >= g->end)
        return false;
    r = &g->mo->recs[g->next++];
    *val = r->key + r->klen;
    *len = r->vlen;
    g->mo->exec_combine_in++;
    return true;
}

/* exec_groups' next: skips what is left of the group before. */
static bool
group_next(void *arg, const char **key, size_t *klen,
           struct mr_values **values)
{
    struct buffer_groups *g = arg;
    const struct mapout_rec *recs = g->mo->recs, *first;

    g->next = g->end;
    if (g->next >= g->mo->nrecs)
        return false;
    first = &recs[g->next];
    g->end = g->next + 1;
    while (g->end < g->mo->nrecs &&
           key_compare(recs[g->end].key, recs[g->end].klen, first->key,
                       first->klen) == 0)
        g->end++;
    *key = first->key;
    *klen = first->klen;
    *values = &g->values;
    return true;
}

/* ---------------------------------------------------------------- output */

/* What the command wrote, in the order it wrote it. */
struct combined {
    struct mr_emitter emitter;  /* first: what exec_combine emits into */
    uint32_t nreduce;
    struct arena arena;         /* the records' keys and values */
    struct mapout_rec *recs;    /* owned */
    size_t n, cap;
    bool sorted;                /* so far in (partition, key) order */
    int error;                  /* -ENOMEM, sticky */
};

static void
combined_emit(struct mr_emitter *e, const char *key, size_t klen,
              const char *val, size_t vlen)
{
    struct combined *c = (struct combined *)e;
    struct mapout_rec *r;
    char *copy;

    if (c->error != 0)
        return;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 1024;
        struct mapout_rec *q = realloc(c->recs, cap * sizeof(*q));
        if (q == NULL) {
            c->error = -ENOMEM;
            return;
        }
        c->recs = q;
        c->cap = cap;
    }
    /* The reader caps a key or value at EXEC_RECORD_MAX (64 MiB). */
    if ((copy = arena_alloc(&c->arena, klen + vlen)) == NULL) {
        c->error = -ENOMEM;
        return;
    }
    memcpy(copy, key, klen);
    memcpy(copy + klen, val, vlen);
    r = &c->recs[c->n];
    r->key = copy;
    r->klen = (uint32_t)klen;
    r->vlen = (uint32_t)vlen;
    r->part = partition_of(copy, klen, c->nreduce);
    if (c->n > 0 && mapout__rec_compare(r - 1, r) > 0)
        c->sorted = false;
    c->n++;
}

/* A command cannot count: mr_count is a C app's. */
static void
combined_count(struct mr_emitter *e, const char *name, uint64_t n,
               bool literal)
{
    (void)e, (void)name, (void)n, (void)literal;
}

/* ---------------------------------------------------------------- run */

void
mapout__exec_combine(struct mapout *mo, struct im_writer *w,
                     uint64_t *records)
{
    struct buffer_groups g = {{group_value}, mo, 0, 0};
    struct exec_groups in = {group_next, NULL, &g};
    struct combined c = {{combined_emit, combined_count, NULL}, mo->nreduce,
                         {NULL, 0}, NULL, 0, 0, true, 0};
    char err[MR_ERR_LEN];
    int rc;

    qsort(mo->recs, mo->nrecs, sizeof(*mo->recs), key_only_compare);
    rc = exec_combine(mo->exec_combiner, &in, &c.emitter, err);
    if (rc != 0) {
        mapout__set_error(mo, rc, err);
    } else if (c.error != 0) {
        mapout__set_error(mo, c.error, "out of memory holding the "
                          "combiner's output");
    } else {
        if (!c.sorted)
            qsort(c.recs, c.n, sizeof(*c.recs), mapout__rec_compare);
        for (size_t i = 0; i < c.n; i++)
            im_writer_add(w, c.recs[i].part, c.recs[i].key, c.recs[i].klen,
                          c.recs[i].key + c.recs[i].klen, c.recs[i].vlen);
        *records += c.n;
        mo->exec_combine_out += c.n;
    }
    free(c.recs);
    arena_reset(&c.arena);
}
