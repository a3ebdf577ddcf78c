/* The worker's shuffle server: a child process that serves the map
 * outputs this worker keeps on its own disk to the reduces of its job
 * (proto/shuffle.proto), on a listener of its own, proving the job's token
 * on every connection when there is one. It is a process, not a thread:
 * it answers while the worker runs the app's code, and it dies with the
 * worker (PR_SET_PDEATHSIG), taking the outputs with it, as the MapReduce
 * paper's rule wants (their maps run again).
 *
 * It serves only files named like map outputs (mr-im-M-A) in dir, for the
 * job job_id, in pieces of at most SHUFFLE_PIECE_MAX bytes; a request for
 * anything else is refused (-ENOENT, -EINVAL), and a file whose index is
 * bad is reported as MR_EBADDATA. It never writes or removes a file. */
#ifndef WORKER_SHUFFLE_SERVER_H
#define WORKER_SHUFFLE_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mr_err.h"

#define SHUFFLE_PIECE_MAX (512u << 10)

struct shuffle_server_opts {
    const char *listen;         /* address to bind (port 0: any) */
    const char *advertise;      /* host reduces reach us at, put in place
                                   of a wildcard bound host; may be NULL */
    const char *dir;            /* where the outputs are */
    const char *job_id;
    const uint8_t *token;       /* may be NULL (loopback only) */
    size_t token_len;
};

struct shuffle_server {
    pid_t pid;                  /* the child; 0 when not running */
    char addr[320];             /* where reduces reach it */
};

/* Starts the child and waits until it listens. Returns 0 with s->addr
 * set, or an error with err saying why (cannot bind, an address that
 * needs a token, cannot fork). */
int shuffle_server_start(struct shuffle_server *s,
                         const struct shuffle_server_opts *opts,
                         char err[MR_ERR_LEN]);

/* Stops the child and reaps it. Safe on a server never started. */
void shuffle_server_stop(struct shuffle_server *s);

#endif
