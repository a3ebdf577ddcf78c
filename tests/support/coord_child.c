/* A real coordinator in a child process, for unit tests. */
#include "coord_child.h"

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rpc.h"

pid_t
coord_child_start(const char *const *files, unsigned nfiles,
                  const struct coord_opts *opts, const char *addr)
{
    char err[MR_ERR_LEN], bound[300], ok;
    int ready[2];
    pid_t child;

    if (pipe(ready) < 0)
        return -1;
    child = fork();
    if (child < 0) {
        close(ready[0]);
        close(ready[1]);
        return -1;
    }
    if (child == 0) {
        rpc_loop *loop = rpc_loop_create(err);
        coord *c = loop ? coord_create(loop, files, nfiles, opts, err)
                        : NULL;

        close(ready[0]);
        if (c == NULL || coord_listen(c, addr, bound, sizeof(bound),
                                      err) < 0 || coord_start(c, err) < 0) {
            fprintf(stderr, "coordinator: %s\n", err);
            _exit(1);
        }
        if (write(ready[1], "1", 1) != 1)
            _exit(1);
        rpc_loop_run(loop);
        _exit(0);
    }
    close(ready[1]);
    if (read(ready[0], &ok, 1) != 1) {
        close(ready[0]);
        waitpid(child, NULL, 0);
        return -1;
    }
    close(ready[0]);
    return child;
}
