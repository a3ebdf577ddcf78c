/* The RPC wire frame: a 4-byte length prefix then a 12-byte header, both in
 * network byte order, then the protobuf payload. Internal to rpc/.
 *
 *   0       4   5   6       8               12              16
 *   +-------+---+---+-------+---------------+---------------+---------...
 *   |length |ver|knd|method | request id    | status        | payload
 *   +-------+---+---+-------+---------------+---------------+---------...
 *    u32     u8  u8  u16     u32             i32 (two's complement)
 *
 * length counts every byte after itself: 12 + payload size. It is checked
 * against the receiver's maximum frame size before anything is allocated.
 * ver is RPC_VERSION. knd is 0 for a request, 1 for a reply, 2 for the
 * token exchange of auth.h (method and id 0). method is the
 * index of the method in the service descriptor. A request's status is 0. A
 * reply with status 0 carries the method's output message; a reply with a
 * non-zero status (an mr_err code) carries a UTF-8 message instead, no NUL.
 * See docs/protocol.md. */
#ifndef RPC_FRAME_H
#define RPC_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define RPC_VERSION      1
#define RPC_PREFIX_LEN   4
#define RPC_HEADER_LEN   16  /* prefix included */
#define RPC_KIND_REQUEST 0
#define RPC_KIND_REPLY   1
#define RPC_KIND_AUTH    2

struct rpc_header {
    uint32_t length;    /* bytes after the prefix: 12 + payload */
    uint8_t version;
    uint8_t kind;
    uint16_t method;
    uint32_t id;
    int32_t status;
};

/* Writes the 16 header bytes for a frame carrying payload_len bytes. */
void rpc__header_encode(uint8_t out[RPC_HEADER_LEN], uint8_t kind,
                        uint16_t method, uint32_t id, int32_t status,
                        size_t payload_len);

/* Reads 16 header bytes. Returns 0, MR_EBADFRAME (length below 12),
 * MR_ETOOBIG (frame over max_frame bytes in all) or MR_EBADVER. The header
 * is filled in every case so that an error reply can name the id. */
int rpc__header_decode(const uint8_t in[RPC_HEADER_LEN], size_t max_frame,
                       struct rpc_header *h);

/* Payload bytes of a decoded frame. */
static inline size_t
rpc__payload_len(const struct rpc_header *h)
{
    return h->length - (RPC_HEADER_LEN - RPC_PREFIX_LEN);
}

#endif
