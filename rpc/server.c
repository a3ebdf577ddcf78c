/* The RPC server: connections and call dispatch on one event loop (the
 * listening sockets are in listen.c).
 *
 * A connection reads whole frames into its input buffer, unpacks each
 * request with the method's input descriptor and invokes the service. Each
 * request becomes an rpc_call that the handler completes now or later; the
 * connection struct outlives its socket while calls are pending so that a
 * late reply finds it (and is dropped). A malformed frame gets an error
 * reply, then that connection alone is closed. */
#define _GNU_SOURCE
#include "server_int.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "auth.h"
#include "buf.h"
#include "frame.h"
#include "log.h"

#define READ_CHUNK       (64 * 1024)    /* bytes read per wakeup */
#define OUT_HIGH_WATER   (256 * 1024)   /* unsent replies: stop reading */

/* A connection's life. A server with a token makes each peer prove it
 * before any request (auth.h); without one a peer starts READY. A
 * deadline runs in every state but ACTIVE (there, only while part of a
 * frame has arrived): a peer that connects and says nothing, or stops
 * reading its last reply, is closed after frame_timeout_ms.
 *
 *   AWAIT_TOKEN --the client's nonce: our nonce and proof sent--+
 *                 (conn_answer_nonce)                           |
 *                                                               v
 *   READY <--the client's proof is right: accepted-------- CHALLENGED
 *     |       (conn_check_proof)
 *     |  a first whole frame read (conn_process)
 *     v
 *   ACTIVE --protocol error, refused token--> CLOSING --conn_close()--> CLOSED
 *             (conn_protocol_error,                                      ^
 *             conn_refuse); from any state                               |
 *             but CLOSED                                                 |
 *   conn_close() from any state: the peer hung up, a read or write ------+
 *   failed, the deadline passed, the server is freed
 *
 * CLOSING: no more input is read; the queued replies (the last of them
 * saying what was wrong) are flushed, then the connection closes. CLOSED:
 * the socket is gone; the struct lives on while calls still hold it, so
 * that their late replies find it and are dropped. */
enum conn_state {
    CONN_AWAIT_TOKEN,
    CONN_CHALLENGED,
    CONN_READY,
    CONN_ACTIVE,
    CONN_CLOSING,
    CONN_CLOSED,
};

static const char *const conn_state_names[] = {
    "AWAIT_TOKEN", "CHALLENGED", "READY", "ACTIVE", "CLOSING", "CLOSED",
};

struct conn {
    rpc_server *srv;
    enum conn_state state;      /* changed by conn_set_state() only */
    int fd;                     /* -1 once CLOSED */
    struct rpc_buf in, out;
    unsigned refs;              /* uncompleted calls, plus one while an event
                                   callback runs; freed at 0 once closed */
    bool dispatching;           /* inside conn_read: flush once at the end */
    unsigned watching;          /* events registered with the loop */
    uint64_t id;                /* rpc_call_conn_id() of its calls */
    rpc_timer *deadline;        /* armed while a request is awaited: after
                                   connecting, and mid-frame */
    bool trusted;               /* proved the token, or is this user or
                                   root on a Unix socket (SO_PEERCRED) */
    uint8_t client_nonce[RPC_AUTH_NONCE_LEN];   /* once CHALLENGED: the */
    uint8_t server_nonce[RPC_AUTH_NONCE_LEN];   /* exchange's two nonces */
    char peer[32];              /* for log lines */
    struct conn *prev, *next;
};

struct rpc_call {
    struct conn *conn;
    uint32_t id;
    uint16_t method;
    ProtobufCMessage *request;  /* owned; freed when the call completes */
};

static void conn_close(struct conn *conn);
static void conn_flush(struct conn *conn);

static void
conn_unref(struct conn *conn)
{
    if (--conn->refs == 0 && conn->state == CONN_CLOSED)
        free(conn);
}

/* Moves a connection along the diagram above; any other move is a bug. */
static void
conn_set_state(struct conn *conn, enum conn_state to)
{
    static const unsigned allowed[] = {     /* bit (1 << to), by from */
        [CONN_AWAIT_TOKEN] = 1u << CONN_CHALLENGED | 1u << CONN_CLOSING |
                             1u << CONN_CLOSED,
        [CONN_CHALLENGED]  = 1u << CONN_READY | 1u << CONN_CLOSING |
                             1u << CONN_CLOSED,
        [CONN_READY]       = 1u << CONN_ACTIVE | 1u << CONN_CLOSING |
                             1u << CONN_CLOSED,
        [CONN_ACTIVE]      = 1u << CONN_CLOSING | 1u << CONN_CLOSED,
        [CONN_CLOSING]     = 1u << CONN_CLOSED,
        [CONN_CLOSED]      = 0,
    };

    assert(allowed[conn->state] & (1u << to));
    mr_debug("%s: %s -> %s", conn->peer, conn_state_names[conn->state],
             conn_state_names[to]);
    conn->state = to;
}

/* Whether the peer may send requests: it proved the token, or none is
 * needed. */
static bool
conn_is_authed(const struct conn *conn)
{
    return conn->state == CONN_READY || conn->state == CONN_ACTIVE;
}

/* Whether replies can still be queued and input read. */
static bool
conn_is_open(const struct conn *conn)
{
    return conn->state != CONN_CLOSING && conn->state != CONN_CLOSED;
}

/* ---------------------------------------------------------------- output */

/* Appends a frame of kind to the output; payload is a message or raw
 * bytes. */
static int
conn_append_kind(struct conn *conn, uint8_t kind, uint16_t method,
                 uint32_t id, int32_t status, const ProtobufCMessage *msg,
                 const void *bytes, size_t len)
{
    struct rpc_buf *out = &conn->out;
    size_t payload = msg ? protobuf_c_message_get_packed_size(msg) : len;

    if (payload + RPC_HEADER_LEN > conn->srv->max_frame)
        return MR_ETOOBIG;
    if (rpc__buf_reserve(out, RPC_HEADER_LEN + payload) < 0)
        return -ENOMEM;
    rpc__header_encode(out->data + out->end, kind, method, id, status,
                       payload);
    out->end += RPC_HEADER_LEN;
    if (msg)
        protobuf_c_message_pack(msg, out->data + out->end);
    else if (len)
        memcpy(out->data + out->end, bytes, len);
    out->end += payload;
    return 0;
}

/* Appends a reply. */
static int
conn_append(struct conn *conn, uint16_t method, uint32_t id, int32_t status,
            const ProtobufCMessage *msg, const void *bytes, size_t len)
{
    return conn_append_kind(conn, RPC_KIND_REPLY, method, id, status, msg,
                            bytes, len);
}

static void
conn_append_error(struct conn *conn, uint16_t method, uint32_t id,
                  int status, const char *text)
{
    size_t len = strlen(text);

    if (len > 512)
        len = 512;
    (void)conn_append(conn, method, id, status, NULL, text, len);
}

static void
on_conn_event(rpc_loop *loop, int fd, unsigned events, void *arg);

/* Registers the events wanted, touching epoll only when they change. */
static void
conn_watch(struct conn *conn, unsigned events)
{
    if (events == conn->watching)
        return;
    if (rpc_loop_watch(conn->srv->loop, conn->fd, events, on_conn_event,
                       conn) == 0)
        conn->watching = events;
}

/* Writes what it can; watches for writability while output remains. */
static void
conn_flush(struct conn *conn)
{
    struct rpc_buf *out = &conn->out;

    while (rpc__buf_len(out) > 0) {
        ssize_t n = send(conn->fd, out->data + out->start,
                         rpc__buf_len(out), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                break;
            mr_debug("%s: write: %s", conn->peer, strerror(errno));
            conn_close(conn);
            return;
        }
        rpc__buf_consume(out, (size_t)n);
    }
    if (rpc__buf_len(out) == 0 && conn->state == CONN_CLOSING) {
        conn_close(conn);
        return;
    }
    /* A peer that does not read its replies is not read from either, so
     * that they cannot pile up. */
    conn_watch(conn, (!conn_is_open(conn) ||
                      rpc__buf_len(out) > OUT_HIGH_WATER
                          ? 0 : RPC_READABLE) |
                     (rpc__buf_len(out) ? RPC_WRITABLE : 0));
}

/* ---------------------------------------------------------------- calls */

static void
call_free(rpc_call *call)
{
    struct conn *conn = call->conn;

    protobuf_c_message_free_unpacked(call->request, NULL);
    free(call);
    conn_unref(conn);
}

/* Completes a call: queues its reply, or its error, unless its
 * connection is gone or nobody waits for an answer (a one-way request). */
static void
call_finish(rpc_call *call, int status, const ProtobufCMessage *reply,
            const char *text)
{
    struct conn *conn = call->conn;
    int rc = 0;

    if (conn_is_open(conn) && call->id != RPC_ONE_WAY_ID) {
        if (status == 0)
            rc = conn_append(conn, call->method, call->id, 0, reply, NULL, 0);
        if (rc == MR_ETOOBIG) {
            mr_warn("%s: reply to method %u is larger than the maximum "
                    "frame of %zu bytes", conn->peer, call->method,
                    conn->srv->max_frame);
            conn_append_error(conn, call->method, call->id, MR_ETOOBIG,
                              "reply larger than the maximum frame size");
        } else if (status != 0) {
            conn_append_error(conn, call->method, call->id, status, text);
        }
        if (!conn->dispatching)
            conn_flush(conn);
    }
    call_free(call);
}

/* The closure protoc-c's service stubs call with a reply (or NULL). */
static void
call_closure(const ProtobufCMessage *reply, void *data)
{
    rpc_call *call = data;
    const ProtobufCMethodDescriptor *m =
        &call->conn->srv->service->descriptor->methods[call->method];

    if (reply == NULL) {
        call_finish(call, MR_EHANDLER, NULL, "the handler failed");
    } else if (reply->descriptor != m->output) {
        mr_error("handler for %s replied with a %s, not a %s", m->name,
                 reply->descriptor->name, m->output->name);
        call_finish(call, MR_EHANDLER, NULL, "the handler replied with the "
                    "wrong message type");
    } else {
        call_finish(call, 0, reply, NULL);
    }
}

void
rpc_call_fail(rpc_call *call, int status, const char *fmt, ...)
{
    char text[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    call_finish(call, status ? status : MR_EHANDLER, NULL, text);
}

uint64_t
rpc_call_conn_id(const rpc_call *call)
{
    return call->conn->id;
}

bool
rpc_call_is_trusted(const rpc_call *call)
{
    return call->conn->trusted;
}

bool
rpc_call_is_live(const rpc_call *call)
{
    return conn_is_open(call->conn);
}

/* ---------------------------------------------------------------- input */

/* Answers a broken frame where possible, logs one line, and closes. */
static void
conn_protocol_error(struct conn *conn, const struct rpc_header *h, int rc,
                    const char *detail)
{
    char text[256];

    snprintf(text, sizeof(text), "%s%s%s", mr_strerror(rc),
             detail ? ": " : "", detail ? detail : "");
    mr_warn("%s: %s; closing the connection", conn->peer, text);
    conn_append_error(conn, h ? h->method : 0, h ? h->id : 0, rc, text);
    conn_set_state(conn, CONN_CLOSING);
}

/* Refuses a peer's token exchange with a message, and closes. */
static void
conn_refuse(struct conn *conn, const char *why)
{
    /* A peer guessing tokens must not flood the log. */
    mr_log_limited(&conn->srv->refuse_log, MR_LOG_WARN,
                   "%s: %s; closing the connection", conn->peer, why);
    (void)conn_append_kind(conn, RPC_KIND_AUTH, 0, 0, MR_EAUTH, NULL, why,
                           strlen(why));
    conn_set_state(conn, CONN_CLOSING);
}

/* AWAIT_TOKEN: the client's nonce challenges us; we answer with our own
 * nonce and our proof, and await the client's proof. */
static void
conn_answer_nonce(struct conn *conn, const uint8_t *payload, size_t len)
{
    rpc_server *srv = conn->srv;
    uint8_t answer[RPC_AUTH_NONCE_LEN + RPC_AUTH_PROOF_LEN];

    if (len != RPC_AUTH_NONCE_LEN) {
        conn_refuse(conn, "the token exchange starts with a 32-byte client "
                    "nonce: run the same version of the client and the "
                    "server");
        return;
    }
    memcpy(conn->client_nonce, payload, len);
    rpc__auth_nonce(conn->server_nonce);
    memcpy(answer, conn->server_nonce, RPC_AUTH_NONCE_LEN);
    rpc__auth_proof(srv->token, srv->token_len, RPC_AUTH_SERVER,
                    conn->client_nonce, conn->server_nonce,
                    answer + RPC_AUTH_NONCE_LEN);
    conn_set_state(conn, CONN_CHALLENGED);
    (void)conn_append_kind(conn, RPC_KIND_AUTH, 0, 0, 0, NULL, answer,
                           sizeof(answer));
}

/* CHALLENGED: the client's proof, accepted or refused. */
static void
conn_check_proof(struct conn *conn, const uint8_t *payload, size_t len)
{
    rpc_server *srv = conn->srv;

    if (!rpc__auth_check(srv->token, srv->token_len, RPC_AUTH_CLIENT,
                         conn->client_nonce, conn->server_nonce, payload,
                         len)) {
        conn_refuse(conn, "wrong token: the client's --token-file differs "
                    "from the server's");
        return;
    }
    conn_set_state(conn, CONN_READY);
    conn->trusted = true;
    (void)conn_append_kind(conn, RPC_KIND_AUTH, 0, 0, 0, NULL, NULL, 0);
}

/* One step of the token exchange (auth.h). */
static void
conn_auth(struct conn *conn, const uint8_t *payload, size_t len)
{
    if (conn->srv->token == NULL)       /* nothing to prove */
        (void)conn_append_kind(conn, RPC_KIND_AUTH, 0, 0, 0, NULL, NULL, 0);
    else if (conn_is_authed(conn))
        conn_refuse(conn, "authentication repeated");
    else if (conn->state == CONN_AWAIT_TOKEN)
        conn_answer_nonce(conn, payload, len);
    else
        conn_check_proof(conn, payload, len);
}

/* Unpacks and dispatches one complete request frame. */
static void
conn_dispatch(struct conn *conn, const struct rpc_header *h,
              const uint8_t *payload)
{
    const ProtobufCServiceDescriptor *sd = conn->srv->service->descriptor;
    ProtobufCMessage *req;
    rpc_call *call;
    char detail[128];

    if (h->kind == RPC_KIND_AUTH) {
        conn_auth(conn, payload, rpc__payload_len(h));
        return;
    }
    if (!conn_is_authed(conn)) {
        conn_protocol_error(conn, h, MR_EAUTH, "this server needs a token "
                            "first: give the client the server's "
                            "--token-file");
        return;
    }
    if (h->kind != RPC_KIND_REQUEST) {
        conn_protocol_error(conn, h, MR_EBADFRAME, "a reply sent to a server");
        return;
    }
    if (h->method >= sd->n_methods) {
        snprintf(detail, sizeof(detail), "method %u, %s has %u", h->method,
                 sd->name, sd->n_methods);
        conn_protocol_error(conn, h, MR_EBADMETHOD, detail);
        return;
    }
    req = protobuf_c_message_unpack(sd->methods[h->method].input, NULL,
                                    rpc__payload_len(h), payload);
    if (req == NULL) {
        snprintf(detail, sizeof(detail), "%zu bytes are not a %s",
                 rpc__payload_len(h), sd->methods[h->method].input->name);
        conn_protocol_error(conn, h, MR_EBADMSG, detail);
        return;
    }
    call = malloc(sizeof(*call));
    if (call == NULL) {
        protobuf_c_message_free_unpacked(req, NULL);
        conn_protocol_error(conn, h, -ENOMEM, "no memory for the call");
        return;
    }
    call->conn = conn;
    call->id = h->id;
    call->method = h->method;
    call->request = req;
    conn->refs++;
    conn->srv->service->invoke(conn->srv->service, h->method, req,
                               call_closure, call);
}

/* Handles every complete frame in the input buffer. */
static void
conn_process(struct conn *conn)
{
    struct rpc_buf *in = &conn->in;

    while (conn_is_open(conn) && rpc__buf_len(in) >= RPC_HEADER_LEN) {
        struct rpc_header h;
        const uint8_t *p = in->data + in->start;
        /* Before the token exchange, no frame needs more than a proof. */
        size_t limit = conn_is_authed(conn) ? conn->srv->max_request
                                    : RPC_AUTH_MAX_FRAME;
        int rc = rpc__header_decode(p, limit, &h);

        if (rc != 0) {
            char detail[96] = "";
            if (rc == MR_ETOOBIG)
                snprintf(detail, sizeof(detail), "%llu bytes, limit %zu",
                         (unsigned long long)h.length + RPC_PREFIX_LEN,
                         limit);
            else if (rc == MR_EBADVER)
                snprintf(detail, sizeof(detail), "version %u, expected %u",
                         h.version, RPC_VERSION);
            else if (h.length < RPC_HEADER_LEN - RPC_PREFIX_LEN)
                snprintf(detail, sizeof(detail), "length %u is shorter than "
                         "the header", h.length);
            else
                snprintf(detail, sizeof(detail), "frame kind %u", h.kind);
            conn_protocol_error(conn, &h, rc, detail[0] ? detail : NULL);
            return;
        }
        if (rpc__buf_len(in) < RPC_PREFIX_LEN + (size_t)h.length) {
            /* Make room for the rest of this frame, bounded by
             * max_request. */
            if (rpc__buf_reserve(in, RPC_PREFIX_LEN + h.length -
                                 rpc__buf_len(in)) < 0)
                conn_protocol_error(conn, &h, -ENOMEM, NULL);
            return;
        }
        conn_dispatch(conn, &h, p + RPC_HEADER_LEN);
        rpc__buf_consume(in, RPC_PREFIX_LEN + h.length);
        if (conn->state == CONN_READY) {
            conn_set_state(conn, CONN_ACTIVE);
            /* The connect deadline is over; a mid-frame one starts anew. */
            rpc_loop_timer_cancel(conn->srv->loop, conn->deadline);
            conn->deadline = NULL;
        }
    }
}

static void
on_conn_deadline(rpc_loop *loop, void *arg)
{
    struct conn *conn = arg;

    (void)loop;
    conn->deadline = NULL;
    mr_warn("%s: %s within %u ms; closing the connection", conn->peer,
            conn->state == CONN_ACTIVE    ? "did not finish a frame"
            : conn->state == CONN_CLOSING ? "did not read its last reply"
                                          : "sent no complete request",
            conn->srv->frame_timeout_ms);
    conn_close(conn);
}

/* A peer owes us something in every state but ACTIVE (see the diagram);
 * once ACTIVE, only while part of a frame is in the buffer. An idle ACTIVE
 * peer (a worker waiting for a task) owes nothing. A deadline runs while
 * the peer owes. */
static void
conn_arm_deadline(struct conn *conn)
{
    bool owes = conn->state != CONN_ACTIVE || rpc__buf_len(&conn->in) > 0;

    if (owes && conn->deadline == NULL)
        conn->deadline = rpc_loop_timer_add(conn->srv->loop,
                                            conn->srv->frame_timeout_ms,
                                            on_conn_deadline, conn);
    else if (!owes && conn->deadline != NULL) {
        rpc_loop_timer_cancel(conn->srv->loop, conn->deadline);
        conn->deadline = NULL;
    }
}

/* Says why a peer's connection ended: error, a read's errno, or 0 when
 * the peer hung up. */
static void
conn_log_hangup(const struct conn *conn, int error)
{
    if (error != 0)
        mr_debug("%s: read: %s", conn->peer, strerror(error));
    else if (rpc__buf_len(&conn->in) > 0)
        mr_warn("%s: connection closed in the middle of a frame "
                "(%zu bytes pending)", conn->peer, rpc__buf_len(&conn->in));
    else if (conn->state == CONN_CHALLENGED)
        /* The client checks our proof before it sends its own. */
        mr_log_limited(&conn->srv->refuse_log, MR_LOG_WARN,
                       "%s: hung up after our token proof: most likely its "
                       "--token-file differs from the server's",
                       conn->peer);
}

static void
conn_read(struct conn *conn)
{
    struct rpc_buf *in = &conn->in;
    ssize_t n;

    if (rpc__buf_reserve(in, READ_CHUNK) < 0) {
        conn_close(conn);
        return;
    }
    do
        n = read(conn->fd, in->data + in->end, in->cap - in->end);
    while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN)
        return;
    if (n <= 0) {
        conn_log_hangup(conn, n < 0 ? errno : 0);
        conn_close(conn);
        return;
    }
    in->end += (size_t)n;
    conn->dispatching = true;
    conn_process(conn);
    conn->dispatching = false;
    if (conn->state != CONN_CLOSED)
        conn_arm_deadline(conn);
    conn_flush(conn);
}

static void
on_conn_event(rpc_loop *loop, int fd, unsigned events, void *arg)
{
    struct conn *conn = arg;

    (void)loop;
    (void)fd;
    conn->refs++;
    if ((events & RPC_WRITABLE) && conn->state != CONN_CLOSED)
        conn_flush(conn);
    if ((events & RPC_READABLE) && conn_is_open(conn))
        conn_read(conn);
    conn_unref(conn);
}

/* ---------------------------------------------------------------- conns */

static void
conn_close(struct conn *conn)
{
    rpc_server *srv = conn->srv;

    if (conn->state == CONN_CLOSED)
        return;
    rpc_loop_watch(srv->loop, conn->fd, 0, NULL, NULL);
    rpc_loop_timer_cancel(srv->loop, conn->deadline);
    conn->deadline = NULL;
    close(conn->fd);
    conn->fd = -1;
    conn_set_state(conn, CONN_CLOSED);
    rpc__buf_free(&conn->in);
    rpc__buf_free(&conn->out);
    if (conn->prev)
        conn->prev->next = conn->next;
    else
        srv->conns = conn->next;
    if (conn->next)
        conn->next->prev = conn->prev;
    srv->nconns--;
    /* The hook may complete this connection's calls, dropping their
     * references: hold one of our own until it returns. */
    conn->refs++;
    if (srv->on_disconnect != NULL)
        srv->on_disconnect(conn->id, srv->arg);
    conn_unref(conn);
}

/* Whether the peer on a Unix socket runs as this process's user, or as
 * root. */
static bool
peer_is_us(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);

    return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
           (cred.uid == geteuid() || cred.uid == 0);
}

void
rpc__conn_open(rpc_server *srv, int fd, bool is_unix)
{
    struct conn *conn;
    int one = 1;

    if (srv->nconns >= srv->max_conns) {
        mr_log_limited(&srv->cap_log, MR_LOG_WARN, "connection cap of %zu "
                       "reached; refusing new connections until some close",
                       srv->max_conns);
        close(fd);
        return;
    }
    if ((conn = calloc(1, sizeof(*conn))) == NULL) {
        close(fd);
        return;
    }
    if (!is_unix)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    conn->srv = srv;
    conn->fd = fd;
    conn->id = ++srv->next_conn_id;
    conn->state = srv->token == NULL ? CONN_READY : CONN_AWAIT_TOKEN;
    conn->trusted = is_unix && peer_is_us(fd);
    snprintf(conn->peer, sizeof(conn->peer), "client fd %d", fd);
    conn->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = conn;
    srv->conns = conn;
    srv->nconns++;
    conn_watch(conn, RPC_READABLE);
    if (conn->watching != RPC_READABLE)
        conn_close(conn);
    else
        conn_arm_deadline(conn);
}

int
rpc_server_adopt(rpc_server *srv, int fd)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    rpc__conn_open(srv, fd, true);
    return 0;
}

/* ---------------------------------------------------------------- server */

rpc_server *
rpc_server_create(rpc_loop *loop, ProtobufCService *service,
                  const struct rpc_server_opts *opts, char err[MR_ERR_LEN])
{
    rpc_server *srv = calloc(1, sizeof(*srv));

    if (srv == NULL) {
        snprintf(err, MR_ERR_LEN, "out of memory creating the server");
        return NULL;
    }
    srv->loop = loop;
    srv->service = service;
    srv->max_frame = opts && opts->max_frame ? opts->max_frame
                                             : RPC_DEFAULT_MAX_FRAME;
    srv->max_conns = opts && opts->max_conns ? opts->max_conns
                                             : RPC_DEFAULT_MAX_CONNS;
    srv->frame_timeout_ms = opts && opts->frame_timeout_ms
                                ? opts->frame_timeout_ms
                                : RPC_DEFAULT_FRAME_MS;
    if (opts != NULL) {
        srv->on_disconnect = opts->on_disconnect;
        srv->arg = opts->arg;
    }
    if (opts != NULL && opts->token != NULL) {
        srv->token = rpc__auth_token_copy(opts->token, opts->token_len);
        if (srv->token == NULL) {
            snprintf(err, MR_ERR_LEN, "cannot set up token authentication");
            free(srv);
            return NULL;
        }
        srv->token_len = opts->token_len;
    }
    if (srv->max_frame < RPC_HEADER_LEN + 64)
        srv->max_frame = RPC_HEADER_LEN + 64;
    srv->max_request = opts && opts->max_request ? opts->max_request
                                                 : srv->max_frame;
    if (srv->max_request < RPC_HEADER_LEN + 64)
        srv->max_request = RPC_HEADER_LEN + 64;
    return srv;
}

size_t
rpc_server_connections(const rpc_server *srv)
{
    return srv->nconns;
}

void
rpc_server_free(rpc_server *srv)
{
    if (srv == NULL)
        return;
    srv->on_disconnect = NULL;      /* the owner is tearing down */
    for (int i = 0; i < srv->nlisteners; i++)
        rpc__listener_close(srv, &srv->listeners[i]);
    while (srv->conns != NULL) {
        struct conn *conn = srv->conns;
        if (conn->refs > 0)
            mr_warn("%s: %u calls never completed", conn->peer, conn->refs);
        conn_close(conn);
    }
    rpc__auth_token_free(srv->token, srv->token_len);
    free(srv);
}
