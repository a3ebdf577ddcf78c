/* Small helpers shared by the app modules, all static inline so that each
 * module stays one object: collecting and sorting a reduce's values,
 * sleeping, random numbers, and the lab's nparallel() probe. */
#ifndef APPUTIL_H
#define APPUTIL_H

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "mrapp.h"

/* ------------------------------------------------------ values, sorted */

struct apputil_str {
    const char *p;              /* not NUL-terminated */
    size_t len;
};

/* A growable array of byte strings that point into someone else's memory
 * (a reduce's values, valid for the duration of the reduce call). */
struct apputil_strs {
    struct apputil_str *v;
    size_t n, cap;
};

/* Byte-wise order, like Go's sort.Strings: a prefix sorts first. */
static inline int
apputil_str_cmp(const void *a, const void *b)
{
    const struct apputil_str *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->p, y->p, n) : 0;

    if (c != 0)
        return c;
    return (x->len > y->len) - (x->len < y->len);
}

static inline void
apputil_strs_free(struct apputil_strs *s)
{
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

/* Reads all of values into s (which must start zeroed) and sorts them
 * byte-wise. Returns 0, or -ENOMEM with s freed. */
static inline int
apputil_collect_sorted(struct mr_values *values, struct apputil_strs *s)
{
    const char *p;
    size_t len;

    while (mr_values_next(values, &p, &len)) {
        if (s->n == s->cap) {
            size_t cap = s->cap ? 2 * s->cap : 16;
            void *v = NULL;

            if (cap <= SIZE_MAX / sizeof(*s->v))
                v = realloc(s->v, cap * sizeof(*s->v));
            if (v == NULL) {
                apputil_strs_free(s);
                return -ENOMEM;
            }
            s->v = v;
            s->cap = cap;
        }
        s->v[s->n++] = (struct apputil_str){p, len};
    }
    if (s->n > 1)
        qsort(s->v, s->n, sizeof(*s->v), apputil_str_cmp);
    return 0;
}

/* Drops adjacent duplicates from a sorted s. */
static inline void
apputil_strs_unique(struct apputil_strs *s)
{
    size_t n = 0;

    for (size_t i = 0; i < s->n; i++)
        if (n == 0 || apputil_str_cmp(&s->v[n - 1], &s->v[i]) != 0)
            s->v[n++] = s->v[i];
    s->n = n;
}

/* Writes s's strings separated by sep, like Go's strings.Join. */
static inline void
apputil_write_joined(struct mr_output *out, const struct apputil_strs *s,
                     const char *sep)
{
    for (size_t i = 0; i < s->n; i++) {
        if (i > 0)
            mr_write(out, sep, strlen(sep));
        mr_write(out, s->v[i].p, s->v[i].len);
    }
}

/* A whole reduce: writes the values sorted byte-wise and joined by sep.
 * Returns 0 or -ENOMEM. */
static inline int
apputil_reduce_sorted_join(struct mr_values *values, struct mr_output *out,
                           const char *sep)
{
    struct apputil_strs s = {0};
    int rc = apputil_collect_sorted(values, &s);

    if (rc != 0)
        return rc;
    apputil_write_joined(out, &s, sep);
    apputil_strs_free(&s);
    return 0;
}

/* ------------------------------------------------------ time, randomness */

/* Sleeps for ms milliseconds, resuming after signals. */
static inline void
apputil_sleep_ms(unsigned long ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        continue;
}

/* Returns a number uniformly distributed in [0, n), 1 <= n < 2^32, from the
 * kernel's random source (like Go's crypto/rand.Int). */
static inline unsigned long
apputil_random_below(unsigned long n)
{
    /* Rejecting draws at or past the last whole multiple of n removes the
     * modulo bias. */
    uint32_t limit = UINT32_MAX - UINT32_MAX % (uint32_t)n, r;
    ssize_t got;

    do {
        do
            got = getrandom(&r, sizeof(r), 0);
        while (got < 0 && errno == EINTR);
        if (got != (ssize_t)sizeof(r))  /* no getrandom (ENOSYS) */
            r = (uint32_t)rand();
    } while (r >= limit);
    return r % n;
}

/* ------------------------------------------------------ nparallel */

/* Creates file name containing "x" in the current directory. Returns 0 or
 * -errno. */
static inline int
apputil_write_x(const char *name)
{
    FILE *f = fopen(name, "w");

    if (f == NULL)
        return -errno;
    if (fputs("x", f) == EOF) {
        int e = errno;

        fclose(f);
        return -e;
    }
    return fclose(f) == 0 ? 0 : -errno;
}

/* The lab's nparallel(phase): announces this process in the current
 * directory as "mr-worker-<phase>-<pid>", counts the announced processes
 * that are alive (this one included), waits a second so that others can see
 * this one, and withdraws. Returns the count, or -errno. */
static inline int
apputil_nparallel(const char *phase)
{
    char prefix[64], mine[96];
    struct dirent *e;
    size_t plen;
    DIR *dir;
    int n = 0, rc;

    plen = (size_t)snprintf(prefix, sizeof(prefix), "mr-worker-%s-", phase);
    snprintf(mine, sizeof(mine), "%s%ld", prefix, (long)getpid());
    if ((rc = apputil_write_x(mine)) != 0)
        return rc;
    if ((dir = opendir(".")) == NULL) {
        rc = -errno;
        unlink(mine);
        return rc;
    }
    while ((e = readdir(dir)) != NULL) {
        const char *digits = e->d_name + plen;
        char *end;
        long pid;

        if (strncmp(e->d_name, prefix, plen) != 0)
            continue;
        /* Like Go's Sscanf("...%d"): a number must follow; trailing bytes
         * are ignored. pid <= 0 would probe process groups. */
        pid = strtol(digits, &end, 10);
        if (end != digits && pid > 0 && kill((pid_t)pid, 0) == 0)
            n++;
    }
    closedir(dir);
    apputil_sleep_ms(1000);
    if (unlink(mine) != 0)
        return -errno;
    return n;
}

#endif
