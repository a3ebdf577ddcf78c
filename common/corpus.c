/* Deterministic text generation. See corpus.h. */
#include "corpus.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"

#define VOCAB 20000

/* splitmix64: small, fast, and good enough for text. */
static uint64_t
next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static const char *const syllables[] = {
    "the", "an", "be", "ing", "er", "ou", "in", "re", "on", "at", "ed",
    "st", "en", "nd", "ti", "es", "or", "te", "of", "ar", "is", "it", "al",
    "se", "ha", "ve", "ro", "li", "ma", "co", "de", "ne", "ca", "lo", "wh",
    "sh", "ch", "gr", "pl", "ut", "ow", "ly", "ness", "ment", "ous",
};

/* Rare words that exercise Unicode letters in the word splitter. */
static const char *const unicode_words[] = {
    "café", "naïve", "façade", "Straße", "über", "señor", "smörgåsbord",
    "λόγος", "ψυχή", "слово", "мир", "日本語", "ελπίδα", "Ærøskøbing",
};

struct vocab {
    char words[VOCAB][24];
    double cumulative[VOCAB];   /* Zipf weights, summed */
};

static void
vocab_build(struct vocab *v, uint64_t seed, bool ascii)
{
    uint64_t rng = seed ^ 0x5eed;
    double total = 0;
    size_t nsyl = sizeof(syllables) / sizeof(syllables[0]);
    size_t nuni = sizeof(unicode_words) / sizeof(unicode_words[0]);

    for (int i = 0; i < VOCAB; i++) {
        char *w = v->words[i];
        if (i % 997 == 500 && !ascii) {
            snprintf(w, sizeof(v->words[i]), "%s",
                     unicode_words[(size_t)(i / 997) % nuni]);
        } else {
            int n = 1 + (int)(next_random(&rng) % 3) + (i > 200);
            w[0] = '\0';
            for (int s = 0; s < n; s++)
                strncat(w, syllables[next_random(&rng) % nsyl],
                        sizeof(v->words[i]) - strlen(w) - 1);
        }
        total += 1.0 / (i + 1);
        v->cumulative[i] = total;
    }
    for (int i = 0; i < VOCAB; i++)
        v->cumulative[i] /= total;
}

static const char *
vocab_draw(const struct vocab *v, uint64_t *rng)
{
    double u = (double)(next_random(rng) >> 11) / 9007199254740992.0;
    int lo = 0, hi = VOCAB - 1;

    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (v->cumulative[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return v->words[lo];
}

/* Appends one word (capitalised at a sentence start) and what follows it. */
static size_t
next_token(const struct vocab *v, uint64_t *rng, bool *sentence_start,
           size_t *column, char *out)
{
    const char *w = vocab_draw(v, rng);
    uint64_t r = next_random(rng) % 100;
    size_t n = strlen(w);

    memcpy(out, w, n);
    if (*sentence_start && out[0] >= 'a' && out[0] <= 'z')
        out[0] = (char)(out[0] - 'a' + 'A');
    *sentence_start = false;
    if (r < 6) {
        out[n++] = '.';
        *sentence_start = true;
    } else if (r < 10) {
        out[n++] = ',';
    } else if (r < 11) {
        n += (size_t)sprintf(out + n, " %u", (unsigned)(r * 7 % 1900));
    }
    *column += n + 1;
    if (*column > 70) {
        out[n++] = '\n';
        *column = 0;
    } else {
        out[n++] = ' ';
    }
    return n;
}

int
corpus_write_file(const char *path, uint64_t bytes, uint64_t seed,
                  bool ascii, char err[MR_ERR_LEN])
{
    struct vocab *v = malloc(sizeof(*v));
    struct atomic_file af;
    uint64_t rng = seed * 0x2545f4914f6cdd1dull + 1;
    bool sentence_start = true;
    size_t column = 0;
    char token[64];
    int rc;

    if (v == NULL) {
        snprintf(err, MR_ERR_LEN, "out of memory");
        return -ENOMEM;
    }
    vocab_build(v, 42, ascii);  /* one vocabulary for every file */
    if ((rc = atomic_file_open(&af, path, false, err)) < 0) {
        free(v);
        return rc;
    }
    while (af.written < bytes) {
        size_t n = next_token(v, &rng, &sentence_start, &column, token);
        size_t left = (size_t)(bytes - af.written);
        if (n >= left) {
            /* No room for this word and a newline after it: the file ends
             * with spaces and a newline instead of half a word. */
            memset(token, ' ', left - 1);
            token[left - 1] = '\n';
            n = left;
        }
        atomic_file_write(&af, token, n);
    }
    free(v);
    return atomic_file_commit(&af, err);
}
