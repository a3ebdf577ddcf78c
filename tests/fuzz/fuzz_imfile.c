/* Fuzz target: the intermediate file readers and the k-way merge on
 * arbitrary bytes. The first byte picks the number of partitions; the rest
 * is the file, read whole (im_reader) and then merged with itself
 * partition by partition, as a reduce task would; each partition is also
 * read as a reduce reads it, one at a time through a descriptor (im_file,
 * on a memfd), and must come out the same. A second pass patches each
 * in-bounds partition's checksum to match, so that the record parser
 * behind it is fuzzed too and not only the checksum. */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "crc32c.h"
#include "imfile.h"
#include "merge.h"

#define ENTRY_LEN 32             /* the index layout in imfile.h */

/* Rewrites each in-bounds index entry's checksum to match its
 * partition. */
static void
patch_checksums(uint8_t *file, const struct im_reader *r)
{
    uint8_t *index = file + (r->index - r->map);

    for (uint32_t p = 0; p < r->nreduce; p++) {
        uint8_t *e = index + (size_t)p * ENTRY_LEN;
        struct im_partition info;
        uint32_t crc;
        if (im_reader_partition_info(r, p, &info) < 0)
            continue;
        crc = crc32c(0, file + info.offset, (size_t)info.length);
        for (int i = 0; i < 4; i++)
            e[24 + i] = (uint8_t)(crc >> (8 * i));
    }
}

/* Reads partition p through a descriptor as a reduce does, and checks
 * that it agrees with the whole-file reader (want: its result, and its
 * cursor when 0). */
static void
read_one(int fd, uint32_t nreduce, uint32_t p, int want,
         const struct im_cursor *cur)
{
    char err[MR_ERR_LEN], path[32];
    struct im_partition info;
    struct im_file f;
    unsigned char *buf;
    int rc;

    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    if (im_file_open(&f, path, nreduce, err) < 0)
        abort();                /* the footer was good for im_reader */
    rc = im_file_entry(&f, path, p, &info, err);
    if (rc == 0) {
        buf = malloc(info.length ? (size_t)info.length : 1);
        rc = im_file_read(&f, path, &info, buf, err);
        if (rc == 0 && (want != 0 || info.length !=
                        (uint64_t)(cur->end - cur->p) ||
                        memcmp(buf, cur->p, (size_t)info.length) != 0))
            abort();
        free(buf);
    }
    if ((rc == 0) != (want == 0))
        abort();
    im_file_close(&f);
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

    int fd;

    if (im_reader_open_buffer(&r, file, size, "fuzz", nreduce, err) < 0)
        return;
    if (patch)
        patch_checksums((uint8_t *)file, &r);
    fd = memfd_create("fuzz-imfile", MFD_CLOEXEC);
    if (fd < 0 || write(fd, file, size) != (ssize_t)size)
        abort();
    for (uint32_t p = 0; p < nreduce; p++) {
        struct im_partition info;
        struct im_cursor cur;
        struct merger m;
        struct merge_group g;
        const char *v;
        size_t vlen;
        int rc = im_reader_partition(&r, p, &cur);

        if (rc < 0 && patch && im_reader_partition_info(&r, p, &info) == 0)
            abort();            /* patched checksums must match */
        read_one(fd, nreduce, p, rc, &cur);
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
    close(fd);
    im_reader_close(&r);
}
