/* The RPC server's listening sockets: binding Unix and TCP addresses
 * (replacing a stale socket file, refusing a live one), accepting, and
 * removing only the socket file this server made. */
#define _GNU_SOURCE
#include "server_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"

#define ACCEPTS_PER_WAKE 64

static void on_listener(rpc_loop *loop, int fd, unsigned events, void *arg);

static void
on_accept_retry(rpc_loop *loop, void *arg)
{
    struct listener *l = arg;

    l->retry = NULL;
    rpc_loop_watch(loop, l->fd, RPC_READABLE, on_listener, l);
}

static void
on_listener(rpc_loop *loop, int fd, unsigned events, void *arg)
{
    struct listener *l = arg;

    (void)events;
    for (int i = 0; i < ACCEPTS_PER_WAKE; i++) {
        int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE) {
                /* Out of descriptors: pause accepting instead of spinning. */
                mr_warn("%s: cannot accept: %s; pausing 100 ms", l->text,
                        strerror(errno));
                l->retry = rpc_loop_timer_add(loop, 100, on_accept_retry, l);
                if (l->retry != NULL)
                    rpc_loop_watch(loop, fd, 0, NULL, NULL);
            }
            return;
        }
        rpc__conn_open(l->srv, cfd, l->is_unix);
    }
}

/* Decides what to do with an existing file at a Unix socket path. Returns 0
 * when it was a stale socket and has been removed. */
static int
replace_stale_socket(const struct rpc_addr *addr, char err[MR_ERR_LEN])
{
    const char *path = ((const struct sockaddr_un *)&addr->sa)->sun_path;
    struct stat st;
    int fd, rc;

    if (lstat(path, &st) < 0)
        return 0;
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, MR_ERR_LEN, "%s exists and is not a socket; remove it "
                 "or choose another address", path);
        return -EEXIST;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    rc = connect(fd, (const struct sockaddr *)&addr->sa, addr->salen);
    close(fd);
    if (rc == 0) {
        snprintf(err, MR_ERR_LEN, "a server is already listening on %s; stop "
                 "it or choose another address", addr->text);
        return -EADDRINUSE;
    }
    if (errno != ECONNREFUSED) {
        snprintf(err, MR_ERR_LEN, "cannot check %s: %s", addr->text,
                 strerror(errno));
        return -errno;
    }
    mr_info("removing stale socket %s", path);
    if (unlink(path) < 0 && errno != ENOENT) {
        snprintf(err, MR_ERR_LEN, "cannot remove stale socket %s: %s", path,
                 strerror(errno));
        return -errno;
    }
    return 0;
}

static int
bind_unix(int fd, const struct rpc_addr *addr, struct listener *l,
          char err[MR_ERR_LEN])
{
    const char *path = ((const struct sockaddr_un *)&addr->sa)->sun_path;
    struct stat st;
    mode_t old;
    int rc;

    for (int attempt = 0; attempt < 2; attempt++) {
        old = umask(0177);     /* the socket file is created 0600 */
        rc = bind(fd, (const struct sockaddr *)&addr->sa, addr->salen);
        umask(old);
        if (rc == 0)
            break;
        if (errno != EADDRINUSE || attempt > 0) {
            snprintf(err, MR_ERR_LEN, "cannot bind %s: %s", addr->text,
                     strerror(errno));
            return -errno;
        }
        if ((rc = replace_stale_socket(addr, err)) < 0)
            return rc;
    }
    if (stat(path, &st) == 0) {
        l->dev = st.st_dev;
        l->ino = st.st_ino;
    }
    return 0;
}

static int
bind_tcp(int fd, const struct rpc_addr *addr, char err[MR_ERR_LEN])
{
    int one = 1;

    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (const struct sockaddr *)&addr->sa, addr->salen) < 0) {
        snprintf(err, MR_ERR_LEN, "cannot bind %s: %s", addr->text,
                 strerror(errno));
        return -errno;
    }
    return 0;
}

int
rpc_server_listen(rpc_server *srv, const char *text, char *bound,
                  size_t boundlen, char err[MR_ERR_LEN])
{
    struct listener *l = &srv->listeners[srv->nlisteners];
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof(ss);
    struct rpc_addr addr;
    int fd, rc;

    if (srv->nlisteners == MAX_LISTENERS) {
        snprintf(err, MR_ERR_LEN, "at most %d listening addresses",
                 MAX_LISTENERS);
        return -EINVAL;
    }
    if ((rc = rpc__addr_parse(text, &addr, err)) < 0)
        return rc;
    if (addr.family == RPC_AF_FD) {
        snprintf(err, MR_ERR_LEN, "%s is a connected socket, not an address "
                 "to listen on", text);
        return MR_EBADADDR;
    }
    if (addr.family != AF_UNIX && !rpc__addr_is_loopback(&addr) &&
        srv->token == NULL) {
        snprintf(err, MR_ERR_LEN, "%s is not a loopback address: anyone who "
                 "can reach it could issue requests; give a shared secret "
                 "with --token-file (clients need the same file)", text);
        return -EACCES;
    }
    if ((fd = rpc__socket(&addr)) < 0) {
        snprintf(err, MR_ERR_LEN, "socket: %s", strerror(-fd));
        return fd;
    }
    memset(l, 0, sizeof(*l));
    l->is_unix = addr.family == AF_UNIX;
    rc = l->is_unix ? bind_unix(fd, &addr, l, err) : bind_tcp(fd, &addr, err);
    if (rc == 0 && listen(fd, 511) < 0) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot listen on %s: %s", text,
                 strerror(errno));
    }
    if (rc == 0 && (rc = rpc_loop_watch(srv->loop, fd, RPC_READABLE,
                                        on_listener, l)) < 0)
        snprintf(err, MR_ERR_LEN, "epoll: %s", strerror(-rc));
    if (rc < 0) {
        if (l->is_unix && l->ino != 0)
            unlink(((struct sockaddr_un *)&addr.sa)->sun_path);
        close(fd);
        return rc;
    }
    getsockname(fd, (struct sockaddr *)&ss, &sslen);
    rpc__addr_format(&ss, l->text, sizeof(l->text));
    l->fd = fd;
    l->srv = srv;
    srv->nlisteners++;
    if (bound)
        snprintf(bound, boundlen, "%s", l->text);
    return 0;
}

void
rpc__listener_close(rpc_server *srv, struct listener *l)
{
    struct stat st;
    const char *path = l->text + 5;

    rpc_loop_watch(srv->loop, l->fd, 0, NULL, NULL);
    rpc_loop_timer_cancel(srv->loop, l->retry);
    close(l->fd);
    if (l->is_unix && stat(path, &st) == 0 && st.st_dev == l->dev &&
        st.st_ino == l->ino)
        unlink(path);
}
