/* Address parsing and formatting for unix: and tcp: addresses. */
#define _GNU_SOURCE
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

static int
parse_unix(const char *path, struct rpc_addr *addr, char err[MR_ERR_LEN])
{
    struct sockaddr_un *sun = (struct sockaddr_un *)&addr->sa;

    if (path[0] == '\0') {
        snprintf(err, MR_ERR_LEN, "address 'unix:' has no path: write "
                 "unix:/path/to/socket");
        return MR_EBADADDR;
    }
    if (strlen(path) >= sizeof(sun->sun_path)) {
        snprintf(err, MR_ERR_LEN, "socket path is longer than %zu bytes: "
                 "%.60s...; choose a shorter path",
                 sizeof(sun->sun_path) - 1, path);
        return MR_EBADADDR;
    }
    sun->sun_family = AF_UNIX;
    strcpy(sun->sun_path, path);
    addr->family = AF_UNIX;
    addr->salen = (socklen_t)sizeof(*sun);
    return 0;
}

static int
parse_tcp(const char *hostport, struct rpc_addr *addr, char err[MR_ERR_LEN])
{
    char host[256] = "127.0.0.1";
    const char *colon = strrchr(hostport, ':');
    const char *port = colon ? colon + 1 : hostport;
    struct addrinfo hints = {0}, *res;
    char *end;
    long portnum;
    int rc;

    if (colon != NULL && colon > hostport) {
        size_t n = (size_t)(colon - hostport);
        if (hostport[0] == '[' && colon[-1] == ']') {   /* [::1]:80 */
            hostport++;
            n -= 2;
        }
        if (n >= sizeof(host)) {
            snprintf(err, MR_ERR_LEN, "host name too long in tcp:%s",
                     hostport);
            return MR_EBADADDR;
        }
        memcpy(host, hostport, n);
        host[n] = '\0';
    }
    portnum = strtol(port, &end, 10);
    if (port[0] == '\0' || *end != '\0' || portnum < 0 || portnum > 65535) {
        snprintf(err, MR_ERR_LEN, "bad port in 'tcp:%s': write tcp:HOST:PORT "
                 "with PORT from 0 to 65535", hostport);
        return MR_EBADADDR;
    }
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, MR_ERR_LEN, "cannot resolve host '%s': %s", host,
                 gai_strerror(rc));
        return MR_EBADADDR;
    }
    memcpy(&addr->sa, res->ai_addr, res->ai_addrlen);
    addr->salen = res->ai_addrlen;
    addr->family = res->ai_family;
    freeaddrinfo(res);
    return 0;
}

static int
parse_fd(const char *num, struct rpc_addr *addr, char err[MR_ERR_LEN])
{
    char *end;
    long fd = strtol(num, &end, 10);
    int type;
    socklen_t len = sizeof(type);

    if (num[0] == '\0' || *end != '\0' || fd < 0 || fd > 65535) {
        snprintf(err, MR_ERR_LEN, "bad descriptor in 'fd:%s': write fd:N "
                 "for an inherited connected socket", num);
        return MR_EBADADDR;
    }
    if (getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
        type != SOCK_STREAM) {
        snprintf(err, MR_ERR_LEN, "fd:%ld is not an inherited stream socket "
                 "(fd: addresses are for workers that mrrun starts)", fd);
        return MR_EBADADDR;
    }
    /* Not inherited further: by a child the app forks, say, which would
     * keep the connection open after this process died. */
    fcntl((int)fd, F_SETFD, FD_CLOEXEC);
    addr->family = RPC_AF_FD;
    addr->fd = (int)fd;
    return 0;
}

int
rpc__addr_parse(const char *text, struct rpc_addr *addr,
                char err[MR_ERR_LEN])
{
    memset(addr, 0, sizeof(*addr));
    if (strlen(text) >= sizeof(addr->text)) {
        snprintf(err, MR_ERR_LEN, "address is too long: %.60s...", text);
        return MR_EBADADDR;
    }
    strcpy(addr->text, text);
    if (strncmp(text, "unix:", 5) == 0)
        return parse_unix(text + 5, addr, err);
    if (strncmp(text, "tcp:", 4) == 0)
        return parse_tcp(text + 4, addr, err);
    if (strncmp(text, "fd:", 3) == 0)
        return parse_fd(text + 3, addr, err);
    snprintf(err, MR_ERR_LEN, "address '%s' is neither unix:/path nor "
             "tcp:host:port", text);
    return MR_EBADADDR;
}

void
rpc__addr_format(const struct sockaddr_storage *ss, char *out, size_t outlen)
{
    char host[INET6_ADDRSTRLEN];

    if (ss->ss_family == AF_UNIX) {
        snprintf(out, outlen, "unix:%s",
                 ((const struct sockaddr_un *)ss)->sun_path);
    } else if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        snprintf(out, outlen, "tcp:%s:%u", host, ntohs(in->sin_port));
    } else {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        snprintf(out, outlen, "tcp:[%s]:%u", host, ntohs(in6->sin6_port));
    }
}

bool
rpc__addr_is_loopback(const struct rpc_addr *addr)
{
    if (addr->family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&addr->sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (addr->family == AF_INET6) {
        const struct sockaddr_in6 *in6 =
            (const struct sockaddr_in6 *)&addr->sa;
        return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
    }
    return false;
}

int
rpc__socket(const struct rpc_addr *addr)
{
    int fd = socket(addr->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    0);

    return fd < 0 ? -errno : fd;
}
