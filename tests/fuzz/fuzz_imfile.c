/* Fuzz target: the intermediate file reader and the k-way merge on
 * arbitrary bytes. The first byte picks the number of partitions; the rest
 * is the file, read whole and then merged with itself partition by
 * partition, as a reduce task would. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imfile.h"
#include "merge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[MR_ERR_LEN];
    struct im_reader r;
    uint32_t nreduce;

    if (size < 1)
        return 0;
    nreduce = 1 + data[0] % 8;
    if (im_reader_open_buffer(&r, data + 1, size - 1, "fuzz", nreduce,
                              err) < 0)
        return 0;
    for (uint32_t p = 0; p < nreduce; p++) {
        struct im_cursor cur;
        struct merger m;
        struct merge_group g;
        const char *v;
        size_t vlen;

        im_reader_partition(&r, p, &cur);
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
    return 0;
}
