/* The data a worker that cannot see the job's directory moves through the
 * coordinator: a map's split read for it (ReadInput) and a reduce's output
 * staged for it (PutOutput); the app module (GetApp) is coord_app.c's.
 * Each request is believed only from the connection its attempt was
 * handed to. */
#define _GNU_SOURCE
#include "coord_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic_file.h"
#include "crc32c.h"
#include "log.h"
#include "names.h"

/* The largest piece of an input sent at once: well under a frame. */
#define INPUT_CHUNK_MAX (512u << 10)

/* Whether attempt of (kind, id) was handed to conn; fills why if not. */
static struct coord_task *
handed_task(coord *c, enum task_kind kind, uint32_t id, uint32_t attempt,
            uint64_t conn, char *why, size_t len)
{
    struct coord_task *task = tasks_find(&c->tasks, kind, id);

    if (task == NULL) {
        snprintf(why, len, "no %s task %u", task_kind_name(kind), id);
        return NULL;
    }
    if (attempt == 0 || !task_was_handed_to(task, attempt, conn)) {
        snprintf(why, len, "attempt %u of %s task %u was not handed to this "
                 "connection", attempt, task_kind_name(kind), id);
        return NULL;
    }
    return task;
}

/* ---------------------------------------------------------------- input */

void
coord__read_input(Mr__Coordinator_Service *service,
                  const Mr__InputRequest *req, Mr__InputChunk_Closure closure,
                  void *closure_data)
{
    coord *c = (coord *)service;
    uint64_t conn = rpc_call_conn_id(closure_data);
    Mr__InputChunk reply = MR__INPUT_CHUNK__INIT;
    const struct split *s;
    uint32_t nparts;
    char why[160];
    uint8_t *buf;
    size_t want;
    ssize_t n;
    int fd;

    if (handed_task(c, KIND_MAP, req->map, req->attempt, conn, why,
                    sizeof(why)) == NULL) {
        coord__log_refusal(c, conn, "an input read", why);
        rpc_call_fail(closure_data, -EPERM, "%s", why);
        return;
    }
    s = coord__map_splits(c, req->map, &nparts);
    if (req->part >= nparts) {
        rpc_call_fail(closure_data, -EINVAL, "map task %u reads %u input%s, "
                      "not a part %u", req->map, nparts,
                      nparts == 1 ? "" : "s", req->part);
        return;
    }
    s += req->part;             /* 0 for a task of one input */
    if (s->whole) {
        rpc_call_fail(closure_data, -ENOENT, "the coordinator cannot read "
                      "%s either: give it inputs it can open", s->file);
        return;
    }
    reply.length = s->length;
    want = req->offset >= s->length ? 0 : s->length - req->offset;
    if (want > req->max_bytes)
        want = req->max_bytes;
    if (want > INPUT_CHUNK_MAX)
        want = INPUT_CHUNK_MAX;
    if ((buf = malloc(want ? want : 1)) == NULL) {
        rpc_call_fail(closure_data, -ENOMEM, "out of memory");
        return;
    }
    fd = open(s->path ? s->path : s->file, O_RDONLY | O_CLOEXEC);
    n = fd < 0 ? -1 : pread(fd, buf, want, (off_t)(s->offset + req->offset));
    if (fd >= 0)
        close(fd);
    if (n < 0 || (size_t)n != want) {
        rpc_call_fail(closure_data, n < 0 ? -errno : -EIO, "cannot read %s: "
                      "%s", s->file, n < 0 ? strerror(errno)
                                           : "it is shorter than it was");
    } else {
        reply.data.data = buf;
        reply.data.len = want;
        closure(&reply, closure_data);
    }
    free(buf);
}

/* ---------------------------------------------------------------- output */

/* A reduce output arriving in pieces, written under a temporary name in
 * the private directory until its last piece. */
struct upload {
    uint64_t conn;
    uint32_t reduce, attempt;
    uint64_t offset;            /* bytes written so far */
    uint32_t crc;               /* of those bytes */
    struct atomic_file file;
    struct upload *next;
};

static struct upload *
find_upload(coord *c, uint64_t conn, uint32_t reduce, uint32_t attempt)
{
    for (struct upload *u = c->uploads; u != NULL; u = u->next)
        if (u->conn == conn && u->reduce == reduce && u->attempt == attempt)
            return u;
    return NULL;
}

static void
drop_upload(coord *c, struct upload *u, bool keep)
{
    struct upload **pp = &c->uploads;

    while (*pp != u)
        pp = &(*pp)->next;
    *pp = u->next;
    if (!keep)
        atomic_file_abort(&u->file);
    free(u);
}

void
coord__drop_uploads(coord *c, uint64_t conn)
{
    struct upload *u = c->uploads, *next;

    for (; u != NULL; u = next) {
        next = u->next;
        if (conn == 0 || u->conn == conn)
            drop_upload(c, u, false);
    }
}

static struct upload *
start_upload(coord *c, uint64_t conn, const Mr__OutputChunk *req,
             char err[MR_ERR_LEN])
{
    struct upload *u = calloc(1, sizeof(*u));
    char name[64], path[PATH_MAX + 64];

    if (u == NULL) {
        snprintf(err, MR_ERR_LEN, "out of memory");
        return NULL;
    }
    mr_staged_name(name, sizeof(name), req->reduce, req->attempt);
    snprintf(path, sizeof(path), "%s/%s", jobdir_private(c->jd), name);
    if (atomic_file_open(&u->file, path, true, err) < 0) {
        free(u);
        return NULL;
    }
    u->conn = conn;
    u->reduce = req->reduce;
    u->attempt = req->attempt;
    u->next = c->uploads;
    c->uploads = u;
    return u;
}

/* Takes one piece; at the last one, checks and stages the whole file.
 * Returns 0, or an error status with err filled. */
static int
take_piece(coord *c, uint64_t conn, const Mr__OutputChunk *req,
           char err[MR_ERR_LEN])
{
    struct upload *u = find_upload(c, conn, req->reduce, req->attempt);

    if (u == NULL && req->offset != 0) {
        snprintf(err, MR_ERR_LEN, "a piece at offset %llu of an output "
                 "whose start never came",
                 (unsigned long long)req->offset);
        return -EPROTO;
    }
    if (u != NULL && req->offset == 0) {    /* the worker started over */
        drop_upload(c, u, false);
        u = NULL;
    }
    if (u == NULL && (u = start_upload(c, conn, req, err)) == NULL)
        return -EIO;
    if (req->offset != u->offset) {
        snprintf(err, MR_ERR_LEN, "a piece at offset %llu where %llu was "
                 "expected", (unsigned long long)req->offset,
                 (unsigned long long)u->offset);
        drop_upload(c, u, false);
        return -EPROTO;
    }
    atomic_file_write(&u->file, req->data.data, req->data.len);
    u->crc = crc32c(u->crc, req->data.data, req->data.len);
    u->offset += req->data.len;
    if (!req->last)
        return 0;
    if (req->size != u->offset || req->crc != u->crc) {
        snprintf(err, MR_ERR_LEN, "the output arrived as %llu bytes with "
                 "CRC %08x; the worker sent %llu bytes with CRC %08x",
                 (unsigned long long)u->offset, u->crc,
                 (unsigned long long)req->size, req->crc);
        drop_upload(c, u, false);
        return MR_EBADDATA;
    }
    if (atomic_file_commit(&u->file, err) < 0) {
        drop_upload(c, u, true);
        return -EIO;
    }
    drop_upload(c, u, true);
    return 0;
}

void
coord__put_output(Mr__Coordinator_Service *service,
                  const Mr__OutputChunk *req, Mr__OutputAck_Closure closure,
                  void *closure_data)
{
    coord *c = (coord *)service;
    uint64_t conn = rpc_call_conn_id(closure_data);
    Mr__OutputAck reply = MR__OUTPUT_ACK__INIT;
    char why[MR_ERR_LEN];
    int rc;

    if (handed_task(c, KIND_REDUCE, req->reduce, req->attempt, conn, why,
                    sizeof(why)) == NULL) {
        coord__log_refusal(c, conn, "an output piece", why);
        rpc_call_fail(closure_data, -EPERM, "%s", why);
        return;
    }
    if (c->jd == NULL || tasks_are_over(&c->tasks)) {
        rpc_call_fail(closure_data, MR_ESTALE, "the job is over");
        return;
    }
    if ((rc = take_piece(c, conn, req, why)) < 0) {
        mr_warn("reduce task %u attempt %u: its output could not be "
                "staged: %s", req->reduce, req->attempt, why);
        rpc_call_fail(closure_data, rc, "%s", why);
        return;
    }
    closure(&reply, closure_data);
}
