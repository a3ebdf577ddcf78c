/* The lab's partitioning of keys among reduce tasks: FNV-1a 32-bit hash of
 * the key, masked to 31 bits, modulo the number of reduce tasks. */
#ifndef WORKER_PARTITION_H
#define WORKER_PARTITION_H

#include <stddef.h>
#include <stdint.h>

#include "fnv1a.h"

static inline uint32_t
partition_of(const char *key, size_t len, uint32_t nreduce)
{
    return (fnv1a32(key, len) & 0x7fffffff) % nreduce;
}

#endif
