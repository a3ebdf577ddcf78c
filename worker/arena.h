/* A bump allocator in chunks: many small copies (keys, values) with no
 * per-record malloc, freed all at once. Pointers stay valid until reset. */
#ifndef WORKER_ARENA_H
#define WORKER_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
    struct arena_chunk *head;   /* newest chunk first */
    size_t bytes;               /* bytes held in chunks */
};

/* Returns n bytes (unaligned), or NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t n);

/* Returns n bytes aligned to 8, for structs; NULL when out of memory. */
void *arena_alloc_aligned(struct arena *a, size_t n);

/* Frees every chunk. The arena can be used again. */
void arena_reset(struct arena *a);

#endif
