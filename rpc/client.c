/* The RPC client: one kept connection, blocking calls with deadlines,
 * pipelined requests matched by id, reconnection with backoff, and
 * one-way requests another thread may send on the same connection. */
#define _GNU_SOURCE
#include "rpc.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/time.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "auth.h"
#include "buf.h"
#include "frame.h"

#define BACKOFF_FIRST_MS 5
#define BACKOFF_MAX_MS   500
#define IDLE_CHECK_MS    50     /* check a kept connection idle this long */
#define TIMEO_SLACK_MS   5      /* deadline precision of a blocking read */

/* A request sent and not yet collected by rpc_client_wait(). */
struct outstanding {
    uint32_t id;
    const ProtobufCMessageDescriptor *output;
    bool answered;
    int32_t status;             /* of the reply, once answered */
    uint8_t *payload;           /* copy of a reply that came early */
    size_t len;
};

struct rpc_client {
    struct rpc_addr addr;
    int connect_timeout_ms;
    int call_timeout_ms;
    size_t max_frame;
    bool shortage_fails_fast;   /* opts: EMFILE, ENFILE returned at once */
    int fd;                     /* -1 while disconnected; blocking. The
                                   calling thread's (notify uses
                                   notify_fd); closed under write_lock */
    /* Held while a frame is written on the connection (by a call or by
     * rpc_client_notify from another thread) and while the connection
     * changes, so that frames never interleave and notify never writes on
     * a descriptor being closed or reused. */
    pthread_mutex_t write_lock;
    int notify_fd;              /* fd once connected and authenticated,
                                   else -1: the connection notify may
                                   use. Under write_lock */
    int rcvtimeo_ms;            /* SO_RCVTIMEO in force, -1 for none */
    uint64_t last_used;         /* monotonic ms of the last reply */
    uint32_t next_id;
    struct rpc_buf in;
    struct rpc_buf out;         /* scratch for one request */
    struct outstanding *outs;
    size_t nouts, outcap;
    int remote_status;
    uint8_t *token;             /* owned copy; NULL: none */
    size_t token_len;
    char errmsg[MR_ERR_LEN];
};

static int
fail(rpc_client *c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(rpc_client *c, int rc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
    va_end(ap);
    return rc;
}

/* Milliseconds left before deadline (a monotonic ms value; 0 = forever), as
 * poll(2) wants it: -1 for forever, 0 when passed. */
static int
ms_left(uint64_t deadline)
{
    uint64_t now;

    if (deadline == 0)
        return -1;
    now = rpc_monotonic_ms();
    return now >= deadline ? 0 : (int)(deadline - now);
}

static uint64_t
deadline_after(int timeout_ms)
{
    return timeout_ms < 0 ? 0 : rpc_monotonic_ms() + (uint64_t)timeout_ms;
}

/* ---------------------------------------------------------------- setup */

rpc_client *
rpc_client_create(const char *addr, const struct rpc_client_opts *opts,
                  char err[MR_ERR_LEN])
{
    rpc_client *c = calloc(1, sizeof(*c));

    if (c == NULL) {
        snprintf(err, MR_ERR_LEN, "out of memory creating an RPC client");
        return NULL;
    }
    if (rpc__addr_parse(addr, &c->addr, err) < 0) {
        free(c);
        return NULL;
    }
    if (pthread_mutex_init(&c->write_lock, NULL) != 0) {
        snprintf(err, MR_ERR_LEN, "cannot set up an RPC client's lock");
        free(c);
        return NULL;
    }
    c->fd = -1;
    c->notify_fd = -1;
    c->next_id = 1;
    c->connect_timeout_ms = 5000;
    c->call_timeout_ms = 30000;
    c->max_frame = RPC_DEFAULT_MAX_FRAME;
    if (opts && opts->connect_timeout_ms)
        c->connect_timeout_ms = opts->connect_timeout_ms;
    if (opts && opts->call_timeout_ms)
        c->call_timeout_ms = opts->call_timeout_ms;
    if (opts && opts->max_frame)
        c->max_frame = opts->max_frame;
    c->shortage_fails_fast = opts && opts->shortage_fails_fast;
    if (opts && opts->token) {
        c->token = rpc__auth_token_copy(opts->token, opts->token_len);
        if (c->token == NULL) {
            snprintf(err, MR_ERR_LEN, "cannot set up token authentication");
            pthread_mutex_destroy(&c->write_lock);
            free(c);
            return NULL;
        }
        c->token_len = opts->token_len;
    }
    strcpy(c->errmsg, "no error");
    return c;
}

/* Drops the connection; every outstanding request is forgotten. Notify
 * loses it first, under the lock, so that it never writes on a closed
 * descriptor, or on the next one opened under the same number. */
static void
disconnect(rpc_client *c)
{
    pthread_mutex_lock(&c->write_lock);
    c->notify_fd = -1;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    pthread_mutex_unlock(&c->write_lock);
    for (size_t i = 0; i < c->nouts; i++)
        free(c->outs[i].payload);
    c->nouts = 0;
    c->in.start = c->in.end = 0;
}

void
rpc_client_free(rpc_client *c)
{
    if (c == NULL)
        return;
    disconnect(c);
    if (c->addr.family == RPC_AF_FD && c->addr.fd >= 0)
        close(c->addr.fd);      /* an inherited socket never used */
    rpc__buf_free(&c->in);
    rpc__buf_free(&c->out);
    free(c->outs);
    rpc__auth_token_free(c->token, c->token_len);
    pthread_mutex_destroy(&c->write_lock);
    free(c);
}

const char *
rpc_client_errmsg(const rpc_client *c)
{
    return c->errmsg;
}

int
rpc_client_remote_status(const rpc_client *c)
{
    return c->remote_status;
}

/* ---------------------------------------------------------------- connect */

/* Sets SO_RCVTIMEO or SO_SNDTIMEO; ms < 0 means wait forever. */
static void
set_timeout(int fd, int opt, int ms)
{
    struct timeval tv = {0, 0};

    if (ms > 0) {
        tv.tv_sec = ms / 1000;
        tv.tv_usec = (ms % 1000) * 1000;
    }
    setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

/* Bounds the next blocking read by the deadline, to within a few ms,
 * touching the socket only when the bound in force is off by more. */
static void
bound_read(rpc_client *c, int left_ms)
{
    int cur = c->rcvtimeo_ms;

    if (left_ms < 0 ? cur < 0
                    : cur >= 0 && cur - left_ms <= TIMEO_SLACK_MS &&
                      left_ms - cur <= TIMEO_SLACK_MS)
        return;
    set_timeout(c->fd, SO_RCVTIMEO, left_ms == 0 ? 1 : left_ms);
    c->rcvtimeo_ms = left_ms;
}

/* Makes the connected fd the client's connection: blocking from here on
 * (a read waits in the kernel, bounded by SO_RCVTIMEO, which saves a
 * poll(2) per call). Returns 0, or -errno with fd closed. */
static int
use_connection(rpc_client *c, int fd)
{
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    set_timeout(fd, SO_SNDTIMEO, c->call_timeout_ms);
    c->fd = fd;
    c->rcvtimeo_ms = -1;
    c->last_used = rpc_monotonic_ms();
    return 0;
}

/* An fd:N address: the inherited socket serves one connection; once it
 * is lost there is nothing to reconnect to. */
static int
take_inherited(rpc_client *c)
{
    int fd = c->addr.fd;

    if (fd < 0)
        return -ECONNRESET;
    c->addr.fd = -1;
    return use_connection(c, fd);
}

/* One attempt. Returns 0 when connected, else -errno. */
static int
try_connect(rpc_client *c, uint64_t deadline)
{
    int fd, one = 1, soerr = 0;
    socklen_t len = sizeof(soerr);
    struct pollfd p;

    if (c->addr.family == RPC_AF_FD)
        return take_inherited(c);
    if ((fd = rpc__socket(&c->addr)) < 0)
        return fd;
    if (connect(fd, (struct sockaddr *)&c->addr.sa, c->addr.salen) < 0) {
        /* EAGAIN on a Unix socket: the backlog is full and nothing was
         * queued; back off and retry like a refusal. */
        if (errno != EINPROGRESS) {
            int rc = -errno;
            close(fd);
            return rc;
        }
        p.fd = fd;
        p.events = POLLOUT;
        if (poll(&p, 1, ms_left(deadline)) <= 0) {
            close(fd);
            return -ETIMEDOUT;
        }
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
        if (soerr != 0) {
            close(fd);
            return -soerr;
        }
    }
    if (c->addr.family != AF_UNIX)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return use_connection(c, fd);
}

static int write_all(rpc_client *c, const uint8_t *p, size_t len);

/* Reads one whole frame of the token exchange into c->in. Returns 0 with
 * *h filled, or an error. */
static int
read_auth_frame(rpc_client *c, uint64_t deadline, struct rpc_header *h)
{
    struct rpc_buf *in = &c->in;

    for (;;) {
        ssize_t n;
        int left, rc;

        if (rpc__buf_len(in) >= RPC_HEADER_LEN) {
            rc = rpc__header_decode(in->data + in->start, c->max_frame, h);
            if (rc == 0 && (h->kind == RPC_KIND_REQUEST ||
                            h->length > RPC_AUTH_MAX_FRAME))
                rc = MR_EBADFRAME;
            if (rc != 0)
                return rc;
            if (rpc__buf_len(in) >= RPC_PREFIX_LEN + (size_t)h->length)
                return 0;
        }
        if ((left = ms_left(deadline)) == 0)
            return -ETIMEDOUT;
        if (rpc__buf_reserve(in, RPC_AUTH_MAX_FRAME + RPC_PREFIX_LEN) < 0)
            return -ENOMEM;
        bound_read(c, left);
        n = read(c->fd, in->data + in->end, in->cap - in->end);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -ECONNRESET;
        in->end += (size_t)n;
    }
}

/* Sends an AUTH frame (a nonce or a proof) and reads the answer: 1 with
 * its payload in c->in (consume it), 0 when refused (errmsg says why), or
 * an I/O error. */
static int
auth_step(rpc_client *c, const uint8_t *payload, size_t len,
          uint64_t deadline, struct rpc_header *h)
{
    _Static_assert(RPC_AUTH_NONCE_LEN == RPC_AUTH_PROOF_LEN,
                   "an AUTH frame holds one nonce or one proof");
    uint8_t frame[RPC_HEADER_LEN + RPC_AUTH_PROOF_LEN];
    int rc;

    rpc__header_encode(frame, RPC_KIND_AUTH, 0, 0, 0, len);
    if (len > 0)
        memcpy(frame + RPC_HEADER_LEN, payload, len);
    if ((rc = write_all(c, frame, RPC_HEADER_LEN + len)) < 0 ||
        (rc = read_auth_frame(c, deadline, h)) < 0)
        return rc;
    if (h->kind == RPC_KIND_AUTH && h->status == 0)
        return 1;
    fail(c, MR_EAUTH, "%s refused the connection: %.*s", c->addr.text,
         (int)rpc__payload_len(h),
         (const char *)c->in.data + c->in.start + RPC_HEADER_LEN);
    return 0;
}

/* Reads the server's answer to our nonce, in c->in: its nonce, into
 * server_nonce, and its proof, which must be right before we prove
 * anything to it. Returns 0, MR_EAUTH (c->errmsg says why), or
 * MR_EBADFRAME. */
static int
check_server_proof(rpc_client *c, const struct rpc_header *h,
                   const uint8_t client_nonce[RPC_AUTH_NONCE_LEN],
                   uint8_t server_nonce[RPC_AUTH_NONCE_LEN])
{
    const uint8_t *answer = c->in.data + c->in.start + RPC_HEADER_LEN;

    if (rpc__payload_len(h) == 0)       /* the server wants no token */
        return fail(c, MR_EAUTH, "%s does not ask for a token, but this "
                    "client was given one: refusing a server that cannot "
                    "check it (is this the right address?)", c->addr.text);
    if (rpc__payload_len(h) != RPC_AUTH_NONCE_LEN + RPC_AUTH_PROOF_LEN)
        return MR_EBADFRAME;
    memcpy(server_nonce, answer, RPC_AUTH_NONCE_LEN);
    if (!rpc__auth_check(c->token, c->token_len, RPC_AUTH_SERVER,
                         client_nonce, server_nonce,
                         answer + RPC_AUTH_NONCE_LEN, RPC_AUTH_PROOF_LEN))
        return fail(c, MR_EAUTH, "%s does not know this token: it is not "
                    "the server the --token-file belongs to (or the files "
                    "differ)", c->addr.text);
    return 0;
}

/* Proves the token both ways (auth.h): the server first, then us. Returns
 * 0; MR_EAUTH when the server refused us or could not prove the token
 * (c->errmsg says which); or an I/O or framing error (c->errmsg not
 * set). */
static int
authenticate(rpc_client *c, uint64_t deadline)
{
    uint8_t client_nonce[RPC_AUTH_NONCE_LEN];
    uint8_t server_nonce[RPC_AUTH_NONCE_LEN], proof[RPC_AUTH_PROOF_LEN];
    struct rpc_header h;
    int rc;

    rpc__auth_nonce(client_nonce);
    rc = auth_step(c, client_nonce, sizeof(client_nonce), deadline, &h);
    if (rc <= 0)
        return rc == 0 ? MR_EAUTH : rc;
    if ((rc = check_server_proof(c, &h, client_nonce, server_nonce)) < 0)
        return rc;
    rpc__buf_consume(&c->in, RPC_PREFIX_LEN + h.length);
    rpc__auth_proof(c->token, c->token_len, RPC_AUTH_CLIENT, client_nonce,
                    server_nonce, proof);
    rc = auth_step(c, proof, sizeof(proof), deadline, &h);
    if (rc <= 0)
        return rc == 0 ? MR_EAUTH : rc;
    rpc__buf_consume(&c->in, RPC_PREFIX_LEN + h.length);
    return 0;
}

/* Lets notify use the connection, now that the token exchange, which no
 * other frame may disturb, is over. */
static void
publish(rpc_client *c)
{
    pthread_mutex_lock(&c->write_lock);
    c->notify_fd = c->fd;
    pthread_mutex_unlock(&c->write_lock);
}

/* Connects, retrying with exponential backoff until the connect timeout. */
static int
ensure_connected(rpc_client *c)
{
    uint64_t deadline = deadline_after(c->connect_timeout_ms);
    int delay = BACKOFF_FIRST_MS, rc;

    if (c->fd >= 0)
        return 0;
    for (;;) {
        struct timespec ts;
        int left;

        if ((rc = try_connect(c, deadline)) == 0) {
            if (c->token == NULL || (rc = authenticate(c, deadline)) == 0) {
                publish(c);
                return 0;
            }
            disconnect(c);
            if (rc == MR_EAUTH)         /* a wrong token stays wrong */
                return rc;
        }
        if ((rc == -EMFILE || rc == -ENFILE) && c->shortage_fails_fast)
            return fail(c, rc, "cannot connect to %s: %s", c->addr.text,
                        mr_strerror(rc));
        if (c->addr.family == RPC_AF_FD)
            break;                      /* one connection, now gone */
        left = ms_left(deadline);
        if (left == 0)
            break;
        if (left > 0 && delay > left)
            delay = left;
        ts.tv_sec = delay / 1000;
        ts.tv_nsec = (long)(delay % 1000) * 1000000L;
        nanosleep(&ts, NULL);
        delay = delay * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : delay * 2;
    }
    return fail(c, MR_ECONNECT, "could not connect to %s: %s", c->addr.text,
                mr_strerror(rc));
}

/* ---------------------------------------------------------------- send */

/* An idle kept connection is reusable unless the server has closed it (it
 * restarted, or timed us out) or sent something nobody asked for. */
static bool
idle_connection_is_usable(rpc_client *c)
{
    char byte;
    ssize_t n = recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);

    return n < 0 && (errno == EAGAIN || errno == EINTR);
}

/* Sends it all; a send that blocks past SO_SNDTIMEO is a timeout. */
static int
write_all(rpc_client *c, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN ? MR_ETIMEDOUT : -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* write_all of a whole frame under the write lock, on a published
 * connection. */
static int
send_frame(rpc_client *c, const uint8_t *p, size_t len)
{
    int rc;

    pthread_mutex_lock(&c->write_lock);
    rc = write_all(c, p, len);
    pthread_mutex_unlock(&c->write_lock);
    return rc;
}

int
rpc_client_send(rpc_client *c, const ProtobufCServiceDescriptor *service,
                const char *method, const ProtobufCMessage *req, uint32_t *id)
{
    const ProtobufCMethodDescriptor *m =
        protobuf_c_service_descriptor_get_method_by_name(service, method);
    struct outstanding *o;
    size_t payload;
    int rc;

    c->remote_status = 0;
    if (m == NULL)
        return fail(c, -EINVAL, "%s has no method %s", service->name, method);
    if (req->descriptor != m->input)
        return fail(c, -EINVAL, "%s.%s takes a %s, not a %s", service->name,
                    method, m->input->name, req->descriptor->name);
    payload = protobuf_c_message_get_packed_size(req);
    if (payload + RPC_HEADER_LEN > c->max_frame)
        return fail(c, MR_ETOOBIG, "request of %zu bytes is larger than the "
                    "maximum frame of %zu", payload + RPC_HEADER_LEN,
                    c->max_frame);
    if (c->fd >= 0 && c->nouts == 0 &&
        rpc_monotonic_ms() - c->last_used >= IDLE_CHECK_MS &&
        !idle_connection_is_usable(c))
        disconnect(c);
    if ((rc = ensure_connected(c)) < 0)
        return rc;
    if (c->nouts == c->outcap) {
        size_t cap = c->outcap ? c->outcap * 2 : 8;
        struct outstanding *outs = realloc(c->outs, cap * sizeof(*outs));
        if (outs == NULL)
            return fail(c, -ENOMEM, "out of memory");
        c->outs = outs;
        c->outcap = cap;
    }
    c->out.start = c->out.end = 0;
    if (rpc__buf_reserve(&c->out, RPC_HEADER_LEN + payload) < 0)
        return fail(c, -ENOMEM, "out of memory");
    *id = c->next_id++;
    if (c->next_id == RPC_ONE_WAY_ID)   /* an id no reply would ever have */
        c->next_id = 1;
    rpc__header_encode(c->out.data, RPC_KIND_REQUEST,
                       (uint16_t)(m - service->methods), *id, 0, payload);
    protobuf_c_message_pack(req, c->out.data + RPC_HEADER_LEN);
    rc = send_frame(c, c->out.data, RPC_HEADER_LEN + payload);
    if (rc == -EPIPE && c->nouts == 0) {
        /* The server closed this idle connection before we wrote (it
         * restarted): nothing was delivered, so sending again is safe. */
        disconnect(c);
        if ((rc = ensure_connected(c)) < 0)
            return rc;
        rc = send_frame(c, c->out.data, RPC_HEADER_LEN + payload);
    }
    if (rc < 0) {
        disconnect(c);
        if (rc == MR_ETIMEDOUT)
            return fail(c, rc, "timed out sending to %s", c->addr.text);
        return fail(c, MR_ECONNLOST, "connection to %s lost: %s",
                    c->addr.text, strerror(-rc));
    }
    o = &c->outs[c->nouts++];
    memset(o, 0, sizeof(*o));
    o->id = *id;
    o->output = m->output;
    return 0;
}

int
rpc_client_pack_request(const ProtobufCServiceDescriptor *service,
                        const char *method, const ProtobufCMessage *req,
                        uint8_t *buf, size_t cap, size_t *len)
{
    const ProtobufCMethodDescriptor *m =
        protobuf_c_service_descriptor_get_method_by_name(service, method);
    size_t payload;

    if (m == NULL || req->descriptor != m->input)
        return -EINVAL;
    payload = protobuf_c_message_get_packed_size(req);
    if (RPC_HEADER_LEN + payload > cap)
        return MR_ETOOBIG;
    rpc__header_encode(buf, RPC_KIND_REQUEST,
                       (uint16_t)(m - service->methods), RPC_ONE_WAY_ID, 0,
                       payload);
    protobuf_c_message_pack(req, buf + RPC_HEADER_LEN);
    *len = RPC_HEADER_LEN + payload;
    return 0;
}

int
rpc_client_frame_append(uint8_t *buf, size_t cap, size_t *len,
                        const uint8_t *bytes, size_t n)
{
    size_t total = *len + n;

    if (*len < RPC_HEADER_LEN || n > cap || total > cap ||
        total - RPC_PREFIX_LEN > UINT32_MAX)
        return MR_ETOOBIG;
    /* No memcpy: only what a signal handler may call. */
    for (size_t i = 0; i < n; i++)
        buf[*len + i] = bytes[i];
    *len = total;
    total -= RPC_PREFIX_LEN;    /* the prefix counts what follows it */
    buf[0] = (uint8_t)(total >> 24);
    buf[1] = (uint8_t)(total >> 16);
    buf[2] = (uint8_t)(total >> 8);
    buf[3] = (uint8_t)total;
    return 0;
}

/* One send() of a whole frame, without waiting: 0 when all of it went,
 * -EAGAIN when none did (the socket's buffer is full), MR_ECONNLOST when
 * the connection is broken, or -errno. Part of a frame on the wire would
 * garble every frame after it: the connection is shut down then, for the
 * calling thread to find it lost, which is rare, since the frame is small
 * and the buffer had almost no room. A single send() of a small frame
 * also keeps it whole beside a dying worker's last words, which a signal
 * handler writes without the lock (worker/lastwords.h). */
static int
send_whole_or_nothing(int fd, const uint8_t *frame, size_t len)
{
    ssize_t n;

    do
        n = send(fd, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n == (ssize_t)len)
        return 0;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return -EAGAIN;
    if (n < 0 && errno != EPIPE && errno != ECONNRESET && errno != ENOTCONN)
        return -errno;
    if (n >= 0)
        shutdown(fd, SHUT_RDWR);
    return MR_ECONNLOST;
}

int
rpc_client_notify(rpc_client *c, const ProtobufCServiceDescriptor *service,
                  const char *method, const ProtobufCMessage *req)
{
    uint8_t frame[RPC_NOTIFY_MAX];
    size_t len;
    int rc = rpc_client_pack_request(service, method, req, frame,
                                     sizeof(frame), &len);

    if (rc < 0)
        return rc;
    if (len > c->max_frame)
        return MR_ETOOBIG;
    pthread_mutex_lock(&c->write_lock);
    rc = c->notify_fd < 0 ? MR_ECONNLOST
                          : send_whole_or_nothing(c->notify_fd, frame, len);
    pthread_mutex_unlock(&c->write_lock);
    return rc;
}

int
rpc_client_fd(const rpc_client *c)
{
    return c->fd;
}

/* ---------------------------------------------------------------- receive */

static struct outstanding *
find_outstanding(rpc_client *c, uint32_t id)
{
    for (size_t i = 0; i < c->nouts; i++)
        if (c->outs[i].id == id)
            return &c->outs[i];
    return NULL;
}

static void
forget_outstanding(rpc_client *c, struct outstanding *o)
{
    free(o->payload);
    *o = c->outs[--c->nouts];
}

/* Turns a reply payload into the caller's result. */
static int
finish_reply(rpc_client *c, const ProtobufCMessageDescriptor *output,
             int32_t status, const uint8_t *payload, size_t len,
             ProtobufCMessage **reply)
{
    if (status != 0) {
        c->remote_status = status;
        return fail(c, MR_EREMOTE, "%s answered %s: %.*s", c->addr.text,
                    mr_err_name(status) ? mr_err_name(status) : "error",
                    (int)(len > 400 ? 400 : len), (const char *)payload);
    }
    *reply = protobuf_c_message_unpack(output, NULL, len, payload);
    if (*reply == NULL) {
        disconnect(c);
        return fail(c, MR_EBADREPLY, "reply from %s is not a %s",
                    c->addr.text, output->name);
    }
    return 0;
}

/* Files the complete frames in the input buffer: early replies are kept
 * for their own wait. Returns 1 when the wanted reply was among them and
 * was finished into *result, 0 when it was not, or an error. */
static int
file_frames(rpc_client *c, uint32_t want, ProtobufCMessage **reply,
            int *result)
{
    struct rpc_buf *in = &c->in;
    int rc;

    while (rpc__buf_len(in) >= RPC_HEADER_LEN) {
        const uint8_t *f = in->data + in->start;
        struct rpc_header h;
        struct outstanding *o;
        size_t len;

        rc = rpc__header_decode(f, c->max_frame, &h);
        if (rc == 0 && h.kind != RPC_KIND_REPLY)
            rc = MR_EBADFRAME;
        if (rc != 0)
            return fail(c, MR_EBADREPLY, "bad reply frame from %s: %s",
                        c->addr.text, mr_strerror(rc));
        if (rpc__buf_len(in) < RPC_PREFIX_LEN + (size_t)h.length) {
            if (rpc__buf_reserve(in, RPC_PREFIX_LEN + h.length) < 0)
                return fail(c, -ENOMEM, "out of memory");
            break;
        }
        len = rpc__payload_len(&h);
        o = find_outstanding(c, h.id);
        if (o == NULL || o->answered)
            return fail(c, MR_EBADREPLY, "%s replied to request %u, which "
                        "is not outstanding", c->addr.text, h.id);
        c->last_used = rpc_monotonic_ms();
        if (h.id == want) {
            *result = finish_reply(c, o->output, h.status,
                                   f + RPC_HEADER_LEN, len, reply);
            if (c->fd >= 0) {
                forget_outstanding(c, o);
                rpc__buf_consume(in, RPC_PREFIX_LEN + h.length);
            }
            return 1;
        }
        o->payload = malloc(len ? len : 1);
        if (o->payload == NULL)
            return fail(c, -ENOMEM, "out of memory");
        memcpy(o->payload, f + RPC_HEADER_LEN, len);
        o->len = len;
        o->status = h.status;
        o->answered = true;
        rpc__buf_consume(in, RPC_PREFIX_LEN + h.length);
    }
    return 0;
}

/* Files the frames already in the buffer, else reads whatever is
 * available (waiting until deadline) and files those. Returns 1 when the
 * wanted reply is complete and was finished into *result, 0 to keep
 * waiting, or an error (connection reset). A wanted reply may come in the
 * same read as the one before it: it is in the buffer, not on the
 * socket. */
static int
receive(rpc_client *c, uint32_t want, ProtobufCMessage **reply,
        int *result, uint64_t deadline)
{
    struct rpc_buf *in = &c->in;
    int left = ms_left(deadline);
    ssize_t n;
    int rc = file_frames(c, want, reply, result);

    if (rc != 0)
        return rc;
    if (left == 0)
        return fail(c, MR_ETIMEDOUT, "no reply from %s in time",
                    c->addr.text);
    if (rpc__buf_reserve(in, 64 * 1024) < 0)
        return fail(c, -ENOMEM, "out of memory");
    bound_read(c, left);
    n = read(c->fd, in->data + in->end, in->cap - in->end);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;       /* the deadline is checked on the next round */
    if (n <= 0)
        return fail(c, MR_ECONNLOST, "connection to %s lost%s%s",
                    c->addr.text, n < 0 ? ": " : "",
                    n < 0 ? strerror(errno) : " (server closed it)");
    in->end += (size_t)n;
    return file_frames(c, want, reply, result);
}

int
rpc_client_wait(rpc_client *c, uint32_t id, ProtobufCMessage **reply,
                int timeout_ms)
{
    uint64_t deadline = deadline_after(timeout_ms);
    struct outstanding *o = find_outstanding(c, id);
    int rc, result = 0;

    *reply = NULL;
    if (o == NULL)
        return fail(c, -EINVAL, "request %u is not outstanding (was the "
                    "connection reset?)", id);
    if (o->answered) {
        rc = finish_reply(c, o->output, o->status, o->payload, o->len, reply);
        if ((o = find_outstanding(c, id)) != NULL)
            forget_outstanding(c, o);
        return rc;
    }
    while ((rc = receive(c, id, reply, &result, deadline)) == 0)
        ;
    if (rc < 0) {
        disconnect(c);
        return rc;
    }
    return result;
}

int
rpc_client_call_timeout(rpc_client *c,
                        const ProtobufCServiceDescriptor *service,
                        const char *method, const ProtobufCMessage *req,
                        ProtobufCMessage **reply, int timeout_ms)
{
    uint32_t id;
    int rc;

    *reply = NULL;
    if ((rc = rpc_client_send(c, service, method, req, &id)) < 0)
        return rc;
    return rpc_client_wait(c, id, reply, timeout_ms);
}

int
rpc_client_call(rpc_client *c, const ProtobufCServiceDescriptor *service,
                const char *method, const ProtobufCMessage *req,
                ProtobufCMessage **reply)
{
    return rpc_client_call_timeout(c, service, method, req, reply,
                                   c->call_timeout_ms);
}
