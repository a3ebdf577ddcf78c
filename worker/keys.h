/* Byte-wise ordering of keys with lengths: the order reduce sees keys in. */
#ifndef WORKER_KEYS_H
#define WORKER_KEYS_H

#include <stddef.h>
#include <string.h>

/* memcmp order on the common prefix, then the shorter key first. */
static inline int
key_compare(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);

    if (c != 0)
        return c;
    return (alen > blen) - (alen < blen);
}

#endif
