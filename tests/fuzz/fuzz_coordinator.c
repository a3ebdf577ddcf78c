/* Fuzz target: arbitrary bytes sent to a real coordinator over a socket.
 * Each input is written to one end of a socketpair that the coordinator
 * serves (coord_adopt, as mrrun hands it its workers), then that end is
 * shut; the loop runs until the coordinator hangs up. The coordinator
 * persists across inputs, so tasks handed out, reported and requeued by
 * earlier inputs shape later ones.
 * Built with FUZZ_WITH_TOKEN (fuzz_auth.c), the coordinator has a token,
 * so inputs meet the token exchange first. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coord.h"
#include "log.h"
#include "rpc.h"

static rpc_loop *loop;
static coord *co;
static bool hung_up;

static void
on_client(rpc_loop *l, int fd, unsigned events, void *arg)
{
    char buf[65536];
    ssize_t n;

    (void)events;
    (void)arg;
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        ;
    if (n == 0 || (n < 0 && errno != EAGAIN)) {
        hung_up = true;
        rpc_loop_watch(l, fd, 0, NULL, NULL);
        rpc_loop_stop(l);
    }
}

/* The job's directory: fuzzed joins must not pick one (they name any
 * directory as theirs), so the coordinator is given this one. */
static char outdir[] = "/tmp/mr-fuzz-job-XXXXXX";

static char input[] = "/tmp/mr-fuzz-input-XXXXXX";

static int
remove_entry(const char *path, const struct stat *st, int flag,
             struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* What the fuzzing created goes when it ends. */
static void
clean_up(void)
{
    nftw(outdir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    unlink(input);
}

static void
setup(void)
{
    static const char *files[1] = {input};
    struct coord_opts opts = {.nreduce = 3, .output_dir = outdir};
#ifdef FUZZ_WITH_TOKEN
    static const char token[] = "fuzzing token, 30 bytes long..";

    opts.token = (const uint8_t *)token;
    opts.token_len = sizeof(token) - 1;
#endif
    char err[MR_ERR_LEN];
    int fd = mkstemp(input);

    setenv("MR_LOG", "error", 1);
    mr_log_init("fuzz");
    if (fd < 0 || write(fd, "a b c\n", 6) != 6)
        abort();
    close(fd);
    if (mkdtemp(outdir) == NULL)
        abort();
    atexit(clean_up);
    loop = rpc_loop_create(err);
    co = loop ? coord_create(loop, files, 1, &opts, err) : NULL;
    if (co != NULL && coord_start(co, err) < 0) {
        coord_free(co);
        co = NULL;
    }
    if (co == NULL) {
        fprintf(stderr, "fuzz setup: %s\n", err);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int sv[2];

    if (loop == NULL)
        setup();
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        abort();
    if (coord_adopt(co, sv[0]) < 0)
        abort();
    /* Inputs are at most a few KiB: they fit the socket buffer. */
    if (size > 0 && write(sv[1], data, size) != (ssize_t)size)
        abort();
    shutdown(sv[1], SHUT_WR);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    hung_up = false;
    rpc_loop_watch(loop, sv[1], RPC_READABLE, on_client, NULL);
    while (!hung_up)
        rpc_loop_run(loop);
    close(sv[1]);
    return 0;
}
