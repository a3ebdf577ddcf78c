/* The word splitter against what Go's strings.FieldsFunc with
 * !unicode.IsLetter gives on the same bytes: ASCII, Unicode letters,
 * combining marks, invalid UTF-8, and inputs that are not NUL-terminated. */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "words.h"

TestSuite(words);

struct words_case {
    const char *name;
    const char *in;
    size_t len;
    const char *want;           /* the words joined by '|', never a letter */
};

/* A case over a string literal, which may hold NUL bytes. */
#define CASE(name, in, want) {name, in, sizeof(in) - 1, want}

struct joined {
    char buf[256];
    size_t len;
};

static void
append_word(const char *word, size_t len, void *arg)
{
    struct joined *j = arg;

    cr_assert_gt(len, 0);
    cr_assert_lt(j->len + len + 1, sizeof(j->buf));
    if (j->len > 0)
        j->buf[j->len++] = '|';
    memcpy(j->buf + j->len, word, len);
    j->len += len;
    j->buf[j->len] = '\0';
}

static void
check(const struct words_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct joined j = {.len = 0};
        const char *word;
        size_t pos = 0, wlen, at = 0;

        words_split(c[i].in, c[i].len, append_word, &j);
        cr_expect_str_eq(j.buf, c[i].want, "%s: got \"%s\", want \"%s\"",
                         c[i].name, j.buf, c[i].want);

        /* The iterator gives the same words. */
        while (words_next(c[i].in, c[i].len, &pos, &word, &wlen)) {
            cr_assert_leq(pos, c[i].len, "%s", c[i].name);
            if (at > 0)
                cr_expect_eq(j.buf[at++], '|', "%s", c[i].name);
            cr_expect_eq(memcmp(j.buf + at, word, wlen), 0, "%s", c[i].name);
            at += wlen;
        }
        cr_expect_eq(at, j.len, "%s: iterator disagrees", c[i].name);
    }
}

Test(words, ascii)
{
    static const struct words_case cases[] = {
        CASE("empty", "", ""),
        CASE("one word", "hello", "hello"),
        CASE("spaces", "  hello   world  ", "hello|world"),
        CASE("mixed case", "The Quick brOWN", "The|Quick|brOWN"),
        CASE("punctuation", "don't stop-me,now.", "don|t|stop|me|now"),
        CASE("digits", "abc123def 42 x9", "abc|def|x"),
        CASE("only separators", " \t\n.,;:!?0123456789_-", ""),
        CASE("edge letters", "@AZ[`az{", "AZ|az"),
        CASE("control bytes", "a\tb\nc\rd\x7f" "e", "a|b|c|d|e"),
        CASE("NUL byte", "ab\0cd", "ab|cd"),
    };

    check(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(words, unicode)
{
    static const struct words_case cases[] = {
        CASE("latin accents", "café naïve", "café|naïve"),
        CASE("greek", "λόγος, ἀρχή", "λόγος|ἀρχή"),
        CASE("cyrillic", "Привет мир!", "Привет|мир"),
        CASE("cjk is Lo", "日本語。中文", "日本語|中文"),
        CASE("latin-1 Lo and Ll", "\xc2\xaa\xc2\xb5\xc2\xba", "ªµº"),
        CASE("titlecase Lt", "\xc7\x85x", "\xc7\x85x"),
        CASE("modifier Lm", "a\xca\xb0" "b", "a\xca\xb0" "b"),
        CASE("four-byte letter", "x\xf0\x90\x90\x80y", "x\xf0\x90\x90\x80y"),
        /* U+0301 is Mn, not a letter: Go splits there too. */
        CASE("combining mark", "cafe\xcc\x81 ok", "cafe|ok"),
        CASE("nbsp separates", "a\xc2\xa0" "b", "a|b"),
        CASE("em dash", "a\xe2\x80\x94" "b", "a|b"),
        CASE("fullwidth digit", "a\xef\xbc\x91" "b", "a|b"),
        CASE("U+FFFD itself", "a\xef\xbf\xbd" "b", "a|b"),
        CASE("emoji", "hi\xf0\x9f\x98\x80there", "hi|there"),
    };

    check(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(words, invalid_utf8)
{
    static const struct words_case cases[] = {
        CASE("0xff", "ab\xff" "cd", "ab|cd"),
        CASE("lone continuation", "ab\x80" "cd", "ab|cd"),
        CASE("continuation run", "\x80\xbf" "x\x80", "x"),
        CASE("truncated at end", "ab\xe2\x82", "ab"),
        CASE("truncated mid-text", "ab\xe2\x82" "cd", "ab|cd"),
        /* A truncated lead must not swallow the letter after it. */
        CASE("lead then ascii", "\xc3" "a\xc3", "a"),
        CASE("overlong slash", "a\xc0\xaf" "b", "a|b"),
        CASE("overlong 3-byte", "a\xe0\x80\xaf" "b", "a|b"),
        CASE("surrogate", "a\xed\xa0\x80" "b", "a|b"),
        CASE("past U+10FFFF", "a\xf4\x90\x80\x80" "b", "a|b"),
        CASE("5-byte lead", "a\xf8\x88\x80\x80\x80" "b", "a|b"),
        /* 0xc3 0xa9 is é; a stray byte before it is skipped alone. */
        CASE("stray then letter", "\xa9\xc3\xa9t\xc3\xa9", "été"),
    };

    check(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(words, not_nul_terminated)
{
    /* Each input is a prefix of a longer string: nothing at or past len
     * may be read or returned. */
    static const struct words_case cases[] = {
        {"cut mid-word", "hello world", 8, "hello|wo"},
        {"cut before letter", "ab cd", 3, "ab"},
        {"cut inside é", "caf\xc3\xa9s", 4, "caf"},
        {"cut inside 日", "日本", 2, ""},
        {"zero length", "abc", 0, ""},
    };

    check(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(words, exact_buffer)
{
    /* A buffer with no terminator and letters up to its last byte. */
    static const char buf[5] = {'a', 'b', ' ', 'c', 'd'};
    const char *word;
    size_t pos = 0, wlen;

    cr_assert(words_next(buf, sizeof(buf), &pos, &word, &wlen));
    cr_expect_eq(word, buf);
    cr_expect_eq(wlen, 2);
    cr_assert(words_next(buf, sizeof(buf), &pos, &word, &wlen));
    cr_expect_eq(word, buf + 3);
    cr_expect_eq(wlen, 2);
    cr_expect_eq(pos, sizeof(buf));
    cr_expect_not(words_next(buf, sizeof(buf), &pos, &word, &wlen));
}

/* Word boundaries as offsets, from the iterator and from the splitter. */
struct spans {
    const char *base;
    size_t n, at[4096];
};

static void
record_span(const char *word, size_t len, void *arg)
{
    struct spans *s = arg;

    cr_assert_lt(s->n + 2, sizeof(s->at) / sizeof(s->at[0]));
    s->at[s->n++] = (size_t)(word - s->base);
    s->at[s->n++] = len;
}

/* words_split works on 64-byte blocks and words_next a byte at a time: on
 * random mixes of ASCII, multi-byte letters and non-letters, invalid and
 * cut-short sequences, with words and characters across block boundaries,
 * they find the same words. */
Test(words, block_splitter_agrees_with_the_iterator)
{
    static const char *const pieces[] = {
        "a", "Zq", "hello", " ", ".", "1", "\n", "\xc3\xa9",  /* é */
        "\xe4\xb8\xad",                                        /* 中 */
        "\xf0\x9f\x98\x80",                                    /* emoji */
        "\xcc\x81",                                            /* mark */
        "\xf0\x90\x90\xb7",                                    /* 𐐷 */
        "\xff", "\x80", "\xc3", "\xe4\xb8", "\xed\xa0\x80", "\0",
        "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl",
    };
    const size_t npieces = sizeof(pieces) / sizeof(pieces[0]);
    static char buf[1024];
    static struct spans split, iter;
    uint32_t seed = 12345;

    for (int round = 0; round < 20000; round++) {
        size_t len = 0, pos = 0, wlen;
        const char *word;

        seed = seed * 1103515245 + 12345;
        size_t target = (seed >> 8) % 300;
        while (len < target) {
            seed = seed * 1103515245 + 12345;
            const char *p = pieces[(seed >> 16) % npieces];
            size_t n = p[0] == '\0' ? 1 : strlen(p);
            memcpy(buf + len, p, n);
            len += n;
        }
        split.base = iter.base = buf;
        split.n = iter.n = 0;
        words_split(buf, len, record_span, &split);
        while (words_next(buf, len, &pos, &word, &wlen))
            record_span(word, wlen, &iter);
        cr_assert_eq(split.n, iter.n, "round %d: %zu words, want %zu", round,
                     split.n / 2, iter.n / 2);
        cr_assert_eq(memcmp(split.at, iter.at, iter.n * sizeof(size_t)), 0,
                     "round %d: the words differ", round);
    }
}

/* words_emit's emitter: records each pair's span in the text (its value
 * must be the one given) and how the pairs came, singly or in batches. */
struct span_emitter {
    struct mr_emitter base;
    struct spans spans;
    size_t batches, largest;
};

static void
span_emit(struct mr_emitter *e, const char *key, size_t klen,
          const char *value, size_t vlen)
{
    struct span_emitter *s = (struct span_emitter *)e;

    cr_assert_eq(vlen, 2);
    cr_assert_eq(memcmp(value, "v1", 2), 0);
    record_span(key, klen, &s->spans);
}

static void
span_emit_batch(struct mr_emitter *e, const struct mr_pair *pairs,
                size_t n)
{
    struct span_emitter *s = (struct span_emitter *)e;

    cr_assert_gt(n, 0);
    s->batches++;
    s->largest = n > s->largest ? n : s->largest;
    for (size_t i = 0; i < n; i++)
        span_emit(e, pairs[i].key, pairs[i].klen, pairs[i].value,
                  pairs[i].vlen);
}

/* words_emit gives words_split's words, in batches of at most 64, through
 * emit_batch; and through emit where the framework has no emit_batch. */
Test(words, words_emit_batches_the_words_words_split_finds)
{
    static char buf[6000];
    static struct span_emitter batched, single;
    static struct spans split;
    uint32_t seed = 99;

    for (size_t i = 0; i < sizeof(buf); i++) {
        seed = seed * 1103515245 + 12345;
        buf[i] = (seed >> 16) % 4 == 0 ? ' ' : (char)('a' + (seed >> 20) % 3);
    }
    buf[100] = (char)0xc3;              /* é */
    buf[101] = (char)0xa9;
    split.base = batched.spans.base = single.spans.base = buf;
    words_split(buf, sizeof(buf), record_span, &split);
    batched.base = (struct mr_emitter){span_emit, NULL, span_emit_batch};
    words_emit(buf, sizeof(buf), &batched.base, "v1", 2);
    single.base = (struct mr_emitter){span_emit, NULL, NULL};
    words_emit(buf, sizeof(buf), &single.base, "v1", 2);
    cr_assert_gt(split.n, 2 * 500);     /* many batches */
    cr_assert_eq(batched.spans.n, split.n);
    cr_assert_eq(memcmp(batched.spans.at, split.at, split.n * sizeof(size_t)),
                 0);
    cr_assert_eq(batched.largest, 64);
    cr_assert_eq(batched.batches, (split.n / 2 + 63) / 64);
    cr_assert_eq(single.spans.n, split.n);
    cr_assert_eq(memcmp(single.spans.at, split.at, split.n * sizeof(size_t)),
                 0);
    words_emit(buf, 0, &batched.base, "v1", 2);     /* no words, no call */
    cr_assert_eq(batched.batches, (split.n / 2 + 63) / 64);
}
