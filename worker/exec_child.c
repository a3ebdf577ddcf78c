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
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "imcache.h"

/* The process groups of the children started and not yet reaped (0: a
 * free slot), for a dying program to kill (exec_child_kill_running). More
 * than one runs when a combiner runs on a spill while its mapper runs. */
#define RUNNING_MAX 8
static volatile sig_atomic_t running[RUNNING_MAX];
static volatile sig_atomic_t running_owner;     /* the pid that set them */

static void
note_running(pid_t pgid)
{
    for (int i = 0; i < RUNNING_MAX; i++)
        if (running[i] == 0) {
            running_owner = getpid();
            running[i] = pgid;
            return;
        }
}

/* Called before the child is reaped, once its group has been sent
 * SIGKILL: never a pid the kernel may give a stranger. */
static void
forget_running(pid_t pgid)
{
    for (int i = 0; i < RUNNING_MAX; i++)
        if (running[i] == pgid)
            running[i] = 0;
}

void
exec_child_kill_running(void)
{
    if (running_owner != getpid())      /* a child forked since */
        return;
    for (int i = 0; i < RUNNING_MAX; i++) {
        pid_t pgid = running[i];
        if (pgid > 0) {
            kill(-pgid, SIGKILL);
            kill(pgid, SIGKILL);        /* should it not have its group yet */
        }
    }
    /* The shells are gone before the program is: whoever watches it die
     * sees no command of it left (their children, killed, die apart). */
    for (int i = 0; i < RUNNING_MAX; i++) {
        pid_t pgid = running[i];
        while (pgid > 0 && waitpid(pgid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
}

/* Puts fd on a descriptor above 2 (the child's fd 0 or 1 may be a pipe
 * end, when the program started with those closed). Returns it, or -1. */
static int
above_stdio(int fd)
{
    return fd > 2 ? fd : fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void
become_command(const char *cmd, int in, int out, pid_t parent)
{
    sigset_t none;

    /* The shell dies with the program, even of SIGKILL (its own children
     * may not: they are in its group, which a dying program kills when it
     * can). */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    setpgid(0, 0);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);           /* the worker ignores it */
    im_cache_restore_nofile();          /* the limit the worker began with */
    /* dup2 onto a different descriptor clears FD_CLOEXEC; onto itself it
     * would not, and exec would close the command's stdin. */
    if ((in = above_stdio(in)) < 0 || (out = above_stdio(out)) < 0 ||
        dup2(in, 0) < 0 || dup2(out, 1) < 0)
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
    sigset_t all, old;
    pid_t parent = getpid();
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
    /* No signal between the fork and note_running: a dying program kills
     * every child it started. */
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    c->pid = fork();
    if (c->pid == 0)
        become_command(cmd, in[0], out[1], parent);
    rc = c->pid < 0 ? -errno : 0;
    if (c->pid > 0)
        note_running(c->pid);
    sigprocmask(SIG_SETMASK, &old, NULL);
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

/* Reaps the child, whose group was sent SIGKILL or is gone. Returns 0, or
 * -errno when waitpid failed (ECHILD: the program started with SIGCHLD
 * ignored, and the kernel reaped it; exec_signals_init prevents that). */
static int
reap(struct exec_child *c)
{
    int rc = 0;

    forget_running(c->pid);
    while (waitpid(c->pid, &c->status, 0) < 0) {
        if (errno != EINTR) {
            rc = -errno;
            break;
        }
    }
    c->pid = -1;
    close_fd(&c->pidfd);
    return rc;
}

int
exec_child_wait(struct exec_child *c, const char *role, const char *cmd,
                char err[MR_ERR_LEN])
{
    siginfo_t si;
    int st, rc, reaped;

    close_fd(&c->to_child);
    close_fd(&c->from_child);
    if (c->pid < 0) {
        close_fd(&c->input_peek);
        return 0;
    }
    /* Until reaped, the leader's pid names the group: the kill cannot
     * reach a stranger that took the number. */
    while ((rc = waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOWAIT)) < 0 &&
           errno == EINTR)
        ;
    rc = rc < 0 ? -errno : 0;
    c->unread = exec_child_unread(c);   /* it is dead: what it took */
    close_fd(&c->input_peek);
    kill(-c->pid, SIGKILL);
    reaped = reap(c);
    if (rc == 0)
        rc = reaped;
    if (rc < 0) {
        /* Never "exited 0": how it ended is unknown. */
        snprintf(err, MR_ERR_LEN, "cannot tell how %s `%s` ended: wait: %s%s",
                 role, cmd, strerror(-rc), rc == -ECHILD ? " (was SIGCHLD "
                 "ignored?)" : "");
        return rc;
    }
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
    (void)reap(c);
}
