/* The word splitter shared by wc and indexer: see words.h. */
#include "words.h"

#include <utf8proc.h>

static inline bool
is_ascii_letter(unsigned char c)
{
    return (unsigned char)((c | 0x20) - 'a') < 26;
}

static bool
is_letter_category(utf8proc_category_t cat)
{
    return cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL ||
           cat == UTF8PROC_CATEGORY_LT || cat == UTF8PROC_CATEGORY_LM ||
           cat == UTF8PROC_CATEGORY_LO;
}

/* Decodes the character at p[0..n), n >= 1: returns its length in bytes
 * and sets *letter. An invalid sequence is one non-letter byte, as in Go. */
static size_t
char_at(const unsigned char *p, size_t n, bool *letter)
{
    utf8proc_int32_t cp;
    utf8proc_ssize_t w;

    if (p[0] < 0x80) {
        *letter = is_ascii_letter(p[0]);
        return 1;
    }
    /* utf8proc reads no further than the length it is given. */
    w = utf8proc_iterate(p, n < 4 ? (utf8proc_ssize_t)n : 4, &cp);
    if (w < 1) {
        *letter = false;
        return 1;
    }
    *letter = is_letter_category(utf8proc_category(cp));
    return (size_t)w;
}

/* The hot loops stay on ASCII bytes; utf8proc is asked only about a byte
 * of 0x80 or more. */
bool
words_next(const char *data, size_t len, size_t *pos, const char **word,
           size_t *wlen)
{
    const unsigned char *p = (const unsigned char *)data;
    size_t i = *pos, start, w;
    bool letter;

    for (;;) {                          /* skip to the next letter */
        while (i < len && p[i] < 0x80 && !is_ascii_letter(p[i]))
            i++;
        if (i >= len) {
            *pos = len;
            return false;
        }
        if (p[i] < 0x80)
            break;
        w = char_at(p + i, len - i, &letter);
        if (letter)
            break;
        i += w;
    }
    start = i;
    for (;;) {                          /* run to the end of the word */
        while (i < len && is_ascii_letter(p[i]))
            i++;
        if (i >= len || p[i] < 0x80)
            break;
        w = char_at(p + i, len - i, &letter);
        if (!letter)
            break;
        i += w;
    }
    *word = data + start;
    *wlen = i - start;
    *pos = i;
    return true;
}

void
words_split(const char *data, size_t len, words_fn *fn, void *arg)
{
    size_t pos = 0, wlen;
    const char *word;

    while (words_next(data, len, &pos, &word, &wlen))
        fn(word, wlen, arg);
}
