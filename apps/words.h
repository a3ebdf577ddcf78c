/* Splits text into words exactly as the lab's Go apps do with
 * strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) }).
 *
 * A word is a maximal run of UTF-8 encoded Unicode letters (general
 * categories Lu, Ll, Lt, Lm, Lo). Everything else separates words: digits,
 * punctuation, spaces, combining marks (Mn, Mc), and every byte that does
 * not start a valid UTF-8 sequence, which counts as one non-letter byte
 * (Go decodes it as RuneError of width 1). Overlong forms, surrogates and
 * sequences cut short by the end of the input are invalid.
 *
 * Input is any bytes with an explicit length: it need not be NUL-terminated
 * and nothing at or past data + len is read. Words are pointers into data,
 * not copies, and are not NUL-terminated.
 */
#ifndef WORDS_H
#define WORDS_H

#include <stdbool.h>
#include <stddef.h>

#include "mrapp.h"

/* Receives one word, data[0..len) with len >= 1, and words_split's arg. */
typedef void words_fn(const char *word, size_t len, void *arg);

/* Calls fn for each word of data[0..len), in order. */
void words_split(const char *data, size_t len, words_fn *fn, void *arg);

/* Emits each word of data[0..len), in order, with the same value: as
 * mr_emit(out, word, wlen, value, vlen) per word would, but gathered into
 * batches for mr_emit_batch. */
void words_emit(const char *data, size_t len, struct mr_emitter *out,
                const char *value, size_t vlen);

/* Iterator form: start with *pos = 0. Finds the next word at or after
 * data[*pos], sets *word and *wlen to it, advances *pos past it and returns
 * true; returns false when there are no more words. */
bool words_next(const char *data, size_t len, size_t *pos,
                const char **word, size_t *wlen);

#endif
