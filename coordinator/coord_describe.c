/* How the coordinator names a task in messages: "map task 3" is followed
 * by the input it reads, and the bytes of it when the file was split. */
#include "coord_int.h"

#include <stdio.h>

void
coord__describe(const struct coord_task *task, char *buf, size_t len,
                void *arg)
{
    const coord *c = arg;
    const struct split *s;
    bool part;

    buf[0] = '\0';
    if (task->kind != KIND_MAP)
        return;
    s = &c->splits[task->id];
    /* A piece of a larger file: its neighbours name the same file. */
    part = s->offset > 0 || (task->id + 1 < c->tasks.nmap &&
                             c->splits[task->id + 1].file == s->file);
    if (s->whole)
        snprintf(buf, len, " (input %s, which the coordinator could not "
                 "see)", s->file);
    else if (part)
        snprintf(buf, len, " (input %s, bytes %llu-%llu)", s->file,
                 (unsigned long long)s->offset,
                 (unsigned long long)(s->offset + s->length));
    else
        snprintf(buf, len, " (input %s)", s->file);
}
