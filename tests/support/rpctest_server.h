/* A real server process for the RPC layer's tests and benchmark: it serves
 * the rpctest.Test service (proto/rpctest.proto) on one address. */
#ifndef RPCTEST_SERVER_H
#define RPCTEST_SERVER_H

#include <stddef.h>
#include <sys/types.h>

struct rpc_server_opts;

/* Forks a server listening on addr with opts (NULL for the defaults) and
 * waits until it listens. Writes the bound address to bound. Returns the
 * child's pid, or -1 with the reason on stderr. Stop it with
 * rpctest_server_stop(). */
pid_t rpctest_server_spawn(const char *addr,
                           const struct rpc_server_opts *opts, char *bound,
                           size_t boundlen);

/* Connects a plain blocking socket to "unix:/path", for tests that speak
 * raw bytes. Returns the fd, or -1. */
int rpctest_raw_connect(const char *addr);

/* Sends SIGTERM and reaps the child. Returns its exit status as from
 * waitpid(), or -1. */
int rpctest_server_stop(pid_t pid);

#endif
