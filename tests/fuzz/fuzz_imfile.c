/* Fuzz target: the intermediate file reader and the k-way merge on
 * arbitrary bytes. The first byte picks the number of partitions; the rest
 * is the file, read whole and then merged with itself partition by
 * partition, as a reduce task would. A second pass patches each
 * partition's checksum to match, so that the record parser behind it is
 * fuzzed too and not only the checksum. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "imfile.h"
#include "merge.h"

#define ENTRY_LEN 32             /* the index layout in imfile.h */

static uint64_t
get_u64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* Rewrites each index entry's checksum to match its partition. */
static void
patch_checksums(uint8_t *file, const struct im_reader *r)
{
    uint8_t *index = file + (r->index - r->map);

    for (uint32_t p = 0; p < r->nreduce; p++) {
        uint8_t *e = index + (size_t)p * ENTRY_LEN;
        uint32_t crc = crc32c(0, file + get_u64(e), get_u64(e + 8));
        for (int i = 0; i < 4; i++)
            e[24 + i] = (uint8_t)(crc >> (8 * i));
    }
}

static void
read_all(const uint8_t *file, size_t size, uint32_t nreduce, bool patch);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy;

    if (size < 1)
        return 0;
    read_all(data + 1, size - 1, 1 + data[0] % 8, false);
    copy = malloc(size);
    memcpy(copy, data + 1, size - 1);
    read_all(copy, size - 1, 1 + data[0] % 8, true);
    free(copy);
    return 0;
}

static void
read_all(const uint8_t *file, size_t size, uint32_t nreduce, bool patch)
{
    char err[MR_ERR_LEN];
    struct im_reader r;

    if (im_reader_open_buffer(&r, file, size, "fuzz", nreduce, err) < 0)
        return;
    if (patch)
        patch_checksums((uint8_t *)file, &r);
    for (uint32_t p = 0; p < nreduce; p++) {
        struct im_cursor cur;
        struct merger m;
        struct merge_group g;
        const char *v;
        size_t vlen;

        if (im_reader_partition(&r, p, &cur) < 0 && patch)
            abort();            /* patched checksums must match */
        if (merger_init(&m, 2) < 0)
            abort();
        merger_add(&m, 0, &cur);
        merger_add(&m, 1, &cur);
        while (merger_next_group(&m, &g)) {
            while (g.base.next(&g.base, &v, &vlen))
                if (vlen > 0 && v[0] == v[vlen - 1])
                    m.records += 0;     /* touch the bytes */
            merger_end_group(&g);
        }
        merger_free(&m);
    }
    im_reader_close(&r);
}
