/* A command of an executable app, run by /bin/sh -c in a process group of
 * its own with its stdin and stdout on pipes to us and its stderr left on
 * our fd 2 (a worker's is captured: stderr_capture.h).
 *
 * Ownership: exec_child_start() hands the caller a child it must end with
 * exactly one of exec_child_wait() (the child is done writing: reap it)
 * or exec_child_kill() (fail: SIGKILL to its whole group, then reap).
 * Both close whatever pipe ends are still open and leave no zombie. Every
 * descriptor is O_CLOEXEC, so a second child never inherits the first's
 * pipes. A program that dies while a child runs kills its group first
 * (exec_child_kill_running, from exec_signals.h and lastwords.h); the
 * child's shell also gets SIGKILL from the kernel when the program dies of
 * SIGKILL (PR_SET_PDEATHSIG), though what the shell started may outlive
 * it then. */
#ifndef WORKER_EXEC_CHILD_H
#define WORKER_EXEC_CHILD_H

#include <stdbool.h>
#include <sys/types.h>

#include "mr_err.h"

struct exec_child {
    pid_t pid;                  /* also its process group; -1 when reaped */
    int to_child;               /* its stdin's write end, non-blocking;
                                   -1 once closed */
    int from_child;             /* its stdout's read end, non-blocking;
                                   -1 once closed */
    int input_peek;             /* a read end of its stdin, kept so that
                                   the bytes it has not read can be
                                   counted (exec_child_unread), even after
                                   it died; -1 once closed */
    int pidfd;                  /* readable when it has exited; -1 where
                                   the kernel has no pidfd_open */
    int status;                 /* waitpid's, once reaped */
    long unread;                /* once exec_child_wait reaped it: the
                                   bytes it left in its stdin's pipe (-1:
                                   unknown) */
};

/* Starts `/bin/sh -c cmd` in the current directory, with SIGPIPE and the
 * signal mask back to their defaults (whichever of our fds 0-2 were
 * closed). Returns 0, or -errno with err filled (a pipe or fork failed; a
 * command that does not exist is started all the same, and sh exits
 * 127). */
int exec_child_start(struct exec_child *c, const char *cmd,
                     char err[MR_ERR_LEN]);

/* Closes the child's stdin (it reads EOF). Idempotent. */
void exec_child_close_input(struct exec_child *c);

/* The bytes written to the child's stdin that it has not read (still in
 * the pipe), or -1 when that cannot be told. Right after the child died,
 * what it took is all that was written but these. */
long exec_child_unread(const struct exec_child *c);

/* The signal the reaped child died of: its own death by a signal, or one
 * its shell reports as exit status 128 + N (sh waits for a command it
 * runs, as dash does for `python3 map.py`, and exits so when the command
 * is killed). 0: it was not killed. */
int exec_child_signal(const struct exec_child *c);

/* Reaps a child that closed its stdout, waiting for it to exit, then
 * kills what is left of its process group (a background process the
 * command left behind). Returns 0 when it exited with status 0, else
 * MR_EAPP with err saying "<role> `cmd` exited with status N" (127: it
 * could not be started), or "was killed by signal N (name)" (also for a
 * shell's 128 + N, with the status said); or -errno with err saying that
 * how it ended cannot be told (-ECHILD: SIGCHLD was ignored, and the kernel
 * reaped it), never 0 then. */
int exec_child_wait(struct exec_child *c, const char *role, const char *cmd,
                    char err[MR_ERR_LEN]);

/* Kills the child's process group with SIGKILL and reaps it. Safe on a
 * child already reaped. */
void exec_child_kill(struct exec_child *c);

/* Sends SIGKILL to the process group of every child started and not yet
 * reaped by this process, and reaps each child (its shell), for a program
 * about to die of a signal. A no-op in a process forked from the one that
 * started them. Async-signal-safe; errno is not kept. */
void exec_child_kill_running(void);

#endif
