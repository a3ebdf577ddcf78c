/* A packed map task's inputs in its Task message (Task.parts): each file
 * with its split and, under --skip-bad-records, the lines of it to skip. */
#include "coord_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Fills part x from split s of map task map. Returns 0 or -ENOMEM. */
static int
fill_part(coord *c, uint32_t map, const struct split *s, Mr__InputPart *x)
{
    uint64_t *offsets;

    mr__input_part__init(x);
    x->file = (char *)s->file;
    x->path = s->path ? s->path : (char *)"";
    x->whole = s->whole;
    x->offset = s->offset;
    x->length = s->length;
    x->input_size = s->file_size;
    if (!c->skips.on)
        return 0;
    x->n_skip = skips_of_file(&c->skips, map, s->file, &offsets);
    if (x->n_skip == 0)
        return 0;
    /* skips_of_file's answer lasts until its next call: a copy each. */
    if ((x->skip = malloc(x->n_skip * sizeof(*x->skip))) == NULL)
        return -ENOMEM;
    memcpy(x->skip, offsets, x->n_skip * sizeof(*x->skip));
    return 0;
}

int
coord__task_parts(coord *c, uint32_t map, Mr__Task *t)
{
    uint32_t n;
    const struct split *s = coord__map_splits(c, map, &n);
    Mr__InputPart *rows;

    if (n < 2)
        return 0;
    rows = calloc(n, sizeof(*rows));
    t->parts = calloc(n, sizeof(*t->parts));
    if (rows == NULL || t->parts == NULL) {
        free(rows);
        free(t->parts);
        t->parts = NULL;
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < n; i++) {
        t->parts[i] = &rows[i];
        t->n_parts = i + 1;
        if (fill_part(c, map, &s[i], &rows[i]) < 0) {
            coord__task_parts_free(t);
            return -ENOMEM;
        }
    }
    return 0;
}

void
coord__task_parts_free(Mr__Task *t)
{
    if (t->parts == NULL)
        return;
    for (size_t i = 0; i < t->n_parts; i++)
        free(t->parts[i]->skip);
    free(t->parts[0]);
    free(t->parts);
    t->parts = NULL;
    t->n_parts = 0;
}
