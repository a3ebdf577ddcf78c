/* Spawning, reaping and killing an executable app's command. See
 * exec_child.h. */
#define _GNU_SOURCE
#include "exec_child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* In the child, between fork and exec: async-signal-safe calls only. */
static void
become_command(const char *cmd, int in, int out)
{
    sigset_t none;

    setpgid(0, 0);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);           /* the worker ignores it */
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0)
        _exit(127);
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(127);
}

static void
close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

int
exec_child_start(struct exec_child *c, const char *cmd, char err[MR_ERR_LEN])
{
    int in[2], out[2], rc;

    c->pid = -1;
    c->to_child = c->from_child = c->input_peek = c->pidfd = -1;
    c->status = 0;
    c->unread = -1;
    if (pipe2(in, O_CLOEXEC) < 0)
        goto out_pipe;
    if (pipe2(out, O_CLOEXEC) < 0) {
        rc = -errno;
        close(in[0]);
        close(in[1]);
        errno = -rc;
        goto out_pipe;
    }
    c->pid = fork();
    if (c->pid == 0)
        become_command(cmd, in[0], out[1]);
    rc = c->pid < 0 ? -errno : 0;
    close(out[1]);
    if (rc < 0) {
        close(in[0]);
        close(in[1]);
        close(out[0]);
        snprintf(err, MR_ERR_LEN, "cannot start `%s`: fork: %s", cmd,
                 strerror(-rc));
        c->pid = -1;
        return rc;
    }
    setpgid(c->pid, c->pid);            /* either of us may win the race */
    c->input_peek = in[0];      /* never read: with it open, a child that
                                   dies leaves a full pipe, not EPIPE */
    c->to_child = in[1];
    c->from_child = out[0];
    fcntl(c->to_child, F_SETFL, O_NONBLOCK);
    fcntl(c->from_child, F_SETFL, O_NONBLOCK);
#ifdef SYS_pidfd_open
    c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);  /* CLOEXEC */
    if (c->pidfd < 0)
        c->pidfd = -1;
#endif
    return 0;
out_pipe:
    rc = -errno;
    snprintf(err, MR_ERR_LEN, "cannot start `%s`: pipe: %s", cmd,
             strerror(errno));
    return rc;
}

void
exec_child_close_input(struct exec_child *c)
{
    close_fd(&c->to_child);
}

long
exec_child_unread(const struct exec_child *c)
{
    int n;

    if (c->input_peek < 0 || ioctl(c->input_peek, FIONREAD, &n) < 0)
        return -1;
    return n;
}

int
exec_child_signal(const struct exec_child *c)
{
    int st = c->status;

    if (WIFSIGNALED(st))
        return WTERMSIG(st);
    if (WIFEXITED(st) && WEXITSTATUS(st) > 128 &&
        WEXITSTATUS(st) - 128 < NSIG)
        return WEXITSTATUS(st) - 128;
    return 0;
}

static void
reap(struct exec_child *c)
{
    while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
        ;
    c->pid = -1;
    close_fd(&c->pidfd);
}

int
exec_child_wait(struct exec_child *c, const char *role, const char *cmd,
                char err[MR_ERR_LEN])
{
    siginfo_t si;
    int st;

    close_fd(&c->to_child);
    close_fd(&c->from_child);
    if (c->pid < 0) {
        close_fd(&c->input_peek);
        return 0;
    }
    /* Until reaped, the leader's pid names the group: the kill cannot
     * reach a stranger that took the number. */
    while (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOWAIT) < 0 &&
           errno == EINTR)
        ;
    c->unread = exec_child_unread(c);   /* it is dead: what it took */
    close_fd(&c->input_peek);
    kill(-c->pid, SIGKILL);
    reap(c);
    st = c->status;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
        snprintf(err, MR_ERR_LEN, "%s `%s` exited with status 127: the "
                 "shell could not run it (command not found?)", role, cmd);
    else if (WIFEXITED(st) && exec_child_signal(c) != 0)
        snprintf(err, MR_ERR_LEN, "%s `%s` was killed by signal %d (%s, "
                 "exit status %d from its shell)", role, cmd,
                 exec_child_signal(c), strsignal(exec_child_signal(c)),
                 WEXITSTATUS(st));
    else if (WIFEXITED(st))
        snprintf(err, MR_ERR_LEN, "%s `%s` exited with status %d", role, cmd,
                 WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(err, MR_ERR_LEN, "%s `%s` was killed by signal %d (%s)",
                 role, cmd, WTERMSIG(st), strsignal(WTERMSIG(st)));
    else
        snprintf(err, MR_ERR_LEN, "%s `%s` ended with wait status %#x", role,
                 cmd, (unsigned)st);
    return MR_EAPP;
}

void
exec_child_kill(struct exec_child *c)
{
    close_fd(&c->to_child);
    close_fd(&c->from_child);
    close_fd(&c->input_peek);
    if (c->pid < 0)
        return;
    kill(-c->pid, SIGKILL);
    kill(c->pid, SIGKILL);      /* should it not have its group yet */
    reap(c);
}
