/* The status page's HTTP server on the coordinator's loop. See
 * status_http.h. */
#define _GNU_SOURCE
#include "status_http.h"

#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "printable.h"
#include "status_json.h"
#include "status_page.h"

struct status_http {
    rpc_loop *loop;             /* lent */
    const coord *c;             /* whose page this is */
    struct MHD_Daemon *mhd;
    int epfd;                   /* MHD's epoll descriptor, watched */
    rpc_timer *deadline;        /* MHD's next timeout, or NULL */
    struct status_key key;
    char name[256];             /* the host --http named (loopback only) */
    struct mr_log_limit refusals;   /* requests refused: key or host */
};

/* What a browser may do with our answers: run the page's own inline
 * script and style, fetch from us, load nothing from elsewhere. */
#define SECURITY_POLICY                                                      \
    "default-src 'none'; script-src 'unsafe-inline'; "                      \
    "style-src 'unsafe-inline'; connect-src 'self'; img-src data:; "        \
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/* ---------------------------------------------------------------- the loop */

static void drive(status_http *h);

static void
on_deadline(rpc_loop *loop, void *arg)
{
    status_http *h = arg;

    (void)loop;
    h->deadline = NULL;
    drive(h);
}

static void
on_ready(rpc_loop *loop, int fd, unsigned events, void *arg)
{
    (void)loop;
    (void)fd;
    (void)events;
    drive(arg);
}

static unsigned
connections(struct MHD_Daemon *mhd)
{
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

    return info != NULL ? info->num_connections : 0;
}

/* Lets MHD do what is ready (accept, read, answer, write, time out), then
 * arms the timer at MHD's next deadline: MHD_get_timeout() says 0 when it
 * has work left that its descriptor will not announce again. A run that
 * closed connections is followed by another: at its connection limit MHD
 * takes its listening socket out of its epoll set, and puts it back only
 * at the start of a run, which nothing would announce (the clients that
 * waited meanwhile would wait for ever). */
static void
drive(status_http *h)
{
    MHD_UNSIGNED_LONG_LONG ms;
    unsigned before;

    do {
        before = connections(h->mhd);
        MHD_run(h->mhd);
    } while (connections(h->mhd) < before);
    rpc_loop_timer_cancel(h->loop, h->deadline);
    h->deadline = NULL;
    if (MHD_get_timeout(h->mhd, &ms) == MHD_YES)
        h->deadline = rpc_loop_timer_add(h->loop, ms, on_deadline, h);
}

/* ---------------------------------------------------------------- answers */

/* Queues an answer: body (len bytes) is static, or malloc()ed and handed
 * over when mode is MHD_RESPMEM_MUST_FREE. */
static enum MHD_Result
answer(struct MHD_Connection *conn, unsigned status, const char *type,
       const void *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r;
    enum MHD_Result ret;

    r = MHD_create_response_from_buffer(len, (void *)body, mode);
    if (r == NULL) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free((void *)body);
        return MHD_NO;          /* MHD closes the connection */
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Content-Security-Policy", SECURITY_POLICY);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    if (status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Bearer");
    ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result
answer_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
    return answer(conn, status, "text/plain; charset=utf-8", text,
                  strlen(text), MHD_RESPMEM_PERSISTENT);
}

/* The rows of the task table a request asks for (?tasks=N), or -1 when N
 * is not a number. */
static long
tasks_wanted(struct MHD_Connection *conn)
{
    const char *arg = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
                                                  "tasks");
    unsigned long n;
    char *end;

    if (arg == NULL)
        return STATUS_HTTP_DEFAULT_TASKS;
    errno = 0;
    n = strtoul(arg, &end, 10);
    if (arg[0] < '0' || arg[0] > '9' || *end != '\0' || errno != 0)
        return -1;
    return n > STATUS_HTTP_MAX_TASKS ? STATUS_HTTP_MAX_TASKS : (long)n;
}

static enum MHD_Result
answer_status(status_http *h, struct MHD_Connection *conn)
{
    long ntasks = tasks_wanted(conn);
    struct Mr__StatusReply *reply;
    char *doc;
    size_t len;

    if (ntasks < 0)
        return answer_text(conn, MHD_HTTP_BAD_REQUEST,
                           "tasks wants a number of rows\n");
    reply = coord_status_build(h->c, (uint32_t)ntasks);
    doc = reply != NULL ? status_json(reply, &len) : NULL;
    coord_status_free(reply);
    if (doc == NULL)
        return answer_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
                           "the coordinator is out of memory\n");
    return answer(conn, MHD_HTTP_OK, "application/json", doc, len,
                  MHD_RESPMEM_MUST_FREE);
}

/* One line, rate-limited, when a request is refused: why (peer text in it
 * already made printable). */
static void
log_refusal(status_http *h, struct MHD_Connection *conn, const char *why)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    struct sockaddr_storage ss = {0};
    char from[80] = "?";

    if (info != NULL && info->client_addr != NULL) {
        memcpy(&ss, info->client_addr,
               info->client_addr->sa_family == AF_INET6
                   ? sizeof(struct sockaddr_in6)
                   : sizeof(struct sockaddr_in));
        status_addr_format(&ss, from, sizeof(from));
    }
    mr_log_limited(&h->refusals, MR_LOG_WARN, "status page: refused a "
                   "request from %s: %s", from, why);
}


/* What check_host() looks for: the first Host header of a request that
 * does not name loopback (the iteration stops there). */
struct host_check {
    const char *name;           /* the host --http named */
    const char *refused;        /* that header's value, or NULL */
};

static enum MHD_Result
check_host(void *cls, enum MHD_ValueKind kind, const char *key,
           const char *value)
{
    struct host_check *hc = cls;

    (void)kind;
    if (strcasecmp(key, MHD_HTTP_HEADER_HOST) != 0)
        return MHD_YES;
    if (value != NULL && status_host_is_loopback(value, hc->name))
        return MHD_YES;
    hc->refused = value != NULL ? value : "";
    return MHD_NO;
}

/* A page without a key (on loopback) answers only requests that call it by
 * a loopback name, in every Host header they carry; the others get 421. A
 * request without Host (HTTP/1.0; MHD answers 400 to HTTP/1.1 without
 * one) is served: browsers always send one, and only a browser can be
 * made to rebind. Returns true when the request was refused, with MHD's
 * result in *ret. */
static bool
refused_for_host(status_http *h, struct MHD_Connection *conn,
                 enum MHD_Result *ret)
{
    struct host_check hc = {h->name, NULL};
    char shown[80], why[160];

    MHD_get_connection_values(conn, MHD_HEADER_KIND, check_host, &hc);
    if (hc.refused == NULL)
        return false;
    snprintf(why, sizeof(why), "Host '%s' is not loopback's (a web page "
             "rebinding its name to this machine?)",
             printable_copy(hc.refused, shown, sizeof(shown)));
    log_refusal(h, conn, why);
    *ret = answer_text(conn, MHD_HTTP_MISDIRECTED_REQUEST,
                       "misdirected: without a key this page answers only "
                       "to 127.x.x.x, [::1], localhost and the host --http "
                       "named\n");
    return true;
}

/* MHD's access handler: every request, once its headers are in. */
static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
           const char *method, const char *version, const char *upload_data,
           size_t *upload_data_size, void **con_cls)
{
    status_http *h = cls;
    enum status_verdict v;
    enum MHD_Result ret;

    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)con_cls;
    if (!h->key.required && refused_for_host(h, conn, &ret))
        return ret;
    v = status_key_check(&h->key,
                         MHD_lookup_connection_value(
                             conn, MHD_HEADER_KIND,
                             MHD_HTTP_HEADER_AUTHORIZATION),
                         MHD_lookup_connection_value(
                             conn, MHD_GET_ARGUMENT_KIND, "token"));
    if (v != STATUS_SERVE) {
        log_refusal(h, conn, v == STATUS_NO_KEY ? "no page key"
                                                : "a wrong page key");
        return answer_text(conn, v == STATUS_NO_KEY ? MHD_HTTP_UNAUTHORIZED
                                                    : MHD_HTTP_FORBIDDEN,
                           v == STATUS_NO_KEY ? "unauthorized\n"
                                              : "forbidden\n");
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
        strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return answer_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                           "the status page is read with GET or HEAD\n");
    if (strcmp(url, "/") == 0)
        return answer(conn, MHD_HTTP_OK, "text/html; charset=utf-8",
                      status_page_html, status_page_html_len,
                      MHD_RESPMEM_PERSISTENT);
    if (strcmp(url, "/status.json") == 0)
        return answer_status(h, conn);
    return answer_text(conn, MHD_HTTP_NOT_FOUND,
                       "not found: the page is / and its facts "
                       "/status.json\n");
}

/* MHD's own complaints (a malformed request, a connection dropped): for
 * debugging only, since a peer can provoke them at will. */
__attribute__((format(printf, 2, 0))) static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[256];
    size_t n;

    (void)cls;
    if (!mr_log_enabled(MR_LOG_DEBUG))
        return;
    vsnprintf(line, sizeof(line), fmt, ap);
    n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    mr_debug("status page: %s", line);
}

/* ---------------------------------------------------------------- set-up */

/* A listening socket on addr, non-blocking and close-on-exec; its bound
 * address (the port the kernel chose) in *bound. Returns the fd, or -errno
 * with err filled. */
static int
listen_on(const struct status_addr *addr, struct sockaddr_storage *bound,
          char err[MR_ERR_LEN])
{
    char text[80];
    socklen_t len = sizeof(*bound);
    int one = 1, fd, rc;

    status_addr_format(&addr->sa, text, sizeof(text));
    fd = socket(addr->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
                SOCK_CLOEXEC, 0);
    if (fd < 0) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "status page: cannot make a socket: %s",
                 strerror(errno));
        return rc;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (const struct sockaddr *)&addr->sa, addr->salen) < 0 ||
        listen(fd, 64) < 0 ||
        getsockname(fd, (struct sockaddr *)bound, &len) < 0) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "status page: cannot listen on %s: %s",
                 text, strerror(errno));
        close(fd);
        return rc;
    }
    return fd;
}

/* Starts MHD on the listening socket fd, which it owns from now on (even
 * when this fails). */
static struct MHD_Daemon *
start_mhd(status_http *h, int fd)
{
    struct MHD_Daemon *d;

    d = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, h,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)STATUS_HTTP_MAX_CONNS,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)(h->key.required ? STATUS_HTTP_MAX_CONNS_PER_IP
                                   : STATUS_HTTP_MAX_CONNS_PER_LOOPBACK_IP),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)STATUS_HTTP_CONN_MEMORY,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)STATUS_HTTP_IDLE_S,
        MHD_OPTION_STRICT_FOR_CLIENT, 1,
        MHD_OPTION_END);
    if (d == NULL)
        close(fd);
    return d;
}

status_http *
status_http_start(rpc_loop *loop, const coord *c,
                  const struct status_addr *addr, const uint8_t *secret,
                  size_t secret_len, char *url, size_t urllen,
                  char err[MR_ERR_LEN])
{
    const union MHD_DaemonInfo *info;
    struct sockaddr_storage bound;
    char where[80];
    status_http *h;
    int fd;

    if (!addr->loopback && (secret == NULL || secret_len == 0)) {
        snprintf(err, MR_ERR_LEN, "a status page on an address other than "
                 "loopback needs --token-file; or bind it to 127.0.0.1");
        return NULL;
    }
    if ((h = calloc(1, sizeof(*h))) == NULL) {
        snprintf(err, MR_ERR_LEN, "status page: out of memory");
        return NULL;
    }
    h->loop = loop;
    h->c = c;
    h->epfd = -1;
    snprintf(h->name, sizeof(h->name), "%s", addr->name);
    if (status_key_init(&h->key, addr->loopback ? NULL : secret, secret_len,
                        !addr->loopback) < 0) {
        snprintf(err, MR_ERR_LEN, "status page: libsodium cannot start");
        goto out_free;
    }
    if ((fd = listen_on(addr, &bound, err)) < 0)
        goto out_free;
    status_addr_format(&bound, where, sizeof(where));
    if ((h->mhd = start_mhd(h, fd)) == NULL) {
        snprintf(err, MR_ERR_LEN, "status page: libmicrohttpd cannot serve "
                 "%s", where);
        goto out_free;
    }
    info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
    if (info == NULL ||
        rpc_loop_watch(loop, info->epoll_fd, RPC_READABLE, on_ready, h) < 0) {
        snprintf(err, MR_ERR_LEN, "status page: cannot watch libmicrohttpd's "
                 "epoll descriptor");
        goto out_stop;
    }
    h->epfd = info->epoll_fd;
    drive(h);
    snprintf(url, urllen, "http://%s/%s%s", where,
             h->key.required ? "?token=" : "",
             h->key.required ? h->key.hex : "");
    return h;

out_stop:
    MHD_stop_daemon(h->mhd);
out_free:
    status_key_forget(&h->key);
    free(h);
    return NULL;
}

void
status_http_free(status_http *h)
{
    if (h == NULL)
        return;
    if (h->epfd >= 0)
        rpc_loop_watch(h->loop, h->epfd, 0, NULL, NULL);
    rpc_loop_timer_cancel(h->loop, h->deadline);
    MHD_stop_daemon(h->mhd);
    status_key_forget(&h->key);
    free(h);
}
