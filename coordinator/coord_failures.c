/* The job's failure records (failures.h) as the coordinator fills them:
 * which attempt, the input of a map and its split, the worker's host and
 * pid (by its connection), the signal, why, its stderr tail, when; the
 * status's rows of them; and the final error line, which names all that
 * of the failure that ended the job. */
#define _GNU_SOURCE
#include "coord_int.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
coord__failure_note(coord *c, const struct coord_task *task,
                    uint32_t attempt, uint64_t conn, const char *reason,
                    uint32_t signal, const char *stderr_tail)
{
    const struct member *m = members_find(&c->members, conn);
    struct failure *f = failures_add(&c->failures);

    if (f == NULL)
        return;
    f->kind = task->kind;
    f->task = task->id;
    f->attempt = attempt;
    if (task->kind == KIND_MAP && task->id < c->tasks.nmap) {
        uint32_t n;
        const struct split *s = coord__map_splits(c, task->id, &n);
        f->input = coord__map_input(c, task->id);
        f->offset = n > 1 ? 0 : s->offset;
        f->length = s->whole || n > 1 ? 0 : s->length;
    }
    if (m != NULL) {
        snprintf(f->host, sizeof(f->host), "%s", m->host);
        f->pid = m->pid;
    }
    f->signal = signal;
    failures_copy_text(f->reason, sizeof(f->reason), reason, false);
    failures_copy_text(f->stderr_tail, sizeof(f->stderr_tail), stderr_tail,
                       true);
    f->at_ms = rpc_monotonic_ms() - c->start_ms;
}

size_t
coord__failures_fill(const coord *c, Mr__Failure *rows, Mr__Failure **ptrs)
{
    size_t n = 0;

    for (; n < c->failures.kept; n++) {
        const struct failure *f = failures_at(&c->failures, n);
        Mr__Failure *x = &rows[n];

        mr__failure__init(x);
        x->kind = f->kind == KIND_MAP ? MR__TASK_KIND__TASK_MAP
                                      : MR__TASK_KIND__TASK_REDUCE;
        x->task = f->task;
        x->attempt = f->attempt;
        x->input = (char *)(f->input != NULL ? f->input : "");
        x->offset = f->offset;
        x->length = f->length;
        x->host = (char *)f->host;
        x->pid = f->pid;
        x->signal = f->signal;
        x->reason = (char *)f->reason;
        x->stderr_tail = (char *)f->stderr_tail;
        x->at_ms = f->at_ms;
        ptrs[n] = x;
    }
    return n;
}

/* Appends to the final error; what does not fit is cut. */
static void
append(coord *c, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
append(coord *c, size_t *n, const char *fmt, ...)
{
    size_t len = sizeof(c->final_error);
    va_list ap;
    int k;

    if (*n + 1 >= len)
        return;
    va_start(ap, fmt);
    k = vsnprintf(c->final_error + *n, len - *n, fmt, ap);
    va_end(ap);
    if (k > 0)
        *n = *n + (size_t)k < len ? *n + (size_t)k : len - 1;
}

/* The first line of a tail ("" when none) in buf, and how many follow. */
static size_t
first_line(const char *tail, char *buf, size_t len)
{
    const char *nl = strchr(tail, '\n');
    size_t n = nl != NULL ? (size_t)(nl - tail) : strlen(tail), more = 0;

    snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), tail);
    for (; nl != NULL; nl = strchr(nl + 1, '\n'))
        more++;
    return more;
}

void
coord__failure_explain(coord *c)
{
    const struct coord_task *task = c->tasks.failed_task;
    const struct failure *f;
    char sig[24] = "", line[240];
    size_t n = 0, more;

    if (c->final_error[0] != '\0' || c->why_failed[0] != '\0' ||
        task == NULL || c->tasks.why_failed[0] == '\0')
        return;
    append(c, &n, "%s", c->tasks.why_failed);
    if ((f = failures_last_of(&c->failures, task->kind, task->id)) == NULL)
        return;
    if (f->pid != 0)
        append(c, &n, "; worker pid %u on host %s", f->pid,
               f->host[0] ? f->host : "(unnamed)");
    if (f->signal != 0 && sigabbrev_np((int)f->signal) != NULL)
        snprintf(sig, sizeof(sig), "SIG%s", sigabbrev_np((int)f->signal));
    if (sig[0] != '\0' && strstr(c->final_error, sig) == NULL)
        append(c, &n, "; killed by %s", sig);
    if (f->stderr_tail[0] != '\0') {
        more = first_line(f->stderr_tail, line, sizeof(line));
        append(c, &n, "; its stderr: %s", line);
        if (more > 0)
            append(c, &n, " (and %zu more line%s)", more,
                   more == 1 ? "" : "s");
    }
}
