/* The status page's server (coordinator/status_http.h) on a real loop and
 * a real socket: a client thread reads /status.json and / while the loop
 * runs, and once the server is freed every descriptor it opened (its
 * listening socket, MHD's epoll set, the connections) is closed. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

struct client {
    int port;
    const char *request;
    char answer[1 << 16];
    atomic_bool done;
};

/* Sends the request and reads the answer to EOF, blocking: the loop runs
 * in the test's thread meanwhile. */
static void *
client_main(void *arg)
{
    struct client *cl = arg;
    struct sockaddr_in sin = {.sin_family = AF_INET};
    size_t got = 0;
    ssize_t n;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    sin.sin_port = htons((uint16_t)cl->port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
        write(fd, cl->request, strlen(cl->request)) ==
            (ssize_t)strlen(cl->request)) {
        while (got < sizeof(cl->answer) - 1 &&
               (n = read(fd, cl->answer + got,
                         sizeof(cl->answer) - 1 - got)) > 0)
            got += (size_t)n;
    }
    cl->answer[got] = '\0';
    if (fd >= 0)
        close(fd);
    atomic_store(&cl->done, true);
    return NULL;
}

static void
check_done(rpc_loop *loop, void *arg)
{
    struct client *cl = arg;

    if (atomic_load(&cl->done))
        rpc_loop_stop(loop);
    else
        rpc_loop_timer_add(loop, 5, check_done, cl);
}

/* Runs the loop until a client thread has its answer to request. */
static void
ask(rpc_loop *loop, int port, const char *request, struct client *cl)
{
    pthread_t t;

    memset(cl, 0, sizeof(*cl));
    cl->port = port;
    cl->request = request;
    cr_assert_eq(pthread_create(&t, NULL, client_main, cl), 0);
    rpc_loop_timer_add(loop, 5, check_done, cl);
    cr_assert_eq(rpc_loop_run(loop), 0);
    pthread_join(t, NULL);
}

Test(status_http, answers_on_the_loop_and_closes_everything)
{
    char dir[256], input[300], err[MR_ERR_LEN], url[256];
    const char *files[1] = {input};
    struct coord_opts opts;
    struct status_addr addr;
    struct client *cl = calloc(1, sizeof(*cl));
    int before, port;
    rpc_loop *loop;
    status_http *h;
    coord *c;
    FILE *f;

    cr_assert_eq(tmpdir_create(dir, sizeof(dir), "status-http"), 0);
    snprintf(input, sizeof(input), "%s/in.txt", dir);
    cr_assert_not_null(f = fopen(input, "w"));
    fputs("one two three\n", f);
    fclose(f);
    before = open_fds();
    cr_assert_not_null(loop = rpc_loop_create(err));
    coord_opts_init(&opts);
    opts.nreduce = 3;
    cr_assert_not_null(c = coord_create(loop, files, 1, &opts, err), "%s",
                       err);
    cr_assert_eq(status_addr_parse("127.0.0.1:0", &addr, err), 0);
    h = status_http_start(loop, c, &addr, NULL, 0, url, sizeof(url), err);
    cr_assert_not_null(h, "%s", err);
    cr_assert_eq(sscanf(url, "http://127.0.0.1:%d/", &port), 1, "%s", url);

    ask(loop, port, "GET /status.json?tasks=2 HTTP/1.0\r\n\r\n", cl);
    cr_expect(strncmp(cl->answer, "HTTP/1.0 200", 12) == 0 ||
                  strncmp(cl->answer, "HTTP/1.1 200", 12) == 0,
              "%.80s", cl->answer);
    cr_expect(strstr(cl->answer, "\"maps\":{\"total\":1,\"done\":0") != NULL,
              "%s", cl->answer);
    cr_expect(strstr(cl->answer, "\"reduces\":{\"total\":3,") != NULL);
    ask(loop, port, "GET / HTTP/1.0\r\n\r\n", cl);
    cr_expect(strstr(cl->answer, "id=\"map-progress\"") != NULL,
              "%.200s", cl->answer);
    ask(loop, port, "PUT / HTTP/1.0\r\n\r\n", cl);
    cr_expect(strstr(cl->answer, " 405 ") != NULL, "%.80s", cl->answer);

    status_http_free(h);
    coord_free(c);
    rpc_loop_free(loop);
    cr_expect_eq(open_fds(), before, "descriptors left open");
    tmpdir_remove(dir);
    free(cl);
}
