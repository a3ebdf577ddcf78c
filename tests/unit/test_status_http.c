/* The status page's server (coordinator/status_http.h) on a real loop and
 * a real socket: a client thread reads /status.json and / while the loop
 * runs, and once the server is freed every descriptor it opened (its
 * listening socket, MHD's epoll set, the connections) is closed; without a
 * key it answers only to loopback's names; one address cannot hold more
 * than its share of the connections. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "coord.h"
#include "options.h"
#include "status_http.h"
#include "tmpdir.h"

static int
open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    cr_assert_not_null(d);
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1;               /* the directory's own descriptor */
}

/* A TCP connection to 127.0.0.1:port from the address from (NULL: the
 * kernel's choice), whose reads give up after 30 s; -1 when it fails. */
static int
dial(const char *from, int port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET}, src = sin;
    struct timeval tv = {.tv_sec = 30};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if ((from != NULL &&
         (inet_pton(AF_INET, from, &src.sin_addr) != 1 ||
          bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0)) ||
        connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool
send_all(int fd, const char *text)
{
    return write(fd, text, strlen(text)) == (ssize_t)strlen(text);
}

/* Reads fd to its end into buf (NUL-terminated). Returns true at the end
 * (a reset included), false when a read failed otherwise or timed out. */
static bool
read_to_end(int fd, char *buf, size_t len)
{
    size_t got = 0;
    ssize_t n;

    while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
        got += (size_t)n;
    buf[got] = '\0';
    return got == len - 1 || n == 0 || errno == ECONNRESET;
}

/* The loop runs in the test's thread while a client thread, fn(arg),
 * talks to the server, blocking. */
struct beside {
    void *(*fn)(void *);
    void *arg;
    atomic_bool done;
};

static void *
beside_main(void *arg)
{
    struct beside *b = arg;

    b->fn(b->arg);
    atomic_store(&b->done, true);
    return NULL;
}

static void
check_done(rpc_loop *loop, void *arg)
{
    struct beside *b = arg;

    if (atomic_load(&b->done))
        rpc_loop_stop(loop);
    else
        rpc_loop_timer_add(loop, 5, check_done, b);
}

/* Runs the loop until fn(arg), in a thread of its own, returns. */
static void
run_beside(rpc_loop *loop, void *(*fn)(void *), void *arg)
{
    struct beside b = {.fn = fn, .arg = arg};
    pthread_t t;

    cr_assert_eq(pthread_create(&t, NULL, beside_main, &b), 0);
    rpc_loop_timer_add(loop, 5, check_done, &b);
    cr_assert_eq(rpc_loop_run(loop), 0);
    pthread_join(t, NULL);
}

struct client {
    int port;
    const char *request;
    char answer[1 << 16];
};

/* Sends the request and reads the answer to EOF. */
static void *
client_main(void *arg)
{
    struct client *cl = arg;
    int fd = dial(NULL, cl->port);

    cl->answer[0] = '\0';
    if (fd >= 0 && send_all(fd, cl->request))
        read_to_end(fd, cl->answer, sizeof(cl->answer));
    if (fd >= 0)
        close(fd);
    return NULL;
}

/* Runs the loop until a client thread has its answer to request. */
static void
ask(rpc_loop *loop, int port, const char *request, struct client *cl)
{
    memset(cl, 0, sizeof(*cl));
    cl->port = port;
    cl->request = request;
    run_beside(loop, client_main, cl);
}

/* A page on 127.0.0.1 (no key) of a job over one small input, in a
 * directory of its own; name: the host --http named, if not 127.0.0.1. */
struct page {
    char dir[256];
    char input[300];
    rpc_loop *loop;
    coord *c;
    status_http *h;
    int port;
};

static void
page_start(struct page *p, const char *name)
{
    char err[MR_ERR_LEN], url[256];
    const char *files[1] = {p->input};
    struct coord_opts opts;
    struct status_addr addr;
    FILE *f;

    cr_assert_eq(tmpdir_create(p->dir, sizeof(p->dir), "status-http"), 0);
    snprintf(p->input, sizeof(p->input), "%s/in.txt", p->dir);
    cr_assert_not_null(f = fopen(p->input, "w"));
    fputs("one two three\n", f);
    fclose(f);
    cr_assert_not_null(p->loop = rpc_loop_create(err));
    coord_opts_init(&opts);
    opts.nreduce = 3;
    p->c = coord_create(p->loop, files, 1, &opts, err);
    cr_assert_not_null(p->c, "%s", err);
    cr_assert_eq(status_addr_parse("127.0.0.1:0", &addr, err), 0);
    if (name != NULL)
        snprintf(addr.name, sizeof(addr.name), "%s", name);
    p->h = status_http_start(p->loop, p->c, &addr, NULL, 0, url, sizeof(url),
                             err);
    cr_assert_not_null(p->h, "%s", err);
    cr_assert_eq(sscanf(url, "http://127.0.0.1:%d/", &p->port), 1, "%s",
                 url);
}

static void
page_stop(struct page *p)
{
    status_http_free(p->h);
    coord_free(p->c);
    rpc_loop_free(p->loop);
    tmpdir_remove(p->dir);
}

Test(status_http, answers_on_the_loop_and_closes_everything)
{
    struct client *cl = calloc(1, sizeof(*cl));
    struct page p;
    int before;

    before = open_fds();
    page_start(&p, NULL);
    ask(p.loop, p.port, "GET /status.json?tasks=2 HTTP/1.0\r\n\r\n", cl);
    cr_expect(strncmp(cl->answer, "HTTP/1.0 200", 12) == 0 ||
                  strncmp(cl->answer, "HTTP/1.1 200", 12) == 0,
              "%.80s", cl->answer);
    cr_expect(strstr(cl->answer, "\"maps\":{\"total\":1,\"done\":0") != NULL,
              "%s", cl->answer);
    cr_expect(strstr(cl->answer, "\"reduces\":{\"total\":3,") != NULL);
    ask(p.loop, p.port, "GET / HTTP/1.0\r\n\r\n", cl);
    cr_expect(strstr(cl->answer, "id=\"map-progress\"") != NULL,
              "%.200s", cl->answer);
    ask(p.loop, p.port, "PUT / HTTP/1.0\r\n\r\n", cl);
    cr_expect(strstr(cl->answer, " 405 ") != NULL, "%.80s", cl->answer);
    page_stop(&p);
    cr_expect_eq(open_fds(), before, "descriptors left open");
    free(cl);
}

/* Writes tmpl into out, its first "PORT" (if any) replaced by port. */
static void
with_port(const char *tmpl, int port, char *out, size_t len)
{
    const char *at = strstr(tmpl, "PORT");

    if (at == NULL)
        snprintf(out, len, "%s", tmpl);
    else
        snprintf(out, len, "%.*s%d%s", (int)(at - tmpl), tmpl, port, at + 4);
}

/* A page without a key answers only to loopback's names (DNS rebinding: a
 * web page that rebinds its own name to 127.0.0.1 sends that name). */
Test(status_http, without_a_key_answers_only_to_loopback_names)
{
    static const struct {
        const char *headers;    /* after the request line; PORT: the port */
        const char *status;     /* in the answer's status line */
    } cases[] = {
        {"Host: 127.0.0.1:PORT\r\n", " 200 "},
        {"Host: localhost:PORT\r\n", " 200 "},
        {"Host: [::1]:PORT\r\n", " 200 "},
        {"Host: evil.example:PORT\r\n", " 421 "},
        {"Host: evil.example\r\n", " 421 "},
        {"Host: \r\n", " 421 "},
        {"Host: 127.0.0.1:PORT\r\nHost: evil.example\r\n", " 421 "},
        {"Host: evil.example\r\nAuthorization: Bearer x\r\n", " 421 "},
        {"", " 400 "},          /* HTTP/1.1 without Host: MHD's own 400 */
        {"Host: myhost:PORT\r\n", " 421 "},
    };
    struct client *cl = calloc(1, sizeof(*cl));
    char headers[200], request[300];
    struct page p;

    page_start(&p, NULL);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        with_port(cases[i].headers, p.port, headers, sizeof(headers));
        snprintf(request, sizeof(request), "GET /status.json HTTP/1.1\r\n"
                 "%sConnection: close\r\n\r\n", headers);
        ask(p.loop, p.port, request, cl);
        cr_expect(strstr(cl->answer, cases[i].status) ==
                      strchr(cl->answer, ' ') && cl->answer[0] != '\0',
                  "%s: wanted%s, got %.80s", headers, cases[i].status,
                  cl->answer);
        cr_expect((strstr(cl->answer, "\"maps\":") != NULL) ==
                      (strcmp(cases[i].status, " 200 ") == 0),
                  "%s: %.300s", headers, cl->answer);
    }
    page_stop(&p);

    /* The host --http named (one that resolved to loopback) is served. */
    page_start(&p, "myhost");
    with_port("GET / HTTP/1.1\r\nHost: MyHost:PORT\r\nConnection: close"
              "\r\n\r\n", p.port, request, sizeof(request));
    ask(p.loop, p.port, request, cl);
    cr_expect(strncmp(cl->answer, "HTTP/1.1 200", 12) == 0, "%.80s",
              cl->answer);
    page_stop(&p);
    free(cl);
}

/* What the crowd saw: one address holding its share of connections
 * (STATUS_HTTP_MAX_CONNS_PER_LOOPBACK_IP) with requests it never
 * finishes. */
struct crowd {
    int port;
    bool fifth_closed;          /* one more from that address: closed
                                   (the fifth, when the share was 4) */
    char fifth[256];            /* what it read before */
    char other[1 << 16];        /* another address's answer meanwhile */
    char first[1 << 16];        /* the first held one's, finished last */
};

static void *
crowd_main(void *arg)
{
    static const char partial[] =
        "GET /status.json?tasks=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    static const char rest[] = "Connection: close\r\n\r\n";
    struct crowd *cr = arg;
    int held[STATUS_HTTP_MAX_CONNS_PER_LOOPBACK_IP], fd, i;

    for (i = 0; i < STATUS_HTTP_MAX_CONNS_PER_LOOPBACK_IP; i++)
        if ((held[i] = dial("127.0.0.1", cr->port)) >= 0)
            send_all(held[i], partial);
    /* The next from the same address is closed as MHD accepts it; without
     * the limit it would wait for the idle timeout, and so would the held
     * ones, opened before it: the first could not be served after. */
    if ((fd = dial("127.0.0.1", cr->port)) >= 0) {
        cr->fifth_closed = read_to_end(fd, cr->fifth, sizeof(cr->fifth));
        close(fd);
    }
    if ((fd = dial("127.0.0.2", cr->port)) >= 0) {
        if (send_all(fd, partial) && send_all(fd, rest))
            read_to_end(fd, cr->other, sizeof(cr->other));
        close(fd);
    }
    if (held[0] >= 0 && send_all(held[0], rest))
        read_to_end(held[0], cr->first, sizeof(cr->first));
    for (i = 0; i < STATUS_HTTP_MAX_CONNS_PER_LOOPBACK_IP; i++)
        if (held[i] >= 0)
            close(held[i]);
    return NULL;
}

/* One address cannot take every slot: one connection beyond its share is
 * closed at once, while its share keep theirs and another address is
 * served. (Holds
 * as long as the test runs within STATUS_HTTP_IDLE_S of the first
 * connection.) */
Test(status_http, one_address_holds_at_most_its_share)
{
    struct crowd *cr = calloc(1, sizeof(*cr));
    struct page p;
    int before;

    before = open_fds();
    page_start(&p, NULL);
    cr->port = p.port;
    run_beside(p.loop, crowd_main, cr);
    cr_expect(cr->fifth_closed && cr->fifth[0] == '\0',
              "the fifth connection read '%.80s' (closed: %d)", cr->fifth,
              cr->fifth_closed);
    cr_expect(strncmp(cr->other, "HTTP/1.1 200", 12) == 0,
              "127.0.0.2 got '%.80s'", cr->other);
    cr_expect(strncmp(cr->first, "HTTP/1.1 200", 12) == 0,
              "the first held connection got '%.80s'", cr->first);
    page_stop(&p);
    cr_expect_eq(open_fds(), before, "descriptors left open");
    free(cr);
}
