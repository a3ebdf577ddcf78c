/* Where a worker keeps its files for the job, and whether it serves them:
 * in the job's private directory when it can write it (a shared file
 * system, or the same host), else in its own scratch directory, from
 * which its shuffle server serves map outputs to the job's reduces. In a
 * job whose coordinator listens on TCP, a worker that writes the private
 * directory serves its map outputs too, for workers on hosts that cannot
 * see that directory. */
#define _GNU_SOURCE
#include "worker_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exit_codes.h"
#include "log.h"

/* This host's address on the connection to the coordinator, as a host
 * for an address text ("10.0.0.2", "[fe80::1]"); the loopback one when
 * the coordinator is on a Unix socket or an inherited one. */
static void
host_toward_coordinator(const struct worker *w, char *buf, size_t len)
{
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof(ss);
    char ip[INET6_ADDRSTRLEN];
    int fd = rpc_client_fd(w->c);

    snprintf(buf, len, "127.0.0.1");
    if (fd < 0 || getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0)
        return;
    if (ss.ss_family == AF_INET &&
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip,
                  sizeof(ip)) != NULL)
        snprintf(buf, len, "%s", ip);
    else if (ss.ss_family == AF_INET6 &&
             inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr,
                       ip, sizeof(ip)) != NULL)
        snprintf(buf, len, "[%s]", ip);
}

static int
start_serving(struct worker *w, const char *dir, char err[MR_ERR_LEN])
{
    char host[INET6_ADDRSTRLEN + 2], listen[INET6_ADDRSTRLEN + 16];
    char why[MR_ERR_LEN];
    struct shuffle_server_opts so = {.dir = dir,
                                     .job_id = w->job.id,
                                     .token = w->opts->token,
                                     .token_len = w->opts->token_len};

    host_toward_coordinator(w, host, sizeof(host));
    snprintf(listen, sizeof(listen), "tcp:%s:0", host);
    so.listen = w->opts->shuffle_addr ? w->opts->shuffle_addr : listen;
    so.advertise = host;
    if (shuffle_server_start(&w->job.shuffle, &so, why) < 0) {
        snprintf(err, MR_ERR_LEN, "cannot serve this worker's map outputs "
                 "at %s: %s", so.listen, why);
        return MR_EXIT_REFUSED;
    }
    mr_info("serving map outputs of %s at %s", dir, w->job.shuffle.addr);
    return 0;
}

int
worker__settle(struct worker *w, const Mr__JoinReply *reply,
               char err[MR_ERR_LEN])
{
    char root[PATH_MAX];

    w->job.local = w->opts->scratch != NULL ||
                   access(w->job.priv, W_OK) < 0;
    if (w->job.local) {
        if (w->opts->scratch == NULL)
            mr_info("cannot write the job's directory %s (%s): keeping "
                    "this worker's files local", w->job.priv,
                    strerror(errno));
        if (w->opts->scratch != NULL)
            snprintf(root, sizeof(root), "%s", w->opts->scratch);
        else
            scratch_default_root(root, sizeof(root));
        if (scratch_open(&w->job.scratch, root, w->job.id, err) < 0)
            return MR_EXIT_REFUSED;
    }
    if (w->job.local || reply->networked)
        return start_serving(w, worker__files(w), err);
    return 0;
}

int
worker__serve(struct worker *w, char err[MR_ERR_LEN])
{
    int status;

    if (w->job.shuffle.pid > 0 &&
        waitpid(w->job.shuffle.pid, &status, WNOHANG) == w->job.shuffle.pid) {
        /* Its address is in the coordinator's hands: a new server on
         * another port would not be found. */
        w->job.shuffle.pid = 0;
        snprintf(err, MR_ERR_LEN, "this worker's shuffle server died (%s "
                 "%d): its map outputs can no longer be served",
                 WIFSIGNALED(status) ? "signal" : "status",
                 WIFSIGNALED(status) ? WTERMSIG(status)
                                     : WEXITSTATUS(status));
        return MR_EXIT_FAILED;
    }
    if (w->job.shuffle.pid > 0)
        return 0;
    return start_serving(w, worker__files(w), err);
}

void
worker__unsettle(struct worker *w)
{
    shuffle_server_stop(&w->job.shuffle);
    scratch_close(&w->job.scratch);
}

const char *
worker__files(const struct worker *w)
{
    return w->job.local ? w->job.scratch.dir : w->job.priv;
}
