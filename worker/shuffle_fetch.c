/* Fetching a reduce's partition of map outputs from the workers that keep
 * them, piece by piece, under a merge. See shuffle_fetch.h. */
#define _GNU_SOURCE
#include "shuffle_fetch.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "imcache.h"
#include "names.h"
#include "rpc.h"
#include "run_window.h"
#include "shuffle.pb-c.h"

#define PIECE_MIN (16u << 10)
#define PIECE_MAX (512u << 10)
/* A worker that is gone refuses at once; one that is slow to accept gets
 * this long. */
#define FETCH_CONNECT_MS 3000

struct peer {
    char *addr;                 /* owned */
    rpc_client *c;
};

/* One map output's partition on its way. */
struct source {
    struct shuffle_fetch *f;
    uint32_t peer;              /* index into f->peers */
    uint32_t input, map, attempt;
    uint64_t size;              /* of the whole output file, as its map
                                   reported it: no partition is longer */
    uint64_t received;          /* bytes of the partition taken */
    uint64_t length, records;   /* from the first piece */
    uint32_t crc_want, crc_got;
    bool started;               /* the first piece came */
    bool waiting;               /* a request is in flight */
    uint32_t id;                /* its id */
    struct run_window win;
};

struct shuffle_fetch {
    char job_id[MR_JOB_ID_LEN + 1];
    uint32_t part;
    struct rpc_client_opts copts;
    uint8_t *token;             /* owned copy, or NULL */
    struct peer *peers;
    uint32_t npeers;
    struct source *srcs;
    uint32_t nsrcs;
    uint32_t piece;             /* bytes asked for at once */
    uint32_t piece_set;         /* shuffle_fetch_set_piece(); 0: choose */
    uint64_t bytes;
    struct im_cache *files;     /* borrowed, may be NULL: shed when out of
                                   descriptors */
    char err[MR_ERR_LEN];
    const char *failed_addr;    /* points into a peer */
};

struct shuffle_fetch *
shuffle_fetch_create(const char *job_id, uint32_t part, const uint8_t *token,
                     size_t token_len)
{
    struct shuffle_fetch *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return NULL;
    snprintf(f->job_id, sizeof(f->job_id), "%s", job_id);
    f->part = part;
    f->copts.connect_timeout_ms = FETCH_CONNECT_MS;
    f->copts.call_timeout_ms = FETCH_TIMEOUT_MS;
    f->copts.shortage_fails_fast = true;
    if (token != NULL) {
        if ((f->token = malloc(token_len ? token_len : 1)) == NULL) {
            free(f);
            return NULL;
        }
        memcpy(f->token, token, token_len);
        f->copts.token = f->token;
        f->copts.token_len = token_len;
    }
    return f;
}

static int
peer_index(struct shuffle_fetch *f, const char *addr, uint32_t *index)
{
    struct peer *grown;
    char err[MR_ERR_LEN];

    for (uint32_t i = 0; i < f->npeers; i++)
        if (strcmp(f->peers[i].addr, addr) == 0) {
            *index = i;
            return 0;
        }
    grown = realloc(f->peers, (f->npeers + 1) * sizeof(*grown));
    if (grown == NULL)
        return -ENOMEM;
    f->peers = grown;
    if ((grown[f->npeers].addr = strdup(addr)) == NULL)
        return -ENOMEM;
    /* Only a TCP address is a worker's shuffle server: anything else (an
     * inherited fd:N, above all) or a malformed one has no client, and
     * fails at the first fetch, with its name. */
    grown[f->npeers].c = strncmp(addr, "tcp:", 4) != 0 ? NULL
                         : rpc_client_create(addr, &f->copts, err);
    *index = f->npeers++;
    return 0;
}

int
shuffle_fetch_add(struct shuffle_fetch *f, uint32_t input, const char *addr,
                  uint32_t map, uint32_t attempt, uint64_t size)
{
    struct source *grown;
    uint32_t peer;

    if (peer_index(f, addr, &peer) < 0)
        return -ENOMEM;
    grown = realloc(f->srcs, (f->nsrcs + 1) * sizeof(*grown));
    if (grown == NULL)
        return -ENOMEM;
    f->srcs = grown;
    memset(&grown[f->nsrcs], 0, sizeof(*grown));
    grown[f->nsrcs].f = f;
    grown[f->nsrcs].peer = peer;
    grown[f->nsrcs].input = input;
    grown[f->nsrcs].map = map;
    grown[f->nsrcs].attempt = attempt;
    grown[f->nsrcs].size = size;
    f->nsrcs++;
    return 0;
}

/* ---------------------------------------------------------------- errors */

/* Records the first error and returns its code. */
static int
fetch_error(struct source *s, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fetch_error(struct source *s, int rc, const char *fmt, ...)
{
    struct shuffle_fetch *f = s->f;
    char what[MR_ERR_LEN];
    va_list ap;

    if (f->failed_addr != NULL)
        return rc;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    f->failed_addr = f->peers[s->peer].addr;
    snprintf(f->err, sizeof(f->err), "map task %u's output from %s: %s",
             s->map, f->failed_addr, what);
    return rc;
}

/* Whether rc is a shortage that passes (of descriptors or memory): no
 * sign that an output is lost. */
static bool
is_shortage(int rc)
{
    return rc == -EMFILE || rc == -ENFILE || rc == -ENOMEM;
}

/* What a failed call means: the holder's own word that the data is bad;
 * a shortage, here or at the holder, which fails the reduce as it is (it
 * runs again; the output is not lost); or else the output is out of
 * reach. */
static int
call_failed(struct source *s, int rc)
{
    rpc_client *c = s->f->peers[s->peer].c;

    if (c == NULL)
        return fetch_error(s, MR_EFETCH, "not a valid address");
    if (rc == MR_EREMOTE && rpc_client_remote_status(c) == MR_EBADDATA)
        return fetch_error(s, MR_EBADDATA, "%s", rpc_client_errmsg(c));
    if (rc == MR_EREMOTE && is_shortage(rpc_client_remote_status(c)))
        rc = rpc_client_remote_status(c);
    if (is_shortage(rc))
        return fetch_error(s, rc, "%s", rpc_client_errmsg(c));
    return fetch_error(s, MR_EFETCH, "%s", rpc_client_errmsg(c));
}

/* ---------------------------------------------------------------- pieces */

static int
ask(struct source *s)
{
    struct shuffle_fetch *f = s->f;
    Mr__FetchRequest req = MR__FETCH_REQUEST__INIT;
    rpc_client *c = f->peers[s->peer].c;
    int rc;

    req.job_id = f->job_id;
    req.map = s->map;
    req.attempt = s->attempt;
    req.partition = f->part;
    req.offset = s->received;
    req.max_bytes = f->piece;
    if (c == NULL)
        return call_failed(s, MR_EBADADDR);
    rc = rpc_client_send(c, &mr__shuffle__descriptor, "Fetch", &req.base,
                         &s->id);
    /* Out of descriptors for the connection: the open files kept go
     * first, once. */
    if ((rc == -EMFILE || rc == -ENFILE) && f->files != NULL &&
        im_cache_shed(f->files) > 0)
        rc = rpc_client_send(c, &mr__shuffle__descriptor, "Fetch",
                             &req.base, &s->id);
    if (rc < 0)
        return call_failed(s, rc);
    s->waiting = true;
    return 0;
}

/* Checks a piece against what the first one said. */
static int
check_piece(struct source *s, const Mr__FetchReply *r, bool first)
{
    if (first && s->size != 0 && r->length > s->size)
        return fetch_error(s, MR_EBADDATA, "a partition of %llu bytes in "
                           "an output of %llu", (unsigned long long)r->length,
                           (unsigned long long)s->size);
    if (r->data.len > s->f->piece)
        return fetch_error(s, MR_EBADDATA, "a piece of %zu bytes where %u "
                           "were asked for", r->data.len, s->f->piece);
    if (first) {
        s->length = r->length;
        s->records = r->records;
        s->crc_want = r->crc;
    } else if (r->length != s->length || r->records != s->records ||
               r->crc != s->crc_want) {
        return fetch_error(s, MR_EBADDATA, "the partition changed between "
                           "pieces");
    }
    if (r->data.len > s->length - s->received ||
        (r->data.len == 0 && s->received < s->length))
        return fetch_error(s, MR_EBADDATA, "a piece of %zu bytes at offset "
                           "%llu of a %llu-byte partition", r->data.len,
                           (unsigned long long)s->received,
                           (unsigned long long)s->length);
    return 0;
}

/* Takes the piece in flight into cur, and asks for the next one. */
static int
take(struct source *s, struct im_cursor *cur)
{
    rpc_client *c = s->f->peers[s->peer].c;
    Mr__FetchReply *r = NULL;
    bool first = !s->started;
    int rc;

    s->waiting = false;
    rc = rpc_client_wait(c, s->id, (ProtobufCMessage **)&r,
                         FETCH_TIMEOUT_MS);
    if (rc < 0)
        return call_failed(s, rc);
    if ((rc = check_piece(s, r, first)) == 0) {
        s->crc_got = crc32c(s->crc_got, r->data.data, r->data.len);
        s->received += r->data.len;
        s->f->bytes += r->data.len;
        if (run_window_append(&s->win, cur, r->data.data, r->data.len,
                              s->length - s->received) < 0)
            rc = fetch_error(s, -ENOMEM, "out of memory");
        else if (first)
            cur->left = s->records;
        s->started = true;
    }
    mr__fetch_reply__free_unpacked(r, NULL);
    if (rc < 0)
        return rc;
    if (s->received < s->length)
        return ask(s);
    if (s->crc_got != s->crc_want)
        return fetch_error(s, MR_EBADDATA, "the partition arrived with CRC "
                           "%08x, not the %08x its map wrote (corrupt in "
                           "transit or on that worker's disk)", s->crc_got,
                           s->crc_want);
    return 0;
}

static void
release(void *arg)
{
    struct source *s = arg;

    run_window_release(&s->win);
}

static int
refill(void *arg, struct im_cursor *cur)
{
    struct source *s = arg;

    if (!s->waiting)            /* nothing more was to come */
        return fetch_error(s, MR_EBADDATA, "a record runs past the end of "
                           "the partition");
    return take(s, cur);
}

void
shuffle_fetch_shed_from(struct shuffle_fetch *f, struct im_cache *files)
{
    f->files = files;
}

void
shuffle_fetch_set_piece(struct shuffle_fetch *f, uint32_t bytes)
{
    f->piece_set = bytes ? bytes : 1;
}

int
shuffle_fetch_start(struct shuffle_fetch *f, struct merger *m,
                    char err[MR_ERR_LEN])
{
    uint64_t piece = FETCH_BUDGET / (3 * (uint64_t)(f->nsrcs ? f->nsrcs : 1));
    int rc = 0;

    f->piece = piece < PIECE_MIN ? PIECE_MIN
             : piece > PIECE_MAX ? PIECE_MAX : (uint32_t)piece;
    if (f->piece_set != 0)
        f->piece = f->piece_set;
    for (uint32_t i = 0; i < f->nsrcs && rc == 0; i++)
        if ((rc = ask(&f->srcs[i])) < 0)
            m->bad_input = f->srcs[i].input;
    for (uint32_t i = 0; i < f->nsrcs && rc == 0; i++) {
        struct source *s = &f->srcs[i];
        struct im_cursor cur = {0};
        if ((rc = take(s, &cur)) < 0) {
            m->bad_input = s->input;
            break;
        }
        merger_add_stream(m, s->input, &cur, refill, release, s);
    }
    if (rc < 0)
        snprintf(err, MR_ERR_LEN, "%s", f->err);
    return rc;
}

const char *
shuffle_fetch_error(const struct shuffle_fetch *f)
{
    return f->err;
}

const char *
shuffle_fetch_failed_addr(const struct shuffle_fetch *f)
{
    return f->failed_addr;
}

uint64_t
shuffle_fetch_bytes(const struct shuffle_fetch *f)
{
    return f->bytes;
}

void
shuffle_fetch_free(struct shuffle_fetch *f)
{
    if (f == NULL)
        return;
    for (uint32_t i = 0; i < f->nsrcs; i++)
        run_window_free(&f->srcs[i].win);
    for (uint32_t i = 0; i < f->npeers; i++) {
        rpc_client_free(f->peers[i].c);
        free(f->peers[i].addr);
    }
    free(f->srcs);
    free(f->peers);
    free(f->token);
    free(f);
}
