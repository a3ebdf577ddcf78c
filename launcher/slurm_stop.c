/* mrrun --slurm-stop: a stop request left for rank 0, and SIGUSR1 to each
 * running rank 0 of this run, verified to be one. See slurm.h. */
#define _GNU_SOURCE
#include "slurm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exit_codes.h"

/* Whether /proc/PID/environ holds the line "name=value" (a missing
 * SLURM_RESTART_COUNT counts as 0). */
static bool
environ_has(const char *env, size_t len, const char *name, const char *value)
{
    size_t nl = strlen(name);

    for (size_t i = 0; i < len; i += strlen(env + i) + 1) {
        if (strncmp(env + i, name, nl) == 0 && env[i + nl] == '=')
            return strcmp(env + i + nl + 1, value) == 0;
    }
    return strcmp(name, "SLURM_RESTART_COUNT") == 0 && !strcmp(value, "0");
}

/* The whole of /proc/PID/environ (it may exceed any fixed size), NUL
 * terminated, its length in *len; the caller frees it. NULL when it
 * cannot be read. */
static char *
read_environ(pid_t pid, size_t *len)
{
    char path[64], *env = NULL, *grown;
    size_t cap = 0;
    ssize_t n = 0;
    int fd;

    snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return NULL;
    *len = 0;
    for (;;) {
        if (cap - *len < 4096) {
            cap = cap ? 2 * cap : 1 << 16;
            if ((grown = realloc(env, cap + 1)) == NULL) {
                n = -1;
                break;
            }
            env = grown;
        }
        n = read(fd, env + *len, cap - *len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        *len += (size_t)n;
    }
    close(fd);
    if (n != 0) {               /* a read failed, or realloc did */
        free(env);
        return NULL;
    }
    env[*len] = '\0';
    return env;
}

/* Whether pid is an mrrun of task t's job and restart (never a process
 * that took a dead rank 0's pid). */
static bool
is_our_rank0(pid_t pid, const struct slurm_task *t)
{
    char path[64], exe[PATH_MAX], restart[32];
    char *env;
    const char *base;
    ssize_t n;
    size_t len;
    bool ours;

    snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
    if ((n = readlink(path, exe, sizeof(exe) - 1)) < 0)
        return false;
    exe[n] = '\0';
    base = strrchr(exe, '/');
    if (strcmp(base ? base + 1 : exe, "mrrun") != 0)
        return false;
    if ((env = read_environ(pid, &len)) == NULL)
        return false;
    snprintf(restart, sizeof(restart), "%lu", t->restart);
    ours = environ_has(env, len, "SLURM_JOB_ID", t->job_id) &&
           environ_has(env, len, "SLURM_PROCID", "0") &&
           environ_has(env, len, "SLURM_RESTART_COUNT", restart);
    free(env);
    return ours;
}

/* Signals the rank 0 that the .addr file at path names, when it runs
 * here and is ours. Returns 1 when signalled, else 0 (a line said why
 * when it runs elsewhere). */
static int
signal_one(const struct slurm_task *t, const char *path)
{
    struct slurm_coordinator co;
    char err[MR_ERR_LEN];

    if (slurm_lookup(path, &co, err) < 0 || co.over >= 0)
        return 0;
    if (strcmp(co.host, t->host) != 0) {
        fprintf(stderr, "mrrun: the coordinator of %s runs on %s, not on "
                "this host (%s): run 'kill -USR1 %d' there\n", path,
                co.host, t->host, (int)co.pid);
        return 0;
    }
    if (!is_our_rank0(co.pid, t) || kill(co.pid, SIGUSR1) < 0)
        return 0;               /* gone: a stale file */
    printf("asked the coordinator (pid %d on %s) to stop job %s's step at "
           "its time limit\n", (int)co.pid, co.host, t->job_id);
    return 1;
}

int
slurm_stop(const struct slurm_task *t, const struct slurm_files *f)
{
    char path[PATH_MAX];
    size_t run = strlen(f->run), n;
    const struct dirent *e;
    int fd, signalled = 0;
    DIR *d;

    /* First the request, read by a rank 0 that has not yet published. */
    fd = open(f->stop, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "mrrun: cannot leave the stop request %s: %s\n",
                f->stop, strerror(errno));
        return MR_EXIT_FAILED;
    }
    close(fd);
    if ((d = opendir(f->dir)) != NULL) {
        while ((e = readdir(d)) != NULL) {
            n = strlen(e->d_name);
            if (strncmp(e->d_name, f->run, run) != 0 || n < run + 5 ||
                (e->d_name[run] != '.') ||
                strcmp(e->d_name + n - 5, ".addr") != 0)
                continue;
            snprintf(path, sizeof(path), "%s/%s", f->dir, e->d_name);
            signalled += signal_one(t, path);
        }
        closedir(d);
    }
    if (signalled == 0)
        printf("no coordinator of job %s runs here yet: left %s, which "
               "stops it as it starts\n", t->job_id, f->stop);
    return MR_EXIT_OK;
}
