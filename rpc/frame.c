/* Encoding and checking of the RPC frame header. See frame.h for the layout. */
#include "frame.h"

#include <string.h>

#include "mr_err.h"

static void
put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t
get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

void
rpc__header_encode(uint8_t out[RPC_HEADER_LEN], uint8_t kind,
                   uint16_t method, uint32_t id, int32_t status,
                   size_t payload_len)
{
    put32(out, (uint32_t)(RPC_HEADER_LEN - RPC_PREFIX_LEN + payload_len));
    out[4] = RPC_VERSION;
    out[5] = kind;
    out[6] = (uint8_t)(method >> 8);
    out[7] = (uint8_t)method;
    put32(out + 8, id);
    put32(out + 12, (uint32_t)status);
}

int
rpc__header_decode(const uint8_t in[RPC_HEADER_LEN], size_t max_frame,
                   struct rpc_header *h)
{
    h->length = get32(in);
    h->version = in[4];
    h->kind = in[5];
    h->method = (uint16_t)(in[6] << 8 | in[7]);
    h->id = get32(in + 8);
    h->status = (int32_t)get32(in + 12);
    if (h->length < RPC_HEADER_LEN - RPC_PREFIX_LEN)
        return MR_EBADFRAME;
    if ((uint64_t)h->length + RPC_PREFIX_LEN > max_frame)
        return MR_ETOOBIG;
    if (h->version != RPC_VERSION)
        return MR_EBADVER;
    if (h->kind > RPC_KIND_AUTH)
        return MR_EBADFRAME;
    return 0;
}
