/* A test module built for an ABI this worker does not know (version 99):
 * its table must be refused before any callback is called. */
#include "mrapp.h"

static int
abi99_map(const char *file, const char *data, size_t len,
          struct mr_emitter *out)
{
    (void)file;
    (void)data;
    (void)len;
    (void)out;
    return 1;
}

static int
abi99_reduce(const char *key, size_t klen, struct mr_values *values,
             struct mr_output *out)
{
    (void)key;
    (void)klen;
    (void)values;
    (void)out;
    return 1;
}

__attribute__((visibility("default"))) const struct mr_app *
mr_app_entry(void)
{
    static const struct mr_app app = {.abi_version = 99, .name = "abi99",
                                      .map = abi99_map,
                                      .reduce = abi99_reduce};
    return &app;
}
