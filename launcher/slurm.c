/* The Slurm step's environment and the ranks' rendezvous files. See
 * slurm.h. */
#define _GNU_SOURCE
#include "slurm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "atomic_file.h"
#include "exit_codes.h"

#define TOKEN_BYTES 32          /* drawn; written as 64 hex digits */

/* A whole number from the environment, or dflt when unset or empty.
 * Returns 0, or -EINVAL when it is not one. */
static int
env_ulong(const char *name, unsigned long dflt, unsigned long *out)
{
    const char *v = getenv(name);
    char *end;

    *out = dflt;
    if (v == NULL || v[0] == '\0')
        return 0;
    errno = 0;
    *out = strtoul(v, &end, 10);
    return errno != 0 || *end != '\0' || v[0] == '-' ? -EINVAL : 0;
}

int
slurm_task_read(struct slurm_task *t, char err[MR_ERR_LEN])
{
    const char *job = getenv("SLURM_JOB_ID"), *step;
    cpu_set_t set;

    memset(t, 0, sizeof(*t));
    if (job == NULL || job[0] == '\0' || getenv("SLURM_PROCID") == NULL) {
        snprintf(err, MR_ERR_LEN, "--slurm runs inside a Slurm job step, "
                 "started by srun (SLURM_JOB_ID and SLURM_PROCID are not "
                 "set here); see docs/slurm.md");
        return -EINVAL;
    }
    if (strlen(job) >= sizeof(t->job_id) ||
        strspn(job, "0123456789_") != strlen(job)) {
        snprintf(err, MR_ERR_LEN, "SLURM_JOB_ID is not a job id: %.40s", job);
        return -EINVAL;
    }
    snprintf(t->job_id, sizeof(t->job_id), "%s", job);
    if (env_ulong("SLURM_PROCID", 0, &t->rank) < 0 ||
        env_ulong("SLURM_NTASKS", 1, &t->ntasks) < 0 ||
        env_ulong("SLURM_CPUS_PER_TASK", 0, &t->cpus) < 0 ||
        env_ulong("SLURM_RESTART_COUNT", 0, &t->restart) < 0) {
        snprintf(err, MR_ERR_LEN, "SLURM_PROCID, SLURM_NTASKS, "
                 "SLURM_CPUS_PER_TASK or SLURM_RESTART_COUNT is not a "
                 "whole number");
        return -EINVAL;
    }
    step = getenv("SLURM_STEP_ID");
    if (step != NULL && strlen(step) < sizeof(t->step) &&
        strspn(step, "0123456789") == strlen(step))
        snprintf(t->step, sizeof(t->step), "%s", step);
    if (t->cpus == 0 && sched_getaffinity(0, sizeof(set), &set) == 0)
        t->cpus = (unsigned long)CPU_COUNT(&set);
    if (t->cpus == 0)
        t->cpus = 1;
    if (gethostname(t->host, sizeof(t->host)) < 0) {
        snprintf(err, MR_ERR_LEN, "cannot tell this host's name: %s",
                 strerror(errno));
        return -errno;
    }
    t->host[sizeof(t->host) - 1] = '\0';
    return 0;
}

void
slurm_files_name(struct slurm_files *f, const char *dir,
                 const struct slurm_task *t)
{
    char step[40] = "";

    if (t->step[0])
        snprintf(step, sizeof(step), ".%s", t->step);
    snprintf(f->dir, sizeof(f->dir), "%s", dir);
    snprintf(f->run, sizeof(f->run), ".mr-slurm-%s-%lu", t->job_id,
             t->restart);
    snprintf(f->token, sizeof(f->token), "%s/%s%s.token", dir, f->run, step);
    snprintf(f->addr, sizeof(f->addr), "%s/%s%s.addr", dir, f->run, step);
    snprintf(f->stop, sizeof(f->stop), "%s/%s.stop", dir, f->run);
}

/* Writes text to path whole or not at all, mode 0600, durably. Returns 0
 * or -errno, err filled. */
static int
write_private(const char *path, const char *text, char err[MR_ERR_LEN])
{
    char tmp[PATH_MAX + 8];
    size_t len = strlen(text);
    int fd, rc = 0;

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    unlink(tmp);                /* ours, from a rank 0 that died here */
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot create %s: %s", tmp,
                 strerror(errno));
        return rc;
    }
    if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0)
        rc = errno ? -errno : -EIO;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc == 0 && atomic_file_sync_dir(path) < 0)
        rc = -errno;
    if (rc < 0) {
        snprintf(err, MR_ERR_LEN, "cannot write %s: %s", path,
                 strerror(-rc));
        unlink(tmp);
    }
    return rc;
}

int
slurm_token_draw(struct token *tok, char err[MR_ERR_LEN])
{
    unsigned char raw[TOKEN_BYTES];

    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
        snprintf(err, MR_ERR_LEN, "cannot draw the job's token: %s",
                 strerror(errno));
        return -errno;
    }
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf((char *)tok->bytes + 2 * i, 3, "%02x", raw[i]);
    explicit_bzero(raw, sizeof(raw));
    tok->len = 2 * TOKEN_BYTES;
    return 0;
}

int
slurm_publish(const struct slurm_files *f, const struct token *tok,
              const char *addr, const char *host, pid_t pid,
              char err[MR_ERR_LEN])
{
    char text[1024];
    int rc;

    unlink(f->addr);            /* a step of this name that was killed */
    memcpy(text, tok->bytes, tok->len);
    text[tok->len] = '\n';
    text[tok->len + 1] = '\0';
    rc = write_private(f->token, text, err);
    explicit_bzero(text, sizeof(text));
    if (rc < 0)
        return rc;
    snprintf(text, sizeof(text), "addr %s\nhost %s\npid %d\n", addr, host,
             (int)pid);
    return write_private(f->addr, text, err);
}

void
slurm_unpublish(const struct slurm_files *f, int status)
{
    char text[32], err[MR_ERR_LEN];

    /* "over" first: a worker that finds no token can read the end. */
    snprintf(text, sizeof(text), "over %d\n", status);
    if (write_private(f->addr, text, err) < 0)
        unlink(f->addr);        /* a late rank waits for the time limit */
    unlink(f->token);
    unlink(f->stop);            /* asked for as it ended: nothing to stop */
}

bool
slurm_stop_requested(const struct slurm_files *f)
{
    return unlink(f->stop) == 0;
}

/* Whether the .addr file at path is of an ended run: "over", or its rank
 * 0 on host is gone. */
static bool
addr_ended(const char *path, const char *host)
{
    struct slurm_coordinator co;
    char err[MR_ERR_LEN];

    if (slurm_lookup(path, &co, err) < 0)
        return false;           /* being written, or not ours: left */
    if (co.over >= 0)
        return true;
    return strcmp(co.host, host) == 0 && kill(co.pid, 0) < 0 &&
           errno == ESRCH;
}

void
slurm_sweep(const struct slurm_files *f, const struct slurm_task *t)
{
    char job[64], path[PATH_MAX], token[PATH_MAX];
    size_t run = strlen(f->run), n;
    const struct dirent *e;
    DIR *d = opendir(f->dir);

    if (d == NULL)
        return;
    snprintf(job, sizeof(job), ".mr-slurm-%s-", t->job_id);
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        bool earlier;
        n = strlen(name);
        if (strncmp(name, ".mr-slurm-", 10) != 0 ||
            (strncmp(name, f->run, run) == 0 &&
             (name[run] == '.' || name[run] == '\0')))
            continue;           /* this run's: not swept */
        /* This job's other restarts ran before this one. */
        earlier = strncmp(name, job, strlen(job)) == 0;
        if (n > 5 && strcmp(name + n - 5, ".stop") == 0 && earlier) {
            snprintf(path, sizeof(path), "%s/%s", f->dir, name);
            unlink(path);
            continue;
        }
        if (n < 15 || strcmp(name + n - 5, ".addr") != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", f->dir, name);
        if (!earlier && !addr_ended(path, t->host))
            continue;
        snprintf(token, sizeof(token), "%s/%.*s.token", f->dir,
                 (int)(n - 5), name);
        unlink(token);
        unlink(path);
    }
    closedir(d);
}

int
slurm_lookup(const char *path, struct slurm_coordinator *co,
             char err[MR_ERR_LEN])
{
    char line[600];
    int got = 0, pid;
    FILE *in = fopen(path, "r");

    memset(co, 0, sizeof(*co));
    co->over = -1;
    if (in == NULL) {
        if (errno == ENOENT)
            return -ENOENT;
        snprintf(err, MR_ERR_LEN, "cannot read %s: %s", path,
                 strerror(errno));
        return -EINVAL;
    }
    while (fgets(line, sizeof(line), in) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "addr tcp:", 9) == 0 &&
            strlen(line + 5) < sizeof(co->addr)) {
            snprintf(co->addr, sizeof(co->addr), "%s", line + 5);
            got |= 1;
        } else if (strncmp(line, "host ", 5) == 0 &&
                   strlen(line + 5) < sizeof(co->host)) {
            snprintf(co->host, sizeof(co->host), "%s", line + 5);
            got |= 2;
        } else if (sscanf(line, "over %d", &co->over) == 1 &&
                   co->over >= 0) {
            got = 7;
        } else if (sscanf(line, "pid %d", &pid) == 1 && pid > 0) {
            co->pid = (pid_t)pid;
            got |= 4;
        }
    }
    fclose(in);
    if (got != 7) {
        snprintf(err, MR_ERR_LEN, "%s is not what mrrun --slurm writes "
                 "(addr, host and pid lines)", path);
        return -EINVAL;
    }
    return 0;
}

int
slurm_wait_coordinator(const struct slurm_task *t,
                       const struct slurm_files *f,
                       struct slurm_coordinator *co, char err[MR_ERR_LEN])
{
    struct timespec pause = {0, 100 * 1000000L};
    uint64_t waited = 0;
    sigset_t ends;
    int rc, signo;

    /* Held since main (rpc_loop_signal takes them later): waited for
     * here, so that an interrupt ends the wait. */
    sigemptyset(&ends);
    sigaddset(&ends, SIGINT);
    sigaddset(&ends, SIGTERM);
    while ((rc = slurm_lookup(f->addr, co, err)) == -ENOENT) {
        if ((signo = sigtimedwait(&ends, NULL, &pause)) > 0) {
            snprintf(err, MR_ERR_LEN, "interrupted by %s while waiting for "
                     "rank 0 to publish %s", strsignal(signo), f->addr);
            return -(MR_EXIT_SIGNAL + signo);
        }
        waited += 100;
        if (waited % 60000 == 0)
            fprintf(stderr, "mrrun: rank %lu on %s: still waiting for rank "
                    "0 to say where its coordinator listens (%s, %lu min "
                    "so far): it does once it has read the inputs\n",
                    t->rank, t->host, f->addr,
                    (unsigned long)(waited / 60000));
    }
    return rc;
}
