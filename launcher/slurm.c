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
    const char *job = getenv("SLURM_JOB_ID");
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
        env_ulong("SLURM_CPUS_PER_TASK", 0, &t->cpus) < 0) {
        snprintf(err, MR_ERR_LEN, "SLURM_PROCID, SLURM_NTASKS or "
                 "SLURM_CPUS_PER_TASK is not a whole number");
        return -EINVAL;
    }
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
slurm_files_name(struct slurm_files *f, const char *dir, const char *job_id)
{
    snprintf(f->token, sizeof(f->token), "%s/.mr-slurm-%s.token", dir,
             job_id);
    snprintf(f->addr, sizeof(f->addr), "%s/.mr-slurm-%s.addr", dir, job_id);
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
slurm_token_make(const struct slurm_files *f, struct token *tok,
                 char err[MR_ERR_LEN])
{
    unsigned char raw[TOKEN_BYTES];
    char hex[2 * TOKEN_BYTES + 2];
    int rc;

    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
        snprintf(err, MR_ERR_LEN, "cannot draw the job's token: %s",
                 strerror(errno));
        return -errno;
    }
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    explicit_bzero(raw, sizeof(raw));
    memcpy(tok->bytes, hex, 2 * TOKEN_BYTES);
    tok->len = 2 * TOKEN_BYTES;
    hex[2 * TOKEN_BYTES] = '\n';
    hex[2 * TOKEN_BYTES + 1] = '\0';
    rc = write_private(f->token, hex, err);
    explicit_bzero(hex, sizeof(hex));
    return rc;
}

int
slurm_publish(const struct slurm_files *f, const char *addr,
              const char *host, pid_t pid, char err[MR_ERR_LEN])
{
    char text[1024];

    snprintf(text, sizeof(text), "addr %s\nhost %s\npid %d\n", addr, host,
             (int)pid);
    return write_private(f->addr, text, err);
}

void
slurm_unpublish(const struct slurm_files *f, int status)
{
    char text[32], err[MR_ERR_LEN];

    unlink(f->token);
    snprintf(text, sizeof(text), "over %d\n", status);
    if (write_private(f->addr, text, err) < 0)
        unlink(f->addr);        /* a late rank waits its time out */
}

void
slurm_sweep(const char *dir, const char *job_id)
{
    char mine[64], path[PATH_MAX], line[16];
    const struct dirent *e;
    DIR *d = opendir(dir);
    size_t n;

    if (d == NULL)
        return;
    snprintf(mine, sizeof(mine), ".mr-slurm-%s.addr", job_id);
    while ((e = readdir(d)) != NULL) {
        FILE *in;
        n = strlen(e->d_name);
        if (strncmp(e->d_name, ".mr-slurm-", 10) != 0 || n < 15 ||
            strcmp(e->d_name + n - 5, ".addr") != 0 ||
            strcmp(e->d_name, mine) == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if ((in = fopen(path, "r")) == NULL)
            continue;
        if (fgets(line, sizeof(line), in) != NULL &&
            strncmp(line, "over ", 5) == 0)
            unlink(path);
        fclose(in);
    }
    closedir(d);
}

int
slurm_lookup(const struct slurm_files *f, struct slurm_coordinator *co,
             char err[MR_ERR_LEN])
{
    char line[600];
    int got = 0, pid;
    FILE *in = fopen(f->addr, "r");

    memset(co, 0, sizeof(*co));
    co->over = -1;
    if (in == NULL) {
        if (errno == ENOENT)
            return -ENOENT;
        snprintf(err, MR_ERR_LEN, "cannot read %s: %s", f->addr,
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
                 "(addr, host and pid lines)", f->addr);
        return -EINVAL;
    }
    return 0;
}

int
slurm_wait_coordinator(const struct slurm_files *f, uint64_t timeout_ms,
                       struct slurm_coordinator *co, char err[MR_ERR_LEN])
{
    struct timespec pause = {0, 100 * 1000000L};
    uint64_t waited = 0;
    int rc;

    while ((rc = slurm_lookup(f, co, err)) == -ENOENT) {
        if (waited >= timeout_ms) {
            snprintf(err, MR_ERR_LEN, "rank 0 did not say where its "
                     "coordinator listens within %.0f s: %s is missing "
                     "(did rank 0 fail to start? see its output)",
                     (double)timeout_ms / 1000.0, f->addr);
            return -ETIMEDOUT;
        }
        nanosleep(&pause, NULL);
        waited += 100;
    }
    return rc;
}

int
slurm_stop(const struct slurm_task *t, const struct slurm_files *f)
{
    struct slurm_coordinator co;
    char err[MR_ERR_LEN];
    int rc = slurm_lookup(f, &co, err);

    if (rc == -ENOENT) {
        fprintf(stderr, "mrrun: no mrrun --slurm coordinator of job %s "
                "runs in this directory (%s is missing)\n", t->job_id,
                f->addr);
        return MR_EXIT_FAILED;
    }
    if (rc < 0) {
        fprintf(stderr, "mrrun: %s\n", err);
        return MR_EXIT_FAILED;
    }
    if (co.over >= 0) {
        fprintf(stderr, "mrrun: job %s's coordinator has already exited "
                "(status %d)\n", t->job_id, co.over);
        return MR_EXIT_FAILED;
    }
    if (strcmp(co.host, t->host) != 0) {
        fprintf(stderr, "mrrun: the coordinator runs on %s, not on this "
                "host (%s): run 'kill -USR1 %d' there\n", co.host,
                t->host, (int)co.pid);
        return MR_EXIT_FAILED;
    }
    if (kill(co.pid, SIGUSR1) < 0) {
        fprintf(stderr, "mrrun: cannot signal the coordinator (pid %d): "
                "%s\n", (int)co.pid, strerror(errno));
        return MR_EXIT_FAILED;
    }
    printf("asked the coordinator (pid %d on %s) to stop job %s's step at "
           "its time limit\n", (int)co.pid, co.host, t->job_id);
    return MR_EXIT_OK;
}
