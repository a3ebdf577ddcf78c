/* Names of the files a job creates in its directory. Intermediate and
 * temporary names start with "mr-" but never match "mr-out*". */
#ifndef MR_NAMES_H
#define MR_NAMES_H

#include <stdint.h>
#include <stdio.h>

/* Output of map task `map`, attempt `attempt`: mr-im-<map>-<attempt>. */
static inline void
mr_im_name(char *buf, size_t len, uint32_t map, uint32_t attempt)
{
    snprintf(buf, len, "mr-im-%u-%u", map, attempt);
}

/* Final output of reduce task `part`: mr-out-<part>. */
static inline void
mr_out_name(char *buf, size_t len, uint32_t part)
{
    snprintf(buf, len, "mr-out-%u", part);
}

#endif
