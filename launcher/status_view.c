/* The job's status for people. See status_view.h. */
#define _GNU_SOURCE
#include "status_view.h"

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "printable.h"
#include "status_json.h"

/* ---------------------------------------------------------------- text */

#define CELL_LEN   128
#define MAX_COLS   6


static void
seconds(char *buf, size_t len, uint64_t ms)
{
    snprintf(buf, len, "%.1f s", (double)ms / 1000.0);
}

static void
bytes(char *buf, size_t len, uint64_t n)
{
    static const char *const units[] = {"bytes", "KB", "MB", "GB", "TB"};
    double v = (double)n;
    int u = 0;

    while (v >= 1000.0 && u < 4) {
        v /= 1000.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%" PRIu64 " bytes", n);
    else
        snprintf(buf, len, "%.1f %s", v, units[u]);
}

static void
task_name(char *buf, size_t len, Mr__TaskKind kind, uint32_t id)
{
    snprintf(buf, len, "%s %u", status_kind_name(kind), id);
}

/* ---------------------------------------------------------------- tables */

/* Rows of cells printed in columns as wide as their widest cell, each row
 * indented by two spaces; the first row is the heading. */
struct table {
    size_t ncols, nrows, cap;
    char (*cells)[MAX_COLS][CELL_LEN];
};

/* Adds a row of t->ncols cells, each cut to CELL_LEN - 1 bytes; when out
 * of memory, the row is left out. */
static void
table_add(struct table *t, const char *const cells[])
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 8;
        void *p = realloc(t->cells, cap * sizeof(*t->cells));
        if (p == NULL)
            return;
        t->cells = p;
        t->cap = cap;
    }
    for (size_t c = 0; c < t->ncols; c++)
        snprintf(t->cells[t->nrows][c], CELL_LEN, "%s", cells[c]);
    t->nrows++;
}

static void
table_print(FILE *out, struct table *t)
{
    size_t width[MAX_COLS] = {0};

    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++)
            if (strlen(t->cells[r][c]) > width[c])
                width[c] = strlen(t->cells[r][c]);
    for (size_t r = 0; r < t->nrows; r++) {
        char line[MAX_COLS * (CELL_LEN + 2) + 3] = "  ";
        size_t n = 2;

        for (size_t c = 0; c < t->ncols; c++)
            n += (size_t)snprintf(line + n, sizeof(line) - n, "%-*s  ",
                                  (int)width[c], t->cells[r][c]);
        while (n > 0 && line[n - 1] == ' ')     /* empty last cells too */
            n--;
        fprintf(out, "%.*s\n", (int)n, line);
    }
    free(t->cells);
    memset(t, 0, sizeof(*t));
}

/* ---------------------------------------------------------------- parts */

#define LABEL "%-10s "

static void
print_job(FILE *out, const Mr__StatusReply *s)
{
    char buf[CELL_LEN], dir[4096], when[32], in[32];

    fprintf(out, LABEL "%s", "job", s->job_id);
    if (s->app != NULL && s->app[0] != '\0')
        fprintf(out, ", app %s", printable_copy(s->app, buf, sizeof(buf)));
    fputc('\n', out);
    if (s->dir != NULL && s->dir[0] != '\0')
        fprintf(out, LABEL "%s\n", "directory",
                printable_copy(s->dir, dir, sizeof(dir)));
    else
        fprintf(out, LABEL "%s\n", "directory",
                "not known yet (the first worker's, when it joins)");
    seconds(when, sizeof(when), s->elapsed_ms);
    fprintf(out, LABEL "%s, %s elapsed%s\n", "phase", s->phase, when,
            s->over ? ", over" : "");
    if (s->why != NULL && s->why[0] != '\0')
        fprintf(out, LABEL "%s\n", "why",
                printable_copy(s->why, dir, sizeof(dir)));
    bytes(in, sizeof(in), s->input_bytes);
    fprintf(out, LABEL "%s\n", "input", in);
}

static void
print_phase(FILE *out, const char *name, const Mr__PhaseStatus *p)
{
    Mr__PhaseStatus none = MR__PHASE_STATUS__INIT;

    if (p == NULL)
        p = &none;
    fprintf(out, LABEL "%u total, %u done, %u running, %u failed "
            "attempt%s\n", name, p->total, p->done, p->running, p->failed,
            p->failed == 1 ? "" : "s");
}

static void
print_attempts(FILE *out, const Mr__StatusReply *s)
{
    fprintf(out, LABEL "%" PRIu64 " lost, %" PRIu64 " backup%s (%" PRIu64
            " won)\n", "attempts", s->lost_attempts, s->backup_attempts,
            s->backup_attempts == 1 ? "" : "s", s->backups_won);
}

static void
print_workers(FILE *out, const Mr__StatusReply *s)
{
    static const char *const heading[] = {"PID", "HOST", "TASK",
                                          "LAST HEARD", "TASKS DONE"};
    struct table t = {.ncols = 5};

    fprintf(out, LABEL "%zu connected, %" PRIu64 " joined in all\n",
            "workers", s->n_workers, s->workers_joined);
    if (s->n_workers == 0)
        return;
    table_add(&t, heading);
    for (size_t i = 0; i < s->n_workers; i++) {
        const Mr__WorkerStatus *w = s->workers[i];
        char pid[16], host[CELL_LEN], task[CELL_LEN], heard[32], done[16];
        const char *row[] = {pid, host, task, heard, done};

        snprintf(pid, sizeof(pid), "%u", w->pid);
        printable_copy(w->host, host, sizeof(host));
        if (w->kind == MR__TASK_KIND__TASK_MAP ||
            w->kind == MR__TASK_KIND__TASK_REDUCE)
            snprintf(task, sizeof(task), "%s %u (attempt %u)",
                     status_kind_name(w->kind), w->task, w->attempt);
        else
            snprintf(task, sizeof(task), "idle");
        snprintf(heard, sizeof(heard), "%.1f s ago",
                 (double)w->heard_ms_ago / 1000.0);
        snprintf(done, sizeof(done), "%u", w->tasks_done);
        table_add(&t, row);
    }
    table_print(out, &t);
}

/* The running tasks among the rows the reply holds. */
static void
print_running(FILE *out, const Mr__StatusReply *s)
{
    static const char *const heading[] = {"TASK", "ATTEMPTS", "WORKER",
                                          "RUNNING FOR", "INPUT"};
    struct table t = {.ncols = 5};
    size_t n = 0;

    for (size_t i = 0; i < s->n_tasks; i++)
        n += s->tasks[i]->state != NULL &&
             strcmp(s->tasks[i]->state, "running") == 0;
    if (n == 0)
        return;
    fprintf(out, "running tasks\n");
    table_add(&t, heading);
    for (size_t i = 0; i < s->n_tasks; i++) {
        const Mr__TaskStatus *k = s->tasks[i];
        char name[32], attempts[16], worker[CELL_LEN], ran[32];
        char file[CELL_LEN - 48], input[CELL_LEN] = "";
        const char *row[] = {name, attempts, worker, ran, input};

        if (k->state == NULL || strcmp(k->state, "running") != 0)
            continue;
        task_name(name, sizeof(name), k->kind, k->id);
        snprintf(attempts, sizeof(attempts), "%u", k->attempts);
        printable_copy(k->worker, worker, sizeof(worker));
        seconds(ran, sizeof(ran), k->ms);
        printable_copy(k->input, file, sizeof(file));
        if (k->kind == MR__TASK_KIND__TASK_MAP && k->length > 0)
            snprintf(input, sizeof(input), "%s [%" PRIu64 ", +%" PRIu64 ")",
                     file, k->offset, k->length);
        else if (k->kind == MR__TASK_KIND__TASK_MAP)
            snprintf(input, sizeof(input), "%s", file);
        table_add(&t, row);
    }
    table_print(out, &t);
}

/* A worker's last lines on stderr, each indented under its failure. */
static void
print_tail(FILE *out, const char *tail)
{
    char line[512];

    while (tail != NULL && *tail != '\0') {
        size_t n = strcspn(tail, "\n");
        if (n >= sizeof(line))
            n = sizeof(line) - 1;
        memcpy(line, tail, n);
        line[n] = '\0';
        printable_copy(line, line, sizeof(line));
        fprintf(out, "      | %s\n", line);
        tail += n;
        tail += strspn(tail, "\n");
    }
}

static void
print_failure(FILE *out, const Mr__Failure *x)
{
    char name[32], host[CELL_LEN], input[1024], reason[1024], at[32];

    task_name(name, sizeof(name), x->kind, x->task);
    seconds(at, sizeof(at), x->at_ms);
    fprintf(out, "  %s attempt %u, at %s", name, x->attempt, at);
    if (x->pid != 0)
        fprintf(out, ", worker pid %u on %s", x->pid,
                printable_copy(x->host, host, sizeof(host)));
    if (x->signal != 0 && sigabbrev_np((int)x->signal) != NULL)
        fprintf(out, ", killed by SIG%s", sigabbrev_np((int)x->signal));
    fputc('\n', out);
    if (x->input != NULL && x->input[0] != '\0') {
        fprintf(out, "    input %s", printable_copy(x->input, input,
                                             sizeof(input)));
        if (x->length > 0)
            fprintf(out, " [%" PRIu64 ", +%" PRIu64 ")", x->offset,
                    x->length);
        fputc('\n', out);
    }
    fprintf(out, "    %s\n", x->reason != NULL && x->reason[0] != '\0'
                                 ? printable_copy(x->reason, reason,
                                             sizeof(reason))
                                 : "(no reason given)");
    print_tail(out, x->stderr_tail);
}

static void
print_failures(FILE *out, const Mr__StatusReply *s)
{
    if (s->failures_total == 0) {
        fprintf(out, LABEL "none\n", "failures");
        return;
    }
    if (s->n_failures < s->failures_total)
        fprintf(out, LABEL "%" PRIu64 " in all, the last %zu:\n",
                "failures", s->failures_total, s->n_failures);
    else
        fprintf(out, LABEL "%" PRIu64 ":\n", "failures", s->failures_total);
    for (size_t i = 0; i < s->n_failures; i++)
        print_failure(out, s->failures[i]);
}

/* The records --skip-bad-records leaves out; nothing when none. */
static void
print_skipped(FILE *out, const Mr__StatusReply *s)
{
    char file[1024], head[4 * 32 + 1];

    if (s->n_skipped == 0)
        return;
    fprintf(out, LABEL "%zu bad record%s:\n", "skipped", s->n_skipped,
            s->n_skipped == 1 ? "" : "s");
    for (size_t i = 0; i < s->n_skipped; i++) {
        const Mr__BadRecord *r = s->skipped[i];
        printable_escape(r->head.data, r->head.len < 32 ? r->head.len : 32,
                         head, sizeof(head));
        fprintf(out, "  %s offset %" PRIu64 ": \"%s\"\n",
                printable_copy(r->file, file, sizeof(file)), r->offset, head);
    }
}

static void
print_counters(FILE *out, const Mr__StatusReply *s)
{
    struct table t = {.ncols = 2};

    if (s->n_counters == 0) {
        fprintf(out, LABEL "none\n", "counters");
        return;
    }
    fprintf(out, "counters\n");
    for (size_t i = 0; i < s->n_counters; i++) {
        char name[CELL_LEN], value[24];
        const char *row[] = {name, value};

        printable_copy(s->counters[i]->name, name, sizeof(name));
        snprintf(value, sizeof(value), "%" PRIu64, s->counters[i]->value);
        table_add(&t, row);
    }
    table_print(out, &t);
}

void
status_view_print(FILE *out, const Mr__StatusReply *s)
{
    print_job(out, s);
    print_phase(out, "maps", s->maps);
    print_phase(out, "reduces", s->reduces);
    print_attempts(out, s);
    print_workers(out, s);
    print_running(out, s);
    print_failures(out, s);
    print_skipped(out, s);
    print_counters(out, s);
}
