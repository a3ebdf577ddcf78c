/* How the coordinator names a task in messages: "map task 3" is followed
 * by the input it reads, and the bytes of it when the file was split, or
 * the files it packs (--min-split-size). */
#include "coord_int.h"

#include <stdio.h>

const struct split *
coord__map_splits(const coord *c, uint32_t map, uint32_t *n)
{
    if (c->packs == NULL) {
        *n = 1;
        return &c->splits[map];
    }
    *n = c->packs[map].count;
    return &c->splits[c->packs[map].first];
}

const char *
coord__map_input(const coord *c, uint32_t map)
{
    if (c->packs != NULL && c->packs[map].label != NULL)
        return c->packs[map].label;
    return c->packs != NULL ? c->splits[c->packs[map].first].file
                            : c->splits[map].file;
}

void
coord__describe(const struct coord_task *task, char *buf, size_t len,
                void *arg)
{
    const coord *c = arg;
    const struct split *s;
    uint32_t n;
    bool part;

    buf[0] = '\0';
    if (task->kind != KIND_MAP)
        return;
    s = coord__map_splits(c, task->id, &n);
    /* A piece of a larger file: its neighbours name the same file. */
    part = s->offset > 0 || (s + 1 < c->splits + c->nsplits &&
                             s[1].file == s->file);
    if (n > 1)
        snprintf(buf, len, " (input %s)", coord__map_input(c, task->id));
    else if (s->whole)
        snprintf(buf, len, " (input %s, which the coordinator could not "
                 "see)", s->file);
    else if (part)
        snprintf(buf, len, " (input %s, bytes %llu-%llu)", s->file,
                 (unsigned long long)s->offset,
                 (unsigned long long)(s->offset + s->length));
    else
        snprintf(buf, len, " (input %s)", s->file);
}
