/* A real coordinator in a child process, for unit tests that talk to it
 * over a socket as workers do. */
#ifndef TEST_COORD_CHILD_H
#define TEST_COORD_CHILD_H

#include <sys/types.h>

#include "coord.h"

/* Forks a child that runs a coordinator of files with opts, listening at
 * addr (unix:PATH), until it is killed. Returns the child's pid once it
 * listens, or -1 when it could not start (the child said why on stderr).
 * The caller owns the child: kill(pid, SIGKILL) and waitpid() it. */
pid_t coord_child_start(const char *const *files, unsigned nfiles,
                        const struct coord_opts *opts, const char *addr);

#endif
