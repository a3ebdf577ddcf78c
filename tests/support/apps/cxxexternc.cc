/* A C++ module that includes include/mrapp.h inside its own extern "C"
 * block, as C++ code often wraps C headers: the header must still build
 * (mr_count's C++ overloads keep C++ linkage) and mr_count work. Its map
 * counts one "maps" and emits nothing; its reduce writes nothing. */
extern "C" {
#include "mrapp.h"
}

namespace {

int
externc_map(const char *, const char *, size_t, struct mr_emitter *out)
{
    mr_count(out, "maps", 1);
    return 0;
}

int
externc_reduce(const char *, size_t, struct mr_values *,
               struct mr_output *out)
{
    mr_count(out, "reduces", 1);
    return 0;
}

}  // namespace

MR_APP("cxxexternc", externc_map, externc_reduce, NULL);
