/* Compressed inputs told by their first bytes, not their names: a gzip or
 * zstd file is read whole, decompressed, by one map task (it cannot be
 * cut), so the coordinator does not split it and the worker inflates it. */
#ifndef MR_COMPRESSED_H
#define MR_COMPRESSED_H

#include <stddef.h>
#include <string.h>

enum compressed_kind {
    COMPRESSED_NONE = 0,
    COMPRESSED_GZIP,            /* RFC 1952: 1f 8b */
    COMPRESSED_ZSTD,            /* RFC 8878 frame: 28 b5 2f fd */
};

/* The kind of a file whose first n bytes are head (n may be under 4). */
static inline enum compressed_kind
compressed_kind(const unsigned char *head, size_t n)
{
    static const unsigned char zstd[4] = {0x28, 0xb5, 0x2f, 0xfd};

    if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b)
        return COMPRESSED_GZIP;
    if (n >= 4 && memcmp(head, zstd, 4) == 0)
        return COMPRESSED_ZSTD;
    return COMPRESSED_NONE;
}

static inline const char *
compressed_name(enum compressed_kind k)
{
    return k == COMPRESSED_GZIP ? "gzip" : k == COMPRESSED_ZSTD ? "zstd"
                                                                : "plain";
}

#endif
