/* A growable byte buffer with a consumed prefix, used for connection input
 * and output. Internal to rpc/. */
#ifndef RPC_BUF_H
#define RPC_BUF_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct rpc_buf {
    unsigned char *data;
    size_t start;       /* first unconsumed byte */
    size_t end;         /* one past the last byte */
    size_t cap;
};

static inline size_t
rpc__buf_len(const struct rpc_buf *b)
{
    return b->end - b->start;
}

/* Makes room for n more bytes after end, compacting first. 0 or -ENOMEM. */
static inline int
rpc__buf_reserve(struct rpc_buf *b, size_t n)
{
    if (b->start > 0 && b->cap - b->end < n) {
        memmove(b->data, b->data + b->start, b->end - b->start);
        b->end -= b->start;
        b->start = 0;
    }
    if (b->cap - b->end < n) {
        size_t cap = b->cap ? b->cap : 4096;
        unsigned char *data;
        while (cap - b->end < n)
            cap *= 2;
        data = realloc(b->data, cap);
        if (data == NULL)
            return -ENOMEM;
        b->data = data;
        b->cap = cap;
    }
    return 0;
}

static inline void
rpc__buf_consume(struct rpc_buf *b, size_t n)
{
    b->start += n;
    if (b->start == b->end)
        b->start = b->end = 0;
}

static inline void
rpc__buf_free(struct rpc_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

#endif
