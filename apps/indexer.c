/* Inverted index, the lab's mrapps/indexer.go: for each word, how many
 * documents contain it and which ones. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apputil.h"
#include "mrapp.h"
#include "words.h"

/* ------------------------------------------------------ set of words */

/* An open-addressing hash set of the words of one document. The words
 * point into the document and are valid only while it is mapped. */
struct word_set {
    struct apputil_str *slots;  /* p == NULL marks an empty slot */
    size_t mask;                /* number of slots - 1, a power of 2 - 1 */
    size_t n;                   /* words held */
};

static uint64_t
hash_bytes(const char *p, size_t len)
{
    uint64_t h = 14695981039346656037ULL;   /* FNV-1a */

    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    return h;
}

/* Returns the slot holding word, or the empty slot where it belongs. */
static struct apputil_str *
set_slot(struct apputil_str *slots, size_t mask, const char *p, size_t len)
{
    size_t i = (size_t)hash_bytes(p, len) & mask;

    while (slots[i].p != NULL &&
           (slots[i].len != len || memcmp(slots[i].p, p, len) != 0))
        i = (i + 1) & mask;
    return &slots[i];
}

/* Doubles the table. Returns 0 or -ENOMEM (the set is then unchanged). */
static int
set_grow(struct word_set *s)
{
    size_t nslots = 2 * (s->mask + 1);
    struct apputil_str *slots;

    if (nslots > SIZE_MAX / sizeof(*slots))
        return -ENOMEM;
    slots = calloc(nslots, sizeof(*slots));
    if (slots == NULL)
        return -ENOMEM;
    for (size_t i = 0; i <= s->mask; i++) {
        if (s->slots[i].p != NULL)
            *set_slot(slots, nslots - 1, s->slots[i].p, s->slots[i].len) =
                s->slots[i];
    }
    free(s->slots);
    s->slots = slots;
    s->mask = nslots - 1;
    return 0;
}

/* Adds a word. Returns 1 if it is new, 0 if it was there, or -ENOMEM. */
static int
set_add(struct word_set *s, const char *p, size_t len)
{
    struct apputil_str *slot;

    /* Keep the load at most one half so that probe runs stay short. */
    if (2 * (s->n + 1) > s->mask + 1 && set_grow(s) != 0)
        return -ENOMEM;
    slot = set_slot(s->slots, s->mask, p, len);
    if (slot->p != NULL)
        return 0;
    *slot = (struct apputil_str){p, len};
    s->n++;
    return 1;
}

/* ------------------------------------------------------ map and reduce */

/* What indexer_map's word callback needs. */
struct map_state {
    struct word_set set;
    struct mr_emitter *out;
    const char *filename;
    size_t flen;
    int rc;                     /* -ENOMEM once the set could not grow */
};

/* One pair per distinct word, emitted when the word is first seen. */
static void
add_word(const char *word, size_t wlen, void *arg)
{
    struct map_state *st = arg;
    int rc;

    if (st->rc != 0)
        return;
    rc = set_add(&st->set, word, wlen);
    if (rc < 0)
        st->rc = rc;
    else if (rc == 1)
        mr_emit(st->out, word, wlen, st->filename, st->flen);
}

static int
indexer_map(const char *filename, const char *data, size_t len,
            struct mr_emitter *out)
{
    struct map_state st = {{calloc(1024, sizeof(*st.set.slots)), 1023, 0},
                           out, filename, strlen(filename), 0};

    if (st.set.slots == NULL)
        return -ENOMEM;
    words_split(data, len, add_word, &st);
    free(st.set.slots);
    return st.rc;
}

/* Writes "<count> <doc1>,<doc2>,..." with the documents sorted. */
static int
indexer_reduce(const char *key, size_t klen, struct mr_values *values,
               struct mr_output *out)
{
    struct apputil_strs docs = {0};
    int rc;

    (void)key;
    (void)klen;
    if ((rc = apputil_collect_sorted(values, &docs)) != 0)
        return rc;
    /* A large document is mapped in several splits, each naming it: count
     * it once. (Unsplit, map has already removed duplicates.) */
    apputil_strs_unique(&docs);
    mr_write_u64(out, docs.n);
    mr_write(out, " ", 1);
    apputil_write_joined(out, &docs, ",");
    apputil_strs_free(&docs);
    return 0;
}

MR_APP("indexer", indexer_map, indexer_reduce, NULL);
