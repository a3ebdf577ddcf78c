/* The one varint codec (protobuf's and ours): unsigned LEB128, 7 bits a
 * byte, least significant first, the high bit set on every byte but the
 * last; a 64-bit value takes 1 to VARINT_MAX_LEN bytes. The intermediate file's record
 * heads (imfile.h), the map buffer's value blocks (mapout.c), the dying
 * worker's hand-encoded last words (lastwords.c) and the coordinator's
 * pre-encoded map list (coord_map_attempts.c) use it.
 *
 * Writing (varint_put, varint_len) trusts its caller. Reading comes in two
 * kinds: varint_get checks every byte against the end of the buffer and
 * is for bytes from outside, such as a file; varint_get_unchecked reads on
 * until a last byte and is only for bytes this process wrote itself with
 * varint_put, in its own memory. All static inline: the map side calls
 * them once or twice per emitted pair. */
#ifndef COMMON_VARINT_H
#define COMMON_VARINT_H

#include <stddef.h>
#include <stdint.h>

#include "mr_err.h"

#define VARINT_MAX_LEN 10       /* bytes of the largest 64-bit value */

/* Writes v at buf, which has room for varint_len(v) bytes (at most
 * VARINT_MAX_LEN). Returns the bytes written. */
static inline size_t
varint_put(void *buf, uint64_t v)
{
    unsigned char *p = buf;
    size_t n = 0;

    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

/* The bytes varint_put writes for v. */
static inline size_t
varint_len(uint64_t v)
{
    size_t n = 1;

    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Reads a varint at buf into *v. Returns the bytes read. No bounds are
 * checked: only for bytes this process wrote with varint_put. */
static inline size_t
varint_get_unchecked(const void *buf, uint64_t *v)
{
    const unsigned char *p = buf;
    uint64_t x = 0;
    size_t n = 0;

    for (int shift = 0;; shift += 7) {
        unsigned char b = p[n++];
        x |= (uint64_t)(b & 0x7f) << shift;
        if (b < 0x80)
            break;
    }
    *v = x;
    return n;
}

/* Reads a varint of at most VARINT_MAX_LEN bytes at *pp without reading
 * at or past end. Returns 0 with *v set and *pp moved past it, or
 * MR_EBADDATA (nothing moved) when the bytes run out or an eleventh would
 * be needed. Bits past the 64th, in a tenth byte, are dropped. */
static inline int
varint_get(const unsigned char **pp, const unsigned char *end, uint64_t *v)
{
    const unsigned char *p = *pp;
    uint64_t x = 0;

    for (int shift = 0; shift < 64 && p < end; shift += 7) {
        unsigned char b = *p++;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (b < 0x80) {
            *v = x;
            *pp = p;
            return 0;
        }
    }
    return MR_EBADDATA;
}

#endif
