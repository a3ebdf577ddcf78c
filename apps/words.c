/* The word splitter shared by wc and indexer: see words.h. */
#include "words.h"

#include <stdint.h>
#include <string.h>
#include <utf8proc.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

/* ---------------------------------------------------------------- split */

/* words_split classifies 64 bytes at a time into a bit mask of letter
 * bytes, then reads words off the mask's runs of ones: a few instructions
 * per word and no mispredicted branch per byte. Non-ASCII bytes are
 * classified one character at a time, as in words_next. */

#define BLOCK 64

/* Bit i of *letters: p[i] is an ASCII letter; of *high: p[i] >= 0x80. */
static inline void
classify_block(const unsigned char *p, uint64_t *letters, uint64_t *high)
{
#if defined(__SSE2__)
    const __m128i case_bit = _mm_set1_epi8(0x20), a = _mm_set1_epi8('a'),
                  z = _mm_set1_epi8(25);
    uint64_t l = 0, h = 0;

    for (int k = 0; k < BLOCK / 16; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * k));
        /* (c | 0x20) - 'a' <= 25, unsigned: no byte >= 0x80 passes. */
        __m128i x = _mm_sub_epi8(_mm_or_si128(v, case_bit), a);
        __m128i is = _mm_cmpeq_epi8(_mm_min_epu8(x, z), x);
        l |= (uint64_t)(uint16_t)_mm_movemask_epi8(is) << (16 * k);
        h |= (uint64_t)(uint16_t)_mm_movemask_epi8(v) << (16 * k);
    }
    *letters = l;
    *high = h;
#else
    uint64_t l = 0, h = 0;

    for (int i = 0; i < BLOCK; i++) {
        l |= (uint64_t)is_ascii_letter(p[i]) << i;
        h |= (uint64_t)(p[i] >> 7) << i;
    }
    *letters = l;
    *high = h;
#endif
}

/* Bits [from, from + n) of a 64-bit mask, for from < 64 and n <= 4. */
static inline uint64_t
bit_range(unsigned from, unsigned n)
{
    return (((uint64_t)1 << n) - 1) << from;
}

/* The splitting loop, inlined into each caller with its fn, so that
 * words_emit's gathering of words costs no call per word. */
static inline __attribute__((always_inline)) void
split(const char *data, size_t len, words_fn *fn, void *arg)
{
    const unsigned char *p = (const unsigned char *)data;
    unsigned char tail[BLOCK];
    size_t start = 0;
    uint64_t carry = 0;         /* letter bits past the previous block */
    bool in_word = false;

    for (size_t base = 0; base < len; base += BLOCK) {
        const unsigned char *b = p + base;
        uint64_t letters, high;

        if (len - base < BLOCK) {       /* zeros are not letters */
            memset(tail, 0, sizeof(tail));
            memcpy(tail, b, len - base);
            b = tail;
        }
        classify_block(b, &letters, &high);
        letters |= carry;
        carry = 0;
        /* The continuation bytes of a character begun in the previous
         * block decode as invalid, non-letter bytes: carry has their
         * bits already. */
        while (high != 0) {
            unsigned i = (unsigned)__builtin_ctzll(high);
            bool letter;
            unsigned w = (unsigned)char_at(p + base + i, len - base - i,
                                           &letter);
            if (letter) {
                if (i + w <= BLOCK) {
                    letters |= bit_range(i, w);
                } else {
                    letters |= bit_range(i, BLOCK - i);
                    carry = bit_range(0, i + w - BLOCK);
                }
            }
            high &= i + w < BLOCK ? ~(uint64_t)0 << (i + w) : 0;
        }
        /* Runs of ones in letters are words, perhaps begun earlier: a
         * word starts at a one after a zero and ends at a zero after a
         * one. The two masks are read off independently, so consecutive
         * words overlap in the pipeline. */
        uint64_t before = letters << 1 | (uint64_t)in_word;
        uint64_t starts = letters & ~before, ends = ~letters & before;
        if (in_word && ends != 0) {     /* the word begun earlier ends */
            size_t end = base + (size_t)__builtin_ctzll(ends);
            fn(data + start, end - start, arg);
            ends &= ends - 1;
            in_word = false;
        }
        while (ends != 0) {
            size_t s = base + (size_t)__builtin_ctzll(starts);
            size_t end = base + (size_t)__builtin_ctzll(ends);
            fn(data + s, end - s, arg);
            starts &= starts - 1;
            ends &= ends - 1;
        }
        if (starts != 0) {              /* one runs into the next block */
            start = base + (size_t)__builtin_ctzll(starts);
            in_word = true;
        }
    }
    if (in_word)
        fn(data + start, len - start, arg);
}

void
words_split(const char *data, size_t len, words_fn *fn, void *arg)
{
    split(data, len, fn, arg);
}

/* ---------------------------------------------------------------- emit */

#define EMIT_BATCH 64           /* words handed to mr_emit_batch at once */

struct gathered {
    struct mr_emitter *out;
    const char *value;
    size_t vlen;
    size_t n;
    struct mr_pair pairs[EMIT_BATCH];
};

static inline void
gather(const char *word, size_t len, void *arg)
{
    struct gathered *g = arg;
    struct mr_pair *p = &g->pairs[g->n];

    p->key = word;
    p->klen = len;
    p->value = g->value;
    p->vlen = g->vlen;
    if (++g->n == EMIT_BATCH) {
        mr_emit_batch(g->out, g->pairs, EMIT_BATCH);
        g->n = 0;
    }
}

void
words_emit(const char *data, size_t len, struct mr_emitter *out,
           const char *value, size_t vlen)
{
    struct gathered g;

    g.out = out;
    g.value = value;
    g.vlen = vlen;
    g.n = 0;
    split(data, len, gather, &g);
    if (g.n > 0)
        mr_emit_batch(out, g.pairs, g.n);
}
