/* A running lower median of numbers added one at a time: two heaps, the
 * smaller half's largest on top of one, the larger half's smallest on top
 * of the other, so that adding costs O(log n) and reading the median O(1)
 * (the backup rule of tasks.h reads it after every completion; picking it
 * out of every duration each time cost O(tasks) a completion). Numbers
 * cannot be taken out: clear it and add again what is left. */
#ifndef COORD_MEDIAN_H
#define COORD_MEDIAN_H

#include <stdint.h>

struct median {
    uint64_t *low;              /* max-heap: the smaller half, nlow of them */
    uint64_t *high;             /* min-heap: the larger half, nhigh */
    uint32_t nlow, nhigh;       /* nlow is nhigh or nhigh + 1 */
    uint32_t cap;               /* room in each heap: for cap numbers */
};

/* Room for cap numbers. Returns 0 or -ENOMEM (median_free() then). */
int median_init(struct median *m, uint32_t cap);
/* Frees the heaps; safe on a zeroed or freed struct. */
void median_free(struct median *m);

/* Forgets every number. */
void median_clear(struct median *m);
/* Adds v; at most cap numbers may be held. */
void median_add(struct median *m, uint64_t v);
/* How many numbers are held. */
uint32_t median_count(const struct median *m);
/* The lower median: the ((n - 1) / 2)-th smallest of the n numbers held,
 * counting from 0; n must not be 0. */
uint64_t median_get(const struct median *m);

#endif
