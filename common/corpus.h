/* A deterministic generator of English-like text for default inputs, tests
 * and benchmarks: words drawn from a Zipf distribution over a generated
 * vocabulary (with some non-ASCII words), sentences, punctuation and lines
 * of about 70 columns. The same seed always gives the same bytes. */
#ifndef MR_CORPUS_H
#define MR_CORPUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mr_err.h"

/* Writes exactly `bytes` bytes of text to path (atomically): whole words,
 * the last line padded with spaces to end with a newline at `bytes`, so
 * that files can be concatenated without joining words; ascii leaves out
 * the non-ASCII words. Returns 0 or -errno with err filled. */
int corpus_write_file(const char *path, uint64_t bytes, uint64_t seed,
                      bool ascii, char err[MR_ERR_LEN]);

#endif
