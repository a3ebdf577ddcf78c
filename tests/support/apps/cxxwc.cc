/* A word count written in C++, to test that include/mrapp.h builds as C++
 * and that such a module loads and runs: same output as apps/wc.c on
 * ASCII text (a word is a maximal run of ASCII letters; any other byte,
 * non-ASCII ones included, separates words). Its map counts too. */
#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_map>

#include "mrapp.h"

namespace {

bool
is_letter(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Counts each word of the input in a map, then emits one pair per
 * distinct word with its count; counts words and distinct words (mr_count
 * and mr_count_name from C++). */
int
cxxwc_map(const char *filename, const char *data, size_t len,
          struct mr_emitter *out)
{
    (void)filename;
    try {
        std::unordered_map<std::string, std::uint64_t> counts;
        size_t i = 0;

        while (i < len) {
            while (i < len && !is_letter((unsigned char)data[i]))
                i++;
            size_t start = i;
            while (i < len && is_letter((unsigned char)data[i]))
                i++;
            if (i > start)
                counts[std::string(data + start, i - start)]++;
        }
        for (const auto &kv : counts) {
            std::string n = std::to_string(kv.second);
            mr_emit(out, kv.first.data(), kv.first.size(), n.data(),
                    n.size());
            mr_count(out, "words", kv.second);
        }
        mr_count_name(out, std::string("distinct words").c_str(),
                      counts.size());
    } catch (...) {             /* no exception may cross into C */
        return 1;
    }
    return 0;
}

/* Sums counts; also the combiner, since a sum of sums is a sum. */
int
cxxwc_reduce(const char *key, size_t klen, struct mr_values *values,
             struct mr_output *out)
{
    (void)key;
    (void)klen;
    mr_write_u64(out, mr_sum_values(values));
    return 0;
}

} /* namespace */

MR_APP("cxxwc", cxxwc_map, cxxwc_reduce, cxxwc_reduce)
