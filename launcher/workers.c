/* Starting, reaping and restarting mrworker processes. */
#define _GNU_SOURCE
#include "workers.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

static pid_t
spawn(struct workers *w)
{
    pid_t pid = fork();
    sigset_t none;

    if (pid != 0)
        return pid;
    /* The child: undo the launcher's blocked signals, then become a worker. */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    execv(w->argv[0], (char *const *)w->argv);
    fprintf(stderr, "mrrun: cannot run %s: %s\n", w->argv[0],
            strerror(errno));
    _exit(127);
}

int
workers_start(struct workers *w, int n, const char *exe, const char *addr,
              const char *app, char err[256])
{
    memset(w, 0, sizeof(*w));
    w->pids = calloc((size_t)n, sizeof(pid_t));
    if (w->pids == NULL) {
        snprintf(err, 256, "out of memory");
        return -ENOMEM;
    }
    w->n = n;
    w->keep_alive = true;
    w->max_restarts = 4 * n + 4;
    w->argv[0] = exe;
    w->argv[1] = "--addr";
    w->argv[2] = addr;
    w->argv[3] = app;
    w->argv[4] = NULL;
    for (int i = 0; i < n; i++) {
        w->pids[i] = spawn(w);
        if (w->pids[i] < 0) {
            int rc = -errno;
            snprintf(err, 256, "cannot start a worker: %s", strerror(errno));
            w->pids[i] = 0;
            return rc;
        }
        w->alive++;
    }
    return 0;
}

/* Describes how a child ended, for log lines. */
static void
describe(int status, char *buf, size_t len)
{
    if (WIFEXITED(status))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
    else
        snprintf(buf, len, "was killed by %s", strsignal(WTERMSIG(status)));
}

bool
workers_reap(struct workers *w)
{
    int status;
    pid_t pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        char how[64];
        int slot = -1;

        for (int i = 0; i < w->n; i++)
            if (w->pids[i] == pid)
                slot = i;
        if (slot < 0)
            continue;
        w->pids[slot] = 0;
        w->alive--;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            continue;
        describe(status, how, sizeof(how));
        if (!w->keep_alive)
            continue;
        if (w->restarts >= w->max_restarts) {
            snprintf(w->why_failed, sizeof(w->why_failed), "workers keep "
                     "dying (the last %s); gave up after %d restarts", how,
                     w->restarts);
            return false;
        }
        mr_warn("worker %d %s; starting another", (int)pid, how);
        w->pids[slot] = spawn(w);
        if (w->pids[slot] > 0) {
            w->alive++;
            w->restarts++;
        } else {
            w->pids[slot] = 0;
        }
    }
    return true;
}

void
workers_signal(struct workers *w, int sig)
{
    for (int i = 0; i < w->n; i++)
        if (w->pids[i] > 0)
            kill(w->pids[i], sig);
}

void
workers_free(struct workers *w)
{
    free(w->pids);
    w->pids = NULL;
}
