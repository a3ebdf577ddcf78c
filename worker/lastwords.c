/* A worker's last words on a fatal signal. See lastwords.h. */
#define _GNU_SOURCE
#include "lastwords.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT,
                            SIGSYS, SIGTRAP};
#define NFATAL (sizeof(fatal) / sizeof(fatal[0]))
#define FRAME_MAX 512

/* One packed report per fatal signal, and where to send it. */
static uint8_t frames[NFATAL][FRAME_MAX];
static size_t frame_len[NFATAL];
static volatile sig_atomic_t armed_fd = -1;
/* The process that armed them: a child the app forked inherits the
 * handler and the socket, and must not speak for its parent. */
static volatile sig_atomic_t armed_pid;
static char altstack[64 * 1024];

static void
on_fatal(int signo)
{
    int saved = errno, fd = armed_fd;

    armed_fd = -1;
    if (getpid() != armed_pid)
        fd = -1;
    for (size_t i = 0; fd >= 0 && i < NFATAL; i++) {
        if (fatal[i] != signo)
            continue;
        for (size_t off = 0; off < frame_len[i];) {
            ssize_t n = write(fd, frames[i] + off, frame_len[i] - off);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            off += (size_t)n;
        }
    }
    /* SA_RESETHAND restored the default action: die of the signal. */
    errno = saved;
    raise(signo);
}

int
lastwords_init(void)
{
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
    struct sigaction sa;

    if (sigaltstack(&ss, NULL) < 0)
        return -errno;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_fatal;
    sa.sa_flags = SA_ONSTACK | SA_RESETHAND | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NFATAL; i++)
        if (sigaction(fatal[i], &sa, NULL) < 0)
            return -errno;
    return 0;
}

void
lastwords_arm(rpc_client *c, const Mr__TaskReport *task)
{
    Mr__TaskReport rep = MR__TASK_REPORT__INIT;
    char why[128];

    armed_fd = -1;
    rep.kind = task->kind;
    rep.id = task->id;
    rep.attempt = task->attempt;
    rep.ok = false;
    for (size_t i = 0; i < NFATAL; i++) {
        snprintf(why, sizeof(why), "its worker (pid %d) was killed by "
                 "SIG%s (%s) while running it", (int)getpid(),
                 sigabbrev_np(fatal[i]), strsignal(fatal[i]));
        rep.error = why;
        rep.signal = (uint32_t)fatal[i];
        if (rpc_client_pack_request(&mr__coordinator__descriptor,
                                    "ReportTask", &rep.base, frames[i],
                                    FRAME_MAX, &frame_len[i]) < 0)
            frame_len[i] = 0;
    }
    armed_pid = getpid();
    /* The frames are complete before the handler may see the fd. */
    atomic_signal_fence(memory_order_seq_cst);
    armed_fd = rpc_client_fd(c);
}

void
lastwords_disarm(void)
{
    armed_fd = -1;
}
