/* Starting, reaping and restarting mrworker processes. See workers.h. */
#define _GNU_SOURCE
#include "workers.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

/* The descriptor a worker finds its connection on: mrworker --addr fd:3. */
#define WORKER_FD 3

/* In the child, between fork and exec: only async-signal-safe calls. */
static void
become_worker(const struct workers *w, int fd, pid_t parent)
{
    const char *argv[4 + WORKERS_APP_ARGS_MAX] = {w->exe, "--addr", "fd:3"};
    sigset_t none;
    int n = w->adopt != NULL ? 3 : 1;   /* without: the args say where */

    for (int i = 0; w->app_args[i] != NULL && i < WORKERS_APP_ARGS_MAX; i++)
        argv[n++] = w->app_args[i];
    argv[n] = NULL;

    /* Die with mrrun, however it dies; it may already be gone. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(127);
    /* Undo the launcher's blocked signals. */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    if (fd < 0)
        ;                       /* no socketpair: a networked worker */
    else if (fd == WORKER_FD)
        fcntl(fd, F_SETFD, 0);
    else if (dup2(fd, WORKER_FD) < 0)
        _exit(127);
    execv(w->exe, (char *const *)argv);
    _exit(127);
}

/* Starts one worker. Returns its pid, or -errno. */
static pid_t
spawn(struct workers *w)
{
    pid_t parent = getpid(), pid;
    int sv[2];

    if (w->adopt == NULL) {
        if ((pid = fork()) == 0)
            become_worker(w, -1, parent);
        return pid < 0 ? -errno : pid;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;
    pid = fork();
    if (pid == 0)
        become_worker(w, sv[1], parent);
    close(sv[1]);
    if (pid < 0) {
        int rc = -errno;
        close(sv[0]);
        return rc;
    }
    if (w->adopt(sv[0], w->adopt_arg) < 0)
        mr_warn("cannot serve worker %d", (int)pid);  /* it will exit */
    return pid;
}

int
workers_start(struct workers *w, int n, const char *exe,
              const char *const *app_args,
              int max_unproductive, workers_adopt_fn *adopt, void *arg,
              char err[MR_ERR_LEN])
{
    memset(w, 0, sizeof(*w));
    w->pids = calloc((size_t)n, sizeof(pid_t));
    if (w->pids == NULL) {
        snprintf(err, MR_ERR_LEN, "out of memory");
        return -ENOMEM;
    }
    w->n = n;
    w->keep_alive = true;
    w->max_unproductive = max_unproductive;
    w->exe = exe;
    w->app_args = app_args;
    w->adopt = adopt;
    w->adopt_arg = arg;
    for (int i = 0; i < n; i++) {
        pid_t pid = spawn(w);
        if (pid < 0) {
            snprintf(err, MR_ERR_LEN, "cannot start a worker: %s",
                     strerror((int)-pid));
            return (int)pid;
        }
        w->pids[i] = pid;
        w->alive++;
    }
    return 0;
}

void
workers_progress(struct workers *w)
{
    w->restarts_unproductive = 0;
}

/* Describes how a child ended, for log lines. */
static void
describe(int status, char *buf, size_t len)
{
    if (WIFEXITED(status))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
    else
        snprintf(buf, len, "was killed by SIG%s (%s)",
                 sigabbrev_np(WTERMSIG(status)), strsignal(WTERMSIG(status)));
}

bool
workers_reap(struct workers *w)
{
    int status;
    pid_t pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        char how[96];
        int slot = -1;

        for (int i = 0; i < w->n; i++)
            if (w->pids[i] == pid)
                slot = i;
        if (slot < 0)
            continue;
        w->pids[slot] = 0;
        w->alive--;
        if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
            w->exit_status = WEXITSTATUS(status);
        if (WIFEXITED(status) && (WEXITSTATUS(status) == 0 ||
                                  w->adopt == NULL))
            continue;
        describe(status, how, sizeof(how));
        if (!w->keep_alive)
            continue;
        if (w->restarts_unproductive >= w->max_unproductive) {
            snprintf(w->why_failed, sizeof(w->why_failed), "workers keep "
                     "dying (the last %s); gave up after %d restarts in a "
                     "row with no task finishing", how,
                     w->restarts_unproductive);
            return false;
        }
        mr_warn("worker %d %s; starting another", (int)pid, how);
        if ((pid = spawn(w)) > 0) {
            w->pids[slot] = pid;
            w->alive++;
            w->restarts++;
            w->restarts_unproductive++;
        } else {
            mr_warn("cannot start a worker: %s", strerror((int)-pid));
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
