/* Chunked bump allocation. See arena.h. */
#include "arena.h"

#include <stdlib.h>

#define CHUNK_SIZE (1u << 20)

struct arena_chunk {
    struct arena_chunk *next;
    size_t size, used;
    char data[];
};

void *
arena_alloc(struct arena *a, size_t n)
{
    struct arena_chunk *c = a->head;

    if (c == NULL || c->size - c->used < n) {
        size_t size = n > CHUNK_SIZE / 4 ? n : CHUNK_SIZE;
        c = malloc(sizeof(*c) + size);
        if (c == NULL)
            return NULL;
        c->size = size;
        c->used = 0;
        /* A large block goes behind the current chunk so that the rest of
         * the current chunk is still used. */
        if (size != CHUNK_SIZE && a->head != NULL) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
        a->bytes += sizeof(*c) + size;
    }
    c->used += n;
    return c->data + c->used - n;
}

void *
arena_alloc_aligned(struct arena *a, size_t n)
{
    struct arena_chunk *c = a->head;

    /* Chunk data starts 8-aligned (three size_t fields precede it). */
    if (c != NULL) {
        size_t aligned = (c->used + 7) & ~(size_t)7;
        c->used = aligned < c->size ? aligned : c->size;
    }
    return arena_alloc(a, n);
}

void
arena_reset(struct arena *a)
{
    while (a->head != NULL) {
        struct arena_chunk *next = a->head->next;
        free(a->head);
        a->head = next;
    }
    a->bytes = 0;
}
