/* A raw TCP copy, the floor the shuffle is measured against in
 * bench/bench-net.sh: one process sends N bytes over one connection, the
 * other reads them and says how long they took, from the connection's
 * accept to its end. No framing, no checksum, no app: what the network
 * path alone gives.
 *
 *   tcp_copy receive HOST      listens on HOST, any port; prints the port
 *                              on one line, then, once a sender is done,
 *                              "BYTES SECONDS"
 *   tcp_copy send HOST PORT N  connects and sends N bytes
 *
 * Exit status 0, or 1 with one line on stderr saying what failed. */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1u << 20)        /* bytes per read or write call */

static char buf[CHUNK];

static int
die(const char *what)
{
    fprintf(stderr, "tcp_copy: %s: %s\n", what, strerror(errno));
    return 1;
}

/* A TCP socket bound to host:port (listening) or connected to it. */
static int
tcp_socket(const char *host, const char *port, int listening)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = listening ? AI_PASSIVE : 0};
    struct addrinfo *ai;
    int fd, rc;

    if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
        fprintf(stderr, "tcp_copy: %s: %s\n", host, gai_strerror(rc));
        return -1;
    }
    fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd >= 0 && (listening ? bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
                                listen(fd, 1) < 0
                              : connect(fd, ai->ai_addr, ai->ai_addrlen) < 0)) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

static int
receive(const char *host)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    unsigned long long total = 0;
    char port[NI_MAXSERV];
    struct timespec t0, t1;
    ssize_t n;
    int lfd, fd;

    if ((lfd = tcp_socket(host, "0", 1)) < 0)
        return die("cannot listen");
    if (getsockname(lfd, (struct sockaddr *)&ss, &len) < 0 ||
        getnameinfo((struct sockaddr *)&ss, len, NULL, 0, port,
                    sizeof(port), NI_NUMERICSERV) != 0)
        return die("getsockname");
    printf("%s\n", port);
    fflush(stdout);
    while ((fd = accept(lfd, NULL, NULL)) < 0)
        if (errno != EINTR)
            return die("accept");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return die("read");
        total += (unsigned long long)n;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%llu %.6f\n", total, (double)(t1.tv_sec - t0.tv_sec) +
                                  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    close(fd);
    close(lfd);
    return 0;
}

static int
send_bytes(const char *host, const char *port, unsigned long long total)
{
    int fd = tcp_socket(host, port, 0);

    if (fd < 0)
        return die("cannot connect");
    memset(buf, 'x', sizeof(buf));
    while (total > 0) {
        size_t want = total < sizeof(buf) ? (size_t)total : sizeof(buf);
        ssize_t n = write(fd, buf, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return die("write");
        total -= (unsigned long long)n;
    }
    if (close(fd) < 0)
        return die("close");
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "receive") == 0)
        return receive(argv[2]);
    if (argc == 5 && strcmp(argv[1], "send") == 0)
        return send_bytes(argv[2], argv[3], strtoull(argv[4], NULL, 10));
    fprintf(stderr, "usage: tcp_copy receive HOST\n"
                    "       tcp_copy send HOST PORT BYTES\n");
    return 2;
}
