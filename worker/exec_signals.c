/* Dying of a signal without leaving commands behind. See exec_signals.h. */
#define _GNU_SOURCE
#include "exec_signals.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "exec_child.h"

static const int ending[] = {SIGTERM, SIGINT, SIGHUP};
#define NENDING (sizeof(ending) / sizeof(ending[0]))

static void
on_ending(int signo)
{
    int saved = errno;

    exec_child_kill_running();
    /* SA_RESETHAND restored the default action: die of the signal. */
    errno = saved;
    raise(signo);
}

int
exec_signals_init(void)
{
    struct sigaction sa, was;

    if (signal(SIGCHLD, SIG_DFL) == SIG_ERR)
        return -errno;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_ending;
    sa.sa_flags = SA_RESETHAND | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NENDING; i++) {
        if (sigaction(ending[i], NULL, &was) < 0)
            return -errno;
        if (was.sa_handler == SIG_IGN)
            continue;
        if (sigaction(ending[i], &sa, NULL) < 0)
            return -errno;
    }
    return 0;
}
