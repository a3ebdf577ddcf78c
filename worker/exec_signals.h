/* The signals of a program that runs executable apps' commands (mrworker,
 * mrsequential): it can reap its children, and dying of SIGTERM, SIGINT or
 * SIGHUP it takes the running commands' process groups with it. */
#ifndef WORKER_EXEC_SIGNALS_H
#define WORKER_EXEC_SIGNALS_H

/* Sets SIGCHLD to its default action (ignored, as a parent may leave it
 * across exec, the kernel would reap the commands and their exit statuses
 * would be lost), and makes SIGTERM, SIGINT and SIGHUP first kill every
 * running command's process group (exec_child_kill_running), then end the
 * program as their default action does. A signal ignored at the start
 * stays ignored (nohup, a background job's SIGINT). Call it once, early,
 * before any thread starts. Returns 0 or -errno. */
int exec_signals_init(void);

#endif
