/* CRC-32C (Castagnoli), the checksum of intermediate file partitions. */
#ifndef MR_CRC32C_H
#define MR_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extends crc (start with 0) over len bytes. crc32c("123456789") is
 * 0xe3069283. */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);

#endif
