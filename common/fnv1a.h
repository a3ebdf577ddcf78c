/* FNV-1a, 32 bits: the lab's key hash (worker/partition.h) and the hash of
 * the small tables keyed by name (counter names). Not for hostile keys
 * where flooding a table matters. */
#ifndef MR_FNV1A_H
#define MR_FNV1A_H

#include <stddef.h>
#include <stdint.h>

/* Of key[0..len). */
static inline uint32_t
fnv1a32(const char *key, size_t len)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 16777619u;
    }
    return h;
}

/* Of a NUL-terminated string's bytes. */
static inline uint32_t
fnv1a32_str(const char *s)
{
    uint32_t h = 2166136261u;

    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

#endif
