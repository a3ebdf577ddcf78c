/* Parsing of the addresses servers listen on and clients dial:
 * "unix:/path/to/socket" or "tcp:host:port" ("tcp::port" and "tcp:port" mean
 * 127.0.0.1), and, for clients only, "fd:N": a connected socket inherited
 * from the parent (mrrun hands each worker one end of a socketpair).
 * Internal to rpc/. */
#ifndef RPC_ADDR_H
#define RPC_ADDR_H

#include <stdbool.h>
#include <sys/socket.h>

#include "mr_err.h"

/* The family of an fd:N address. */
#define RPC_AF_FD (-1)

struct rpc_addr {
    int family;                     /* AF_UNIX, AF_INET/AF_INET6, RPC_AF_FD */
    int fd;                         /* RPC_AF_FD: the inherited socket */
    struct sockaddr_storage sa;
    socklen_t salen;
    char text[300];                 /* the address as written */
};

/* Parses text; TCP host names are resolved now. Returns 0, or MR_EBADADDR
 * with err saying what is wrong. */
int rpc__addr_parse(const char *text, struct rpc_addr *addr,
                    char err[MR_ERR_LEN]);

/* Writes the canonical text of a bound socket ("tcp:127.0.0.1:40123"). */
void rpc__addr_format(const struct sockaddr_storage *ss, char *out,
                      size_t outlen);

/* A TCP address on the loopback interface (127.0.0.0/8 or ::1)? */
bool rpc__addr_is_loopback(const struct rpc_addr *addr);

/* Creates a non-blocking, close-on-exec socket for addr. Returns fd or
 * -errno. */
int rpc__socket(const struct rpc_addr *addr);

#endif
