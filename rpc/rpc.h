/* The RPC layer: protobuf-c services called over Unix and TCP sockets in
 * length-framed messages (the frame is drawn in rpc/frame.h and
 * docs/protocol.md).
 *
 * Server side: a service declared in proto/ is implemented by filling the
 * struct that protoc-c generates (for example MR__COORDINATOR__INIT(coord_)),
 * and handed to rpc_server_create(). Each request calls the handler with the
 * unpacked input, a closure and closure data (an rpc_call). The handler
 * completes the call exactly once, now or later from any event-loop callback
 * (a deferred reply): closure(reply, call) answers, rpc_call_fail() answers
 * with an error, closure(NULL, call) answers MR_EHANDLER.
 *
 * Client side: rpc_client_call() sends one typed request and waits for its
 * typed reply on one kept connection, reconnecting when the server restarts.
 * rpc_client_notify() sends a one-way request (no reply), from any thread.
 *
 * One-way requests carry the id RPC_ONE_WAY_ID: the server runs the
 * handler and completes the call as usual, but sends no reply, not even
 * an error one.
 */
#ifndef RPC_H
#define RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "loop.h"
#include "mr_err.h"

#define RPC_DEFAULT_MAX_FRAME (1u << 20)

/* ================================================================ server */

typedef struct rpc_server rpc_server;
typedef struct rpc_call rpc_call;

#define RPC_DEFAULT_MAX_CONNS  1024
#define RPC_DEFAULT_FRAME_MS   10000

struct rpc_server_opts {
    size_t max_frame;       /* largest frame accepted or sent, bytes;
                               0 means RPC_DEFAULT_MAX_FRAME */
    size_t max_request;     /* largest request accepted, when smaller;
                               0 means max_frame. Bounds what partial
                               requests can hold: max_conns times this */
    size_t max_conns;       /* connections beyond this are closed at once;
                               0 means RPC_DEFAULT_MAX_CONNS */
    /* A peer must send its first complete request within this many ms of
     * connecting, and finish any frame it starts within this many ms; else
     * it is disconnected. 0 means RPC_DEFAULT_FRAME_MS. */
    unsigned frame_timeout_ms;
    /* Called when a client connection closes, with the id its calls
     * carried (rpc_call_conn_id); may be NULL. */
    void (*on_disconnect)(uint64_t conn_id, void *arg);
    void *arg;
    /* A shared secret (copied): the server proves it knows it to each
     * client, and a client must prove it in turn (docs/protocol.md),
     * before any request is served. NULL: none. Listening on a TCP address other than loopback is
     * refused without one. */
    const uint8_t *token;
    size_t token_len;
};

/* Creates a server for service on loop. The service and loop are borrowed
 * and must outlive the server. Returns NULL with err filled. */
rpc_server *rpc_server_create(rpc_loop *loop, ProtobufCService *service,
                              const struct rpc_server_opts *opts,
                              char err[MR_ERR_LEN]);

/* Listens on addr ("unix:/path" or "tcp:host:port"); may be called once per
 * address to serve several. A Unix socket is created with mode 0600, a stale
 * socket file of a dead server is replaced, and a live server on the path is
 * refused. TCP port 0 picks a free port. The address actually bound is
 * written to bound (may be NULL). Returns 0, or an error with err filled. */
int rpc_server_listen(rpc_server *srv, const char *addr, char *bound,
                      size_t boundlen, char err[MR_ERR_LEN]);

/* Serves an already connected stream socket (one end of a socketpair, say)
 * as a client connection; the server owns fd from now on. Returns 0 or
 * -errno (fd is closed then). */
int rpc_server_adopt(rpc_server *srv, int fd);

/* Closes every listener and connection and removes the Unix socket files.
 * Every deferred call must have been completed first. NULL is a no-op. */
void rpc_server_free(rpc_server *srv);

/* Number of open client connections. */
size_t rpc_server_connections(const rpc_server *srv);

/* Answers call with an error status and a message; frees the call. */
void rpc_call_fail(rpc_call *call, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Identifies the caller's connection: unique for the server's life, never
 * 0. */
uint64_t rpc_call_conn_id(const rpc_call *call);

/* True when the caller proved the server's token, or is, on a Unix socket
 * (or an adopted socketpair), a process of this server's user or root:
 * a peer that may make decisions about this host's files. A peer on TCP
 * without a token is anyone who can reach the port. */
bool rpc_call_is_trusted(const rpc_call *call);

/* True while the caller's connection is open: a deferred call whose client
 * has gone can still be completed, but its answer goes nowhere. */
bool rpc_call_is_live(const rpc_call *call);

/* ================================================================ client */

/* Threads: a client belongs to one thread, the one that creates it and
 * makes its calls (every function below), except rpc_client_notify(),
 * which one other thread may call at any time meanwhile. A mutex inside
 * the client keeps their frames whole and apart; the calling thread holds
 * it only while it writes a frame or changes the connection, never while
 * it waits for a reply. Stop the notifying thread before
 * rpc_client_free(). */
typedef struct rpc_client rpc_client;

struct rpc_client_opts {
    int connect_timeout_ms; /* keep retrying to connect, with backoff, this
                               long; 0 means 5000, -1 forever */
    int call_timeout_ms;    /* default wait for a reply; 0 means 30000,
                               -1 forever */
    size_t max_frame;       /* 0 means RPC_DEFAULT_MAX_FRAME */
    /* The server's shared secret (copied), proved both ways on every
     * connect: a server that cannot prove it, or that refuses ours, fails
     * the call with MR_EAUTH at once. NULL: none. */
    const uint8_t *token;
    size_t token_len;
    /* Out of descriptors here (EMFILE, ENFILE from socket()): fail the
     * call with that -errno at once, for a caller that can close some and
     * try again; false: retried like a refusal, then MR_ECONNECT. */
    bool shortage_fails_fast;
};

/* Creates a client for addr; connects at the first call. Returns NULL with
 * err filled when addr is malformed. */
rpc_client *rpc_client_create(const char *addr,
                              const struct rpc_client_opts *opts,
                              char err[MR_ERR_LEN]);
/* Closes the connection and frees the client. NULL is a no-op. */
void rpc_client_free(rpc_client *c);

/* Calls method (its name in the .proto, e.g. "GetTask") of service and waits
 * up to the client's call timeout. On success returns 0 and sets *reply to a
 * message the caller frees with protobuf_c_message_free_unpacked(*reply,
 * NULL). Errors:
 *   MR_ECONNECT   could not connect within the connect timeout
 *   -EMFILE, -ENFILE  out of descriptors, with opts.shortage_fails_fast
 *   MR_EAUTH      the server refused our token, or could not prove it
 *                 knows it (or wants none while we have one)
 *   MR_ETIMEDOUT  no reply within the timeout (the connection is reset)
 *   MR_ECONNLOST  the connection broke after the request was sent
 *   MR_EREMOTE    the server answered with an error: see
 *                 rpc_client_remote_status() and rpc_client_errmsg()
 *   MR_EBADREPLY  the reply could not be parsed (the connection is reset)
 *   -EINVAL       unknown method, or req is not the method's input type
 * rpc_client_errmsg() says more after any error. */
int rpc_client_call(rpc_client *c, const ProtobufCServiceDescriptor *service,
                    const char *method, const ProtobufCMessage *req,
                    ProtobufCMessage **reply);

/* As rpc_client_call() with an explicit timeout (-1: forever). */
int rpc_client_call_timeout(rpc_client *c,
                            const ProtobufCServiceDescriptor *service,
                            const char *method, const ProtobufCMessage *req,
                            ProtobufCMessage **reply, int timeout_ms);

/* Pipelining: sends a request without waiting and returns its id in *id;
 * rpc_client_wait() then collects that reply, in any order. Same errors. */
int rpc_client_send(rpc_client *c, const ProtobufCServiceDescriptor *service,
                    const char *method, const ProtobufCMessage *req,
                    uint32_t *id);
int rpc_client_wait(rpc_client *c, uint32_t id, ProtobufCMessage **reply,
                    int timeout_ms);

/* The request id of a one-way request, which the server does not
 * answer. */
#define RPC_ONE_WAY_ID 0xffffffffu

/* The largest one-way request frame rpc_client_notify() sends. */
#define RPC_NOTIFY_MAX 512

/* Sends a one-way request on the connection the client has now, from any
 * thread (see Threads above): it never connects, never waits for the
 * network (only, briefly, for a frame the calling thread is writing), and
 * never touches rpc_client_errmsg(). The frame goes in one send() or not
 * at all. Returns 0 when it was sent whole (which says nothing of whether
 * the server will read it), or:
 *   MR_ECONNLOST  no connection (none yet, or being replaced), or it is
 *                 broken: nothing was sent
 *   -EAGAIN       the socket's buffer is full: nothing was sent
 *   MR_ETOOBIG    the frame is over RPC_NOTIFY_MAX or the maximum frame
 *   -EINVAL       unknown method, or req is not the method's input type
 *   -errno        another error of send(2)
 * Should the kernel take only part of the frame (its buffer full to the
 * last bytes), the connection is shut down, which the calling thread sees
 * as MR_ECONNLOST: a half frame would garble everything after it. */
int rpc_client_notify(rpc_client *c, const ProtobufCServiceDescriptor *service,
                      const char *method, const ProtobufCMessage *req);

/* For a dying process's last words: packs a one-way request frame into
 * buf[0..cap), to be written as-is on the connection, rpc_client_fd(),
 * from a signal handler, which cannot take the client's lock: safe while
 * the calling thread writes no other frame. A notify from another thread
 * goes in one send(), which lands inside this frame only when the
 * socket's buffer is full (worker/lastwords.h). Returns 0 with
 * *len set, MR_ETOOBIG when it does not fit, -EINVAL for a wrong method
 * or type. Any thread; touches no client. */
int rpc_client_pack_request(const ProtobufCServiceDescriptor *service,
                            const char *method, const ProtobufCMessage *req,
                            uint8_t *buf, size_t cap, size_t *len);
/* Appends bytes[0..n) to the payload of the frame in buf[0..*len) that
 * rpc_client_pack_request() packed (room for cap bytes), and makes its
 * length say so: an encoded protobuf field appended to a message is part
 * of it (fields may come in any order), which is how a signal handler adds
 * what it learns late to a frame packed early. Async-signal-safe. Returns
 * 0 with *len grown, or MR_ETOOBIG (nothing changed). */
int rpc_client_frame_append(uint8_t *buf, size_t cap, size_t *len,
                            const uint8_t *bytes, size_t n);
/* The connection's descriptor, or -1 while disconnected. The calling
 * thread's only. */
int rpc_client_fd(const rpc_client *c);

/* The last error in words (never NULL). Valid until the next call. */
const char *rpc_client_errmsg(const rpc_client *c);
/* The status the server sent with its last error reply (0 if none). */
int rpc_client_remote_status(const rpc_client *c);

#endif
