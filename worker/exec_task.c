/* An executable app's map and reduce: the sources of a command's input,
 * the readers of its output, and a pump between them. See exec_task.h. */
#define _GNU_SOURCE
#include "exec_task.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec_proto.h"
#include "exec_pump.h"

/* ---------------------------------------------------------------- output */

/* Cuts a child's stdout into records for a handler; keeps at most one
 * partial record. */
struct reader {
    char *buf;                  /* owned */
    size_t len, cap;
    uint64_t at;                /* output bytes before buf[0] */
    size_t held;                /* buf[0..held) is what the last parse
                                   left: part of one record */
    exec_parse_fn *parse;
    int (*record)(void *arg, const struct exec_record *r);
    void *arg;
    char who[MR_ERR_LEN / 2];   /* "mapper `cmd`" */
};

static int
reader_append(struct reader *r, const char *bytes, size_t len,
              char err[MR_ERR_LEN])
{
    if (r->len + len > r->cap) {
        size_t cap = r->cap ? r->cap : EXEC_PUMP_CHUNK;
        while (cap < r->len + len)
            cap *= 2;
        char *b = realloc(r->buf, cap);
        if (b == NULL) {
            snprintf(err, MR_ERR_LEN, "out of memory");
            return -ENOMEM;
        }
        r->buf = b;
        r->cap = cap;
    }
    memcpy(r->buf + r->len, bytes, len);
    r->len += len;
    return 0;
}

static int
reader_take(void *arg, const char *bytes, size_t len, bool at_end,
            char err[MR_ERR_LEN])
{
    struct reader *r = arg;
    struct exec_record rec;
    size_t done = 0;
    ssize_t n;
    int rc;

    if (len > 0 && (rc = reader_append(r, bytes, len, err)) < 0)
        return rc;
    if (r->len == 0)
        return 0;               /* nothing pending: nothing to parse */
    /* A text line still open: what came holds no end of it, so parsing
     * would only scan the whole pending line again (a long line would
     * cost its length squared); parse when a line ends, or to refuse one
     * grown too long. */
    if (r->parse == exec__text_parse && !at_end && r->len - len == r->held &&
        memchr(bytes, '\n', len) == NULL && r->len <= EXEC_RECORD_MAX) {
        r->held = r->len;
        return 0;
    }
    while ((n = r->parse(r->buf + done, r->len - done, at_end, r->at + done,
                         &rec, r->who, err)) > 0) {
        done += (size_t)n;
        if ((rc = r->record(r->arg, &rec)) != 0) {
            snprintf(err, MR_ERR_LEN, "%s", mr_strerror(rc));
            return rc;
        }
    }
    if (n < 0)
        return (int)n;
    memmove(r->buf, r->buf + done, r->len - done);
    r->len -= done;
    r->at += done;
    r->held = r->len;
    return 0;
}

static void
reader_init(struct reader *r, const struct exec_app *x, const char *role,
            const char *cmd)
{
    memset(r, 0, sizeof(*r));
    r->parse = x->framed ? exec__framed_parse : exec__text_parse;
    snprintf(r->who, sizeof(r->who), "%s `%s`", role, cmd);
}

/* ---------------------------------------------------------------- map */

/* The split, as it is (text, all at once) or a line at a time (framed, or
 * lines left out, or one at a time). */
struct map_source {
    const struct exec_split *sp;
    bool one_at_a_time;         /* a line per fill */
    size_t next;                /* the first byte of data not yet queued */
    size_t k;                   /* cursor into sp->skip */
    uint64_t skipped;           /* lines left out */
    struct exec_pieces ps;
};

/* Queues the rest of the split, or its next line not left out. Returns
 * false at its end. */
static bool
map_queue(struct map_source *s)
{
    const struct exec_split *sp = s->sp;
    struct exec_line line;

    if (!sp->framed && sp->nskip == 0 && !s->one_at_a_time) {
        if (s->next == sp->len)
            return false;
        exec__pieces_clear(&s->ps);
        exec__pieces_add(&s->ps, sp->data + s->next, sp->len - s->next);
        s->next = sp->len;
        return true;
    }
    for (;;) {
        if (s->next == sp->len)
            return false;
        exec_line_at(sp, s->next, &line);
        s->next = line.next;
        if (!exec_line_skipped(sp, line.offset, &s->k))
            break;
        s->skipped++;
    }
    if (sp->framed) {
        exec__framed_line(&s->ps, line.offset, sp->data + line.at, line.len);
    } else {
        exec__pieces_clear(&s->ps);
        exec__pieces_add(&s->ps, sp->data + line.at, line.next - line.at);
    }
    return true;
}

static ssize_t
map_fill(void *arg, char *buf, size_t cap, char err[MR_ERR_LEN])
{
    struct map_source *s = arg;
    size_t done = 0;

    (void)err;
    while (done < cap) {
        if (exec__pieces_empty(&s->ps) &&
            ((s->one_at_a_time && done > 0) || !map_queue(s)))
            break;
        done += exec__pieces_copy(&s->ps, buf + done, cap - done);
    }
    return (ssize_t)done;
}

/* Where a mapper's or combiner's records go. */
struct emit_sink {
    struct mr_emitter *out;
    const int *out_error;       /* out's sticky error, or NULL */
};

static int
emit_record(void *arg, const struct exec_record *r)
{
    struct emit_sink *k = arg;

    mr_emit(k->out, r->key, r->klen, r->val, r->vlen);
    return k->out_error != NULL ? *k->out_error : 0;
}

/* A mapper that died of a signal: the line it had, the one holding the
 * last byte it read (all written but what it left in the pipe). */
static void
blame_line(struct exec_map_watch *w, const struct exec_watch *pw)
{
    struct exec_line line;

    w->signo = pw->signo;
    if (pw->signo == 0 || pw->unread < 0 ||
        (uint64_t)pw->unread > pw->written ||
        !exec_line_holding(&w->split, pw->written - (uint64_t)pw->unread,
                           &line))
        return;
    w->blamed = true;
    /* Exact only a line at a time, and only while the mapper had not
     * been told its input ended: one that dies after the end (a crash in
     * its last words) may have finished with the last line, and naming
     * that line exactly would get good lines skipped, one an attempt. */
    w->guessed = !w->one_at_a_time || pw->ended;
    w->offset = line.offset;
    w->head_len = line.len < RECORD_HEAD_MAX ? line.len : RECORD_HEAD_MAX;
    memcpy(w->head, w->split.data + line.at, w->head_len);
}

int
exec_map_watched(const struct exec_app *x, struct exec_map_watch *w,
                 struct mr_emitter *out, const int *out_error,
                 char err[MR_ERR_LEN])
{
    struct map_source src = {.sp = &w->split,
                             .one_at_a_time = w->one_at_a_time};
    struct exec_watch pw = {.one_at_a_time = w->one_at_a_time};
    struct emit_sink sink = {out, out_error};
    struct reader rd;
    struct exec_io io = {map_fill, &src, reader_take, &rd};
    int rc;

    w->split.framed = x->framed;
    w->signo = 0;
    w->blamed = false;
    reader_init(&rd, x, "mapper", x->mapper);
    rd.record = emit_record;
    rd.arg = &sink;
    rc = exec_run_watched(x->mapper, "mapper", &io, x->timeout_ms, &pw, err);
    w->skipped = src.skipped;
    if (out_error != NULL && *out_error != 0) {
        rc = *out_error;        /* what stopped the mapper */
        err[0] = '\0';
    } else if (rc != 0) {
        blame_line(w, &pw);
    }
    free(rd.buf);
    return rc;
}

int
exec_map(const struct exec_app *x, uint64_t offset, const char *data,
         size_t len, struct mr_emitter *out, const int *out_error,
         char err[MR_ERR_LEN])
{
    struct exec_map_watch w = {.split = {.data = data, .len = len,
                                         .origin = offset}};

    return exec_map_watched(x, &w, out, out_error, err);
}

/* ---------------------------------------------------------------- groups */

/* A reducer's or combiner's input, groups in key order: "key TAB value"
 * lines (text), or a key frame, its value frames and an end marker
 * (framed). */
struct reduce_source {
    const struct exec_app *x;
    const struct exec_groups *in;
    const char *key;
    size_t klen;
    struct mr_values *values;   /* NULL between groups */
    bool ended;
    struct exec_pieces ps;
};

/* Queues the next pieces; false at the end of the input. */
static bool
reduce_queue(struct reduce_source *s)
{
    const char *v;
    size_t vlen;

    if (s->values == NULL) {
        if (s->ended || !s->in->next(s->in->arg, &s->key, &s->klen,
                                     &s->values)) {
            s->ended = true;
            s->values = NULL;
            return false;
        }
        if (s->x->framed) {
            exec__framed_key(&s->ps, s->key, s->klen);
            return true;
        }
    }
    if (mr_values_next(s->values, &v, &vlen)) {
        if (s->x->framed)
            exec__framed_value(&s->ps, v, vlen);
        else
            exec__text_line(&s->ps, s->key, s->klen, v, vlen);
        return true;
    }
    s->values = NULL;
    if (s->x->framed) {
        exec__framed_end(&s->ps);
        return true;
    }
    return reduce_queue(s);
}

static ssize_t
reduce_fill(void *arg, char *buf, size_t cap, char err[MR_ERR_LEN])
{
    struct reduce_source *s = arg;
    size_t done = 0;
    int rc;

    while (done < cap) {
        if (exec__pieces_empty(&s->ps) && !reduce_queue(s))
            break;
        done += exec__pieces_copy(&s->ps, buf + done, cap - done);
    }
    if (done == 0 && s->in->error != NULL &&
        (rc = s->in->error(s->in->arg)) != 0) {
        err[0] = '\0';
        return rc;
    }
    return (ssize_t)done;
}

/* ---------------------------------------------------------------- reduce */

struct reduce_sink {
    struct atomic_file *out;
    uint64_t lines;
};

static int
reduce_record(void *arg, const struct exec_record *r)
{
    struct reduce_sink *k = arg;

    atomic_file_write(k->out, r->key, r->klen);
    if (r->has_val) {
        atomic_file_write(k->out, " ", 1);
        atomic_file_write(k->out, r->val, r->vlen);
    }
    atomic_file_write(k->out, "\n", 1);
    k->lines++;
    return 0;
}

int
exec_reduce(const struct exec_app *x, const struct exec_groups *in,
            struct atomic_file *out, uint64_t *lines, char err[MR_ERR_LEN])
{
    struct reduce_source src = {.x = x, .in = in};
    struct reduce_sink sink = {out, 0};
    struct reader rd;
    struct exec_io io = {reduce_fill, &src, reader_take, &rd};
    int rc;

    reader_init(&rd, x, "reducer", x->reducer);
    rd.record = reduce_record;
    rd.arg = &sink;
    rc = exec_run(x->reducer, "reducer", &io, x->timeout_ms, err);
    /* The reducer may stop reading early: the rest of the input is
     * dropped, but a source that failed still fails the task. */
    if (rc == 0 && in->error != NULL && (rc = in->error(in->arg)) != 0)
        err[0] = '\0';
    free(rd.buf);
    *lines = sink.lines;
    return rc;
}

/* ---------------------------------------------------------------- combine */

int
exec_combine(const struct exec_app *x, const struct exec_groups *in,
             struct mr_emitter *out, char err[MR_ERR_LEN])
{
    struct reduce_source src = {.x = x, .in = in};
    struct emit_sink sink = {out, NULL};
    struct reader rd;
    struct exec_io io = {reduce_fill, &src, reader_take, &rd};
    int rc;

    reader_init(&rd, x, "combiner", x->combiner);
    rd.record = emit_record;
    rd.arg = &sink;
    rc = exec_run(x->combiner, "combiner", &io, x->timeout_ms, err);
    if (rc == 0 && in->error != NULL && (rc = in->error(in->arg)) != 0)
        err[0] = '\0';
    free(rd.buf);
    return rc;
}
