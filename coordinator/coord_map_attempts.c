/* A reduce Task's map_attempts (which attempt of each map counts), the
 * same for every reduce until a map is done or undone: packed once per
 * change of the maps rather than once per reduce. At 20,000 maps and
 * 2,000 reduces the loop and the packing, per reduce, were most of the
 * coordinator's time. */
#include "coord_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "varint.h"

/* Task.map_attempts in mr.proto. */
#define MAP_ATTEMPTS_FIELD 7


int
coord__map_attempts_init(coord *c, uint32_t nmap)
{
    /* A varint of a uint32 takes at most 5 bytes, the length as many. */
    c->attempts.cap = (size_t)nmap * 5 + 10;
    c->attempts.bytes = malloc(c->attempts.cap);
    c->attempts.scratch = malloc(nmap ? (size_t)nmap * 5 : 1);
    return c->attempts.bytes && c->attempts.scratch ? 0 : -ENOMEM;
}

void
coord__map_attempts_free(coord *c)
{
    free(c->attempts.bytes);
    free(c->attempts.scratch);
    c->attempts.bytes = c->attempts.scratch = NULL;
}

/* Packs the field's value, as protobuf-c would the repeated uint32 (proto3
 * packs it): its length, then the varints, the done attempt of each map. */
static void
pack_attempts(coord *c)
{
    struct coord_map_attempts *a = &c->attempts;
    size_t len = 0, n;

    for (uint32_t i = 0; i < c->tasks.nmap; i++)
        len += varint_put(a->scratch + len, c->tasks.maps[i].done_attempt);
    n = varint_put(a->bytes, len);
    memcpy(a->bytes + n, a->scratch, len);
    a->field.tag = MAP_ATTEMPTS_FIELD;
    a->field.wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
    a->field.len = n + len;
    a->field.data = a->bytes;
    a->changed = c->tasks.maps_changed;
    a->packed = true;
}

void
coord__map_attempts_fill(coord *c, Mr__Task *t)
{
    struct coord_map_attempts *a = &c->attempts;

    if (c->tasks.nmap == 0)
        return;
    if (!a->packed || a->changed != c->tasks.maps_changed)
        pack_attempts(c);
    /* Packed as is after the known fields: the field's bytes are what
     * protobuf-c would write for t->map_attempts. */
    t->base.n_unknown_fields = 1;
    t->base.unknown_fields = &a->field;
}
