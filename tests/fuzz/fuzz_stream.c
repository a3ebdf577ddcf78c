/* Fuzz target: a partition read whole and the same bytes arriving in
 * pieces (as a reduce fetches them: run_window.c under im_cursor_next's
 * IM_NEED_MORE) must give the same records and the same end, whatever the
 * bytes and wherever the pieces are cut. The first input byte chooses the
 * piece size. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "imfile.h"
#include "run_window.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A digest of every record read, and how reading ended. */
struct reading {
    uint64_t records;
    uint32_t digest;
    int end;                    /* 0, or MR_EBADDATA */
};

static void
take(struct reading *r, const char *k, size_t kl, const char *v, size_t vl)
{
    uint32_t lens[2] = {(uint32_t)kl, (uint32_t)vl};

    r->records++;
    r->digest = crc32c(r->digest, lens, sizeof(lens));
    r->digest = crc32c(r->digest, k, kl);
    r->digest = crc32c(r->digest, v, vl);
}

static struct reading
whole(const uint8_t *p, size_t n, uint64_t left)
{
    struct im_cursor cur = {p, p + n, left, 0};
    struct reading r = {0};
    const char *k, *v;
    size_t kl, vl;
    int rc;

    while ((rc = im_cursor_next(&cur, &k, &kl, &v, &vl)) == 1)
        take(&r, k, kl, v, vl);
    r.end = rc;
    return r;
}

static struct reading
in_pieces(const uint8_t *p, size_t n, uint64_t left, size_t piece)
{
    struct run_window w = {0};
    struct im_cursor cur = {0};
    struct reading r = {0};
    size_t sent = 0;
    const char *k, *v;
    size_t kl, vl;
    int rc;

    for (;;) {
        if (cur.p == NULL || (rc = im_cursor_next(&cur, &k, &kl, &v, &vl)) ==
                                 IM_NEED_MORE) {
            size_t len = n - sent < piece ? n - sent : piece;
            if (cur.p != NULL && len == 0)
                abort();        /* more was promised and is not there */
            if (run_window_append(&w, &cur, p + sent, len,
                                  n - sent - len) < 0)
                abort();
            if (sent == 0)
                cur.left = left;
            sent += len;
            continue;
        }
        if (rc != 1)
            break;
        take(&r, k, kl, v, vl);
        run_window_release(&w);
    }
    r.end = rc;
    run_window_free(&w);
    return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct reading a, b, c;
    size_t piece;

    if (size < 1)
        return 0;
    piece = 1 + data[0] % 64;
    data++;
    size--;
    /* As many records as there are, then as if the index said so. */
    a = whole(data, size, UINT64_MAX);
    b = whole(data, size, a.records);
    c = in_pieces(data, size, a.records, piece);
    if (b.records != c.records || b.digest != c.digest || b.end != c.end)
        abort();
    return 0;
}
