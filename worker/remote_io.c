/* A task's input and output through the coordinator. See remote_io.h. */
#define _GNU_SOURCE
#include "remote_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crc32c.h"
#include "mr.pb-c.h"

#define INPUT_PIECE   (512u << 10)
/* Under the coordinator's 64 KiB limit on requests, with room to spare. */
#define OUTPUT_PIECE  (48u << 10)
#define IN_FLIGHT     8

static int
call_error(rpc_client *c, int rc, const char *what, char err[MR_ERR_LEN])
{
    snprintf(err, MR_ERR_LEN, "%s: %s", what, rpc_client_errmsg(c));
    return rc;
}

/* ---------------------------------------------------------------- input */

static int
ask_input(rpc_client *c, uint32_t map, uint32_t attempt, uint32_t part,
          uint64_t offset, uint32_t *id)
{
    Mr__InputRequest req = MR__INPUT_REQUEST__INIT;

    req.map = map;
    req.attempt = attempt;
    req.part = part;
    req.offset = offset;
    req.max_bytes = INPUT_PIECE;
    return rpc_client_send(c, &mr__coordinator__descriptor, "ReadInput",
                           &req.base, id);
}

/* Collects the piece asked for at offset and writes it there. Returns the
 * bytes written (0 at the end), or an error. */
static int64_t
take_input(rpc_client *c, uint32_t id, int fd, uint64_t offset,
           uint64_t *length, char err[MR_ERR_LEN])
{
    Mr__InputChunk *r = NULL;
    int64_t n;
    int rc = rpc_client_wait(c, id, (ProtobufCMessage **)&r,
                             REMOTE_IO_TIMEOUT_MS);

    if (rc < 0)
        return call_error(c, rc, "cannot read the input from the "
                          "coordinator", err);
    if (*length == UINT64_MAX)
        *length = r->length;
    n = (int64_t)r->data.len;
    if (r->length != *length || r->data.len > *length - offset) {
        snprintf(err, MR_ERR_LEN, "the coordinator sent a piece that does "
                 "not fit the split");
        n = MR_EBADREPLY;
    } else if (n > 0 && pwrite(fd, r->data.data, r->data.len,
                               (off_t)offset) != n) {
        snprintf(err, MR_ERR_LEN, "cannot write the fetched input: %s",
                 strerror(errno ? errno : EIO));
        n = -EIO;
    }
    mr__input_chunk__free_unpacked(r, NULL);
    return n;
}

int
remote_input_fetch(rpc_client *c, uint32_t map, uint32_t attempt,
                   uint32_t part, const char *out, uint64_t *length,
                   char err[MR_ERR_LEN])
{
    uint32_t ids[IN_FLIGHT];
    uint64_t offsets[IN_FLIGHT], next = 0, done = 0;
    size_t head = 0, n = 0;
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = 0;

    *length = UINT64_MAX;
    if (fd < 0) {
        snprintf(err, MR_ERR_LEN, "cannot create %s: %s", out,
                 strerror(errno));
        return -errno;
    }
    /* The first piece says how long the split is; then IN_FLIGHT pieces
     * at a time. */
    do {
        while (n < IN_FLIGHT && (n == 0 || *length != UINT64_MAX) &&
               (next == 0 || next < *length)) {
            size_t slot = (head + n) % IN_FLIGHT;
            rc = ask_input(c, map, attempt, part, next, &ids[slot]);
            if (rc < 0) {
                call_error(c, rc, "cannot read the input from the "
                           "coordinator", err);
                goto out;
            }
            offsets[slot] = next;
            next += INPUT_PIECE;
            n++;
        }
        if (n == 0)
            break;
        int64_t got = take_input(c, ids[head], fd, offsets[head], length,
                                 err);
        if (got < 0) {
            rc = (int)got;
            goto out;
        }
        done += (uint64_t)got;
        head = (head + 1) % IN_FLIGHT;
        n--;
    } while (done < *length || n > 0);
    if (done != *length) {
        snprintf(err, MR_ERR_LEN, "the coordinator sent %llu bytes of a "
                 "%llu-byte split", (unsigned long long)done,
                 (unsigned long long)*length);
        rc = MR_EBADREPLY;
        goto out;
    }
    if (close(fd) < 0) {
        fd = -1;
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot write %s: %s", out,
                 strerror(errno));
        goto out;
    }
    return 0;
out:
    /* Collect what is still in flight, so that the connection stays in
     * step for the next call. */
    for (; n > 0; n--, head = (head + 1) % IN_FLIGHT) {
        ProtobufCMessage *r = NULL;
        if (rpc_client_wait(c, ids[head], &r, REMOTE_IO_TIMEOUT_MS) == 0)
            protobuf_c_message_free_unpacked(r, NULL);
    }
    if (fd >= 0)
        close(fd);
    unlink(out);
    return rc;
}

/* ---------------------------------------------------------------- output */

static int
collect_ack(rpc_client *c, uint32_t id, char err[MR_ERR_LEN])
{
    ProtobufCMessage *r = NULL;
    int rc = rpc_client_wait(c, id, &r, REMOTE_IO_TIMEOUT_MS);

    if (rc < 0)
        return call_error(c, rc, "the coordinator did not take the output",
                          err);
    protobuf_c_message_free_unpacked(r, NULL);
    return 0;
}

/* Reads up to len bytes, fewer only at the end of the file. */
static ssize_t
read_full(int fd, uint8_t *buf, size_t len)
{
    size_t n = 0;

    while (n < len) {
        ssize_t got = read(fd, buf + n, len - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return -1;
        if (got == 0)
            break;
        n += (size_t)got;
    }
    return (ssize_t)n;
}

int
remote_output_ship(rpc_client *c, uint32_t reduce, uint32_t attempt,
                   const char *path, char err[MR_ERR_LEN])
{
    static uint8_t buf[OUTPUT_PIECE];
    uint32_t ids[IN_FLIGHT], crc = 0;
    uint64_t offset = 0;
    size_t head = 0, n = 0;
    bool last = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

    if (fd < 0) {
        snprintf(err, MR_ERR_LEN, "cannot open %s: %s", path,
                 strerror(errno));
        return -errno;
    }
    while (!last) {
        Mr__OutputChunk req = MR__OUTPUT_CHUNK__INIT;
        ssize_t got = read_full(fd, buf, sizeof(buf));
        if (got < 0) {
            rc = -errno;
            snprintf(err, MR_ERR_LEN, "cannot read %s: %s", path,
                     strerror(errno));
            break;
        }
        last = got < (ssize_t)sizeof(buf);      /* the end of the file */
        crc = crc32c(crc, buf, (size_t)got);
        req.reduce = reduce;
        req.attempt = attempt;
        req.offset = offset;
        req.data.data = buf;
        req.data.len = (size_t)got;
        req.last = last;
        req.size = last ? offset + (uint64_t)got : 0;
        req.crc = last ? crc : 0;
        offset += (uint64_t)got;
        if (n == IN_FLIGHT) {
            if ((rc = collect_ack(c, ids[head], err)) < 0)
                break;
            head = (head + 1) % IN_FLIGHT;
            n--;
        }
        rc = rpc_client_send(c, &mr__coordinator__descriptor, "PutOutput",
                             &req.base, &ids[(head + n) % IN_FLIGHT]);
        if (rc < 0) {
            call_error(c, rc, "cannot ship the output", err);
            break;
        }
        n++;
    }
    close(fd);
    /* Every ack in flight is collected, to keep the connection in step;
     * after an error, only the first error is told. */
    for (; n > 0; n--, head = (head + 1) % IN_FLIGHT) {
        char later[MR_ERR_LEN];
        int one = collect_ack(c, ids[head], rc < 0 ? later : err);
        if (rc == 0)
            rc = one;
    }
    return rc;
}
