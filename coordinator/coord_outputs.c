/* Where each finished map's output is, and what becomes of it when the
 * worker keeping it goes: an output in the job's private directory
 * outlives its worker (a reduce that cannot see it and cannot fetch it
 * has it run again); one a worker keeps on its own disk dies with it and
 * the map runs again at once (the MapReduce paper's rule). */
#include "coord_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

int
coord__outputs_init(coord *c, uint32_t nmap)
{
    size_t n = nmap ? nmap : 1;

    c->locations = calloc(n, sizeof(*c->locations));
    c->task_outputs = calloc(n, sizeof(*c->task_outputs));
    c->task_output_ptrs = calloc(n, sizeof(*c->task_output_ptrs));
    if (c->locations == NULL || c->task_outputs == NULL ||
        c->task_output_ptrs == NULL)
        return -ENOMEM;
    for (uint32_t i = 0; i < nmap; i++) {
        mr__map_output__init(&c->task_outputs[i]);
        c->task_output_ptrs[i] = &c->task_outputs[i];
    }
    return 0;
}

static void
location_clear(coord *c, struct map_location *l)
{
    c->served -= l->addr != NULL;
    free(l->addr);
    free(l->path);
    memset(l, 0, sizeof(*l));
}

void
coord__outputs_free(coord *c)
{
    for (uint32_t i = 0; c->locations != NULL && i < c->tasks.nmap; i++)
        location_clear(c, &c->locations[i]);
    free(c->locations);
    free(c->task_outputs);
    free(c->task_output_ptrs);
    c->locations = NULL;
    c->task_outputs = NULL;
    c->task_output_ptrs = NULL;
}

void
coord__output_done(coord *c, uint32_t map, uint64_t conn,
                   const Mr__TaskReport *rep)
{
    struct map_location *l = &c->locations[map];
    const Mr__MapOutput *where = rep->output;
    struct member *m;

    location_clear(c, l);
    l->conn = conn;
    l->bytes_in = rep->bytes_in;
    l->records = rep->records_in;
    l->bytes_out = rep->bytes_out;
    if (where == NULL)
        return;
    l->shared = where->shared;
    if (where->addr[0] == '\0')
        return;
    if ((m = members_find(&c->members, conn)) != NULL)
        snprintf(m->addr, sizeof(m->addr), "%s", where->addr);
    l->addr = strdup(where->addr);
    c->served += l->addr != NULL;
    l->path = strdup(where->path);
    l->size = where->size;
    if (l->addr == NULL || l->path == NULL) {
        /* Without its address nobody can fetch it: as good as lost. */
        location_clear(c, l);
        tasks_lose_output(&c->tasks, map, "the coordinator ran out of "
                          "memory noting where it was");
    }
}

void
coord__outputs_fill(coord *c, Mr__Task *t)
{
    /* All in the private directory, unserved (the lab's way): the reduce
     * knows their names, and a large job's Task stays small. */
    if (c->served == 0 && !c->has_local)
        return;
    for (uint32_t i = 0; i < c->tasks.nmap; i++) {
        const struct map_location *l = &c->locations[i];
        Mr__MapOutput *o = &c->task_outputs[i];
        o->addr = l->addr ? l->addr : (char *)"";
        o->path = l->path ? l->path : (char *)"";
        o->size = l->size;
        o->shared = l->addr == NULL || l->shared;
    }
    t->map_outputs = c->task_output_ptrs;
    t->n_map_outputs = c->tasks.nmap;
}

void
coord__output_restore(coord *c, const Mrj__MapDone *m)
{
    struct map_location *l = &c->locations[m->map];

    location_clear(c, l);
    l->bytes_in = m->bytes_in;
    l->records = m->records;
    l->bytes_out = m->size;
    l->shared = m->shared;
    c->stats.map_bytes_in += m->bytes_in;
    c->stats.map_records += m->records;
    c->stats.im_bytes += m->size;
    if (m->addr[0] == '\0')
        return;
    l->addr = strdup(m->addr);
    c->served += l->addr != NULL;
    l->path = strdup(m->path);
    l->size = m->size;
    if (l->addr == NULL || l->path == NULL) {
        c->served -= l->addr != NULL;
        free(l->addr);
        free(l->path);
        l->addr = l->path = NULL;
        l->shared = true;       /* looked for in the private directory */
    }
}

void
coord__outputs_rebind(coord *c, const char *addr, uint64_t conn)
{
    uint32_t n = 0;

    if (addr == NULL || addr[0] == '\0')
        return;
    for (uint32_t i = 0; i < c->tasks.nmap; i++) {
        struct map_location *l = &c->locations[i];
        if (l->conn == 0 && l->addr != NULL && !l->shared &&
            !strcmp(l->addr, addr) && c->tasks.maps[i].state == TASK_DONE) {
            l->conn = conn;
            n++;
        }
    }
    if (n > 0)
        mr_info("the worker serving at %s still has the outputs of %u map "
                "task%s done before the restart", addr, n, n == 1 ? "" : "s");
}

static void
subtract(uint64_t *sum, uint64_t n)
{
    *sum = n > *sum ? 0 : *sum - n;
}

void
coord__output_undone(coord *c, uint32_t map)
{
    struct map_location *l = &c->locations[map];

    subtract(&c->stats.map_bytes_in, l->bytes_in);
    subtract(&c->stats.map_records, l->records);
    subtract(&c->stats.im_bytes, l->bytes_out);
    location_clear(c, l);
    coord__counters_drop(c, &c->tasks.maps[map]);
    coord__journal_map_undone(c, map);
}

/* Runs map again because its kept output is gone; how says why. */
static bool
lose(coord *c, uint32_t map, const char *how)
{
    const struct coord_task *task = &c->tasks.maps[map];
    char why[MR_ERR_LEN];

    if (task->state == TASK_DONE && !tasks_are_over(&c->tasks)) {
        snprintf(why, sizeof(why), "its output was lost: %s", how);
        coord__failure_note(c, task, task->done_attempt,
                            c->locations[map].conn, why, 0, NULL);
    }
    if (tasks_lose_output(&c->tasks, map, how) < 0 &&
        !tasks_are_over(&c->tasks))
        return false;
    coord__output_undone(c, map);
    return true;
}

uint32_t
coord__outputs_lost_with(coord *c, uint64_t conn)
{
    uint32_t lost = 0, first = 0;
    char how[160] = "";

    for (uint32_t i = 0; i < c->tasks.nmap && !tasks_are_over(&c->tasks);
         i++) {
        const struct map_location *l = &c->locations[i];
        if (l->addr == NULL || l->shared || l->conn != conn ||
            c->tasks.maps[i].state != TASK_DONE)
            continue;
        if (lost == 0) {
            first = i;
            snprintf(how, sizeof(how), "its worker at %s went away",
                     l->addr);
        }
        lost += lose(c, i, how);
    }
    if (lost > 0)
        mr_warn("a worker that kept the outputs of %u map task%s (map task "
                "%u first) is gone; %s", lost, lost == 1 ? "" : "s", first,
                tasks_are_over(&c->tasks) ? "that was one time too many"
                                          : "running them again");
    return lost;
}

uint32_t
coord__outputs_unreachable(coord *c, const uint32_t *maps,
                           const uint32_t *attempts, size_t n,
                           const char *addr)
{
    uint32_t lost = 0;
    char how[200];

    snprintf(how, sizeof(how), "a reduce could not fetch it from %s", addr);
    for (size_t k = 0; k < n && !tasks_are_over(&c->tasks); k++) {
        const struct map_location *l;
        if (maps[k] >= c->tasks.nmap)
            continue;
        l = &c->locations[maps[k]];
        /* Only the output the reduce was told of, still kept at that
         * address (empty: in the private directory, unserved): a map
         * already run again, elsewhere or there, is not lost twice. */
        if (strcmp(l->addr ? l->addr : "", addr) != 0 ||
            c->tasks.maps[maps[k]].state != TASK_DONE ||
            (attempts != NULL &&
             c->tasks.maps[maps[k]].done_attempt != attempts[k]))
            continue;
        lost += lose(c, maps[k], how);
    }
    return lost;
}
