/* The RPC server's state, shared by its two files: server.c (connections
 * and calls) and listen.c (listening sockets and accepting). Internal to
 * rpc/; users see only rpc.h. */
#ifndef RPC_SERVER_INT_H
#define RPC_SERVER_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "log.h"
#include "rpc.h"

#define MAX_LISTENERS    4

/* A listening socket. Owns fd and, for a Unix socket, the socket file it
 * bound (identified by dev and ino): listener_close() removes that file. */
struct listener {
    int fd;
    bool is_unix;
    dev_t dev;                  /* identity of our socket file, so that */
    ino_t ino;                  /* shutdown never unlinks someone else's */
    char text[300];             /* bound address */
    rpc_server *srv;
    rpc_timer *retry;           /* re-arms accepting after EMFILE */
};

struct rpc_server {
    rpc_loop *loop;
    ProtobufCService *service;
    size_t max_frame;           /* largest reply sent */
    size_t max_request;         /* largest request accepted */
    size_t max_conns;
    unsigned frame_timeout_ms;
    struct mr_log_limit cap_log;    /* "connection cap reached" */
    struct mr_log_limit refuse_log; /* a refused token exchange */
    uint8_t *token;             /* owned copy; NULL: no authentication */
    size_t token_len;
    struct listener listeners[MAX_LISTENERS];
    int nlisteners;
    struct conn *conns;         /* open connections */
    size_t nconns;
    uint64_t next_conn_id;
    void (*on_disconnect)(uint64_t conn_id, void *arg);
    void *arg;
};

/* Takes an accepted or adopted socket fd (owned from now on, closed on any
 * failure) as a new connection. is_unix: it came from a Unix socket, whose
 * peer's credentials can be read. */
void rpc__conn_open(rpc_server *srv, int fd, bool is_unix);

/* Stops watching and closes a listener; removes its socket file if the
 * file is still the one it bound. */
void rpc__listener_close(rpc_server *srv, struct listener *l);

#endif
