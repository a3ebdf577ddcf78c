/* The job's status as JSON. See status_json.h. */
#define _GNU_SOURCE
#include "status_json.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "printable.h"

const char *
status_kind_name(Mr__TaskKind kind)
{
    return kind == MR__TASK_KIND__TASK_MAP      ? "map"
           : kind == MR__TASK_KIND__TASK_REDUCE ? "reduce"
                                                : "";
}

static void
key(FILE *f, const char *name)
{
    json_string(f, name);
    fputc(':', f);
}

static void
str(FILE *f, const char *name, const char *value)
{
    key(f, name);
    json_string(f, value ? value : "");
}

static void
num(FILE *f, const char *name, uint64_t n)
{
    key(f, name);
    fprintf(f, "%" PRIu64, n);
}

static void
seconds(FILE *f, const char *name, uint64_t ms)
{
    key(f, name);
    fprintf(f, "%.3f", (double)ms / 1000.0);
}

static void
phase(FILE *f, const char *name, const Mr__PhaseStatus *p)
{
    Mr__PhaseStatus none = MR__PHASE_STATUS__INIT;

    if (p == NULL)
        p = &none;
    key(f, name);
    fputc('{', f);
    num(f, "total", p->total);
    fputc(',', f);
    num(f, "done", p->done);
    fputc(',', f);
    num(f, "running", p->running);
    fputc(',', f);
    num(f, "failed", p->failed);
    fputc('}', f);
}

/* A task's name as people read it: "map 3", "reduce 0". */
static void
task_name(FILE *f, const char *name, Mr__TaskKind kind, uint32_t id)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%s %u", status_kind_name(kind), id);
    str(f, name, buf);
}

static void
worker(FILE *f, const Mr__WorkerStatus *w)
{
    fputc('{', f);
    num(f, "pid", w->pid);
    fputc(',', f);
    str(f, "host", w->host);
    fputc(',', f);
    str(f, "address", w->addr);
    fputc(',', f);
    if (w->kind == MR__TASK_KIND__TASK_MAP ||
        w->kind == MR__TASK_KIND__TASK_REDUCE) {
        task_name(f, "task", w->kind, w->task);
        fputc(',', f);
        num(f, "attempt", w->attempt);
    } else {
        key(f, "task");
        fputs("null", f);
    }
    fputc(',', f);
    seconds(f, "last_heard_seconds", w->heard_ms_ago);
    fputc(',', f);
    num(f, "tasks_done", w->tasks_done);
    fputc('}', f);
}

void
status_json_skipped(FILE *f, const Mr__BadRecord *x)
{
    char head[4 * 64 + 1];

    printable_escape(x->head.data, x->head.len < 64 ? x->head.len : 64, head,
                     sizeof(head));
    fputc('{', f);
    str(f, "input", x->file);
    fputc(',', f);
    num(f, "offset", x->offset);
    fputc(',', f);
    str(f, "head", head);
    fputc('}', f);
}

void
status_json_failure(FILE *f, const Mr__Failure *x)
{
    fputc('{', f);
    task_name(f, "task", x->kind, x->task);
    fputc(',', f);
    num(f, "attempt", x->attempt);
    fputc(',', f);
    str(f, "input", x->input);
    fputc(',', f);
    num(f, "offset", x->offset);
    fputc(',', f);
    num(f, "length", x->length);
    fputc(',', f);
    str(f, "host", x->host);
    fputc(',', f);
    num(f, "pid", x->pid);
    fputc(',', f);
    key(f, "signal");
    if (x->signal != 0 && sigabbrev_np((int)x->signal) != NULL) {
        char sig[24];
        snprintf(sig, sizeof(sig), "SIG%s", sigabbrev_np((int)x->signal));
        json_string(f, sig);
    } else {
        fputs("null", f);
    }
    fputc(',', f);
    str(f, "reason", x->reason);
    fputc(',', f);
    str(f, "stderr", x->stderr_tail);
    fputc(',', f);
    seconds(f, "at_seconds", x->at_ms);
    fputc('}', f);
}

static void
task(FILE *f, const Mr__TaskStatus *t)
{
    fputc('{', f);
    str(f, "kind", status_kind_name(t->kind));
    fputc(',', f);
    num(f, "id", t->id);
    fputc(',', f);
    str(f, "state", t->state);
    fputc(',', f);
    num(f, "attempts", t->attempts);
    fputc(',', f);
    num(f, "failures", t->failures);
    fputc(',', f);
    str(f, "worker", t->worker);
    fputc(',', f);
    seconds(f, "seconds", t->ms);
    if (t->kind == MR__TASK_KIND__TASK_MAP) {
        fputc(',', f);
        str(f, "input", t->input);
        fputc(',', f);
        num(f, "offset", t->offset);
        fputc(',', f);
        num(f, "length", t->length);
    }
    fputc('}', f);
}

char *
status_json(const Mr__StatusReply *s, size_t *len)
{
    char *doc = NULL;
    FILE *f = open_memstream(&doc, len);

    if (f == NULL)
        return NULL;
    fputc('{', f);
    str(f, "job", s->job_id);
    fputc(',', f);
    str(f, "phase", s->phase);
    fputc(',', f);
    key(f, "over");
    fputs(s->over ? "true" : "false", f);
    fputc(',', f);
    str(f, "why", s->why);
    fputc(',', f);
    str(f, "app", s->app);
    fputc(',', f);
    str(f, "directory", s->dir);
    fputc(',', f);
    seconds(f, "elapsed_seconds", s->elapsed_ms);
    fputc(',', f);
    num(f, "input_bytes", s->input_bytes);
    fputc(',', f);
    phase(f, "maps", s->maps);
    fputc(',', f);
    phase(f, "reduces", s->reduces);
    fputc(',', f);
    key(f, "attempts");
    fputc('{', f);
    num(f, "lost", s->lost_attempts);
    fputc(',', f);
    num(f, "backups", s->backup_attempts);
    fputc(',', f);
    num(f, "backups_won", s->backups_won);
    fputc('}', f);
    fputc(',', f);
    num(f, "workers_joined", s->workers_joined);
    fputc(',', f);
    key(f, "workers");
    fputc('[', f);
    for (size_t i = 0; i < s->n_workers; i++) {
        if (i)
            fputc(',', f);
        worker(f, s->workers[i]);
    }
    fputs("],", f);
    num(f, "failures_total", s->failures_total);
    fputc(',', f);
    key(f, "failures");
    fputc('[', f);
    for (size_t i = 0; i < s->n_failures; i++) {
        if (i)
            fputc(',', f);
        status_json_failure(f, s->failures[i]);
    }
    fputs("],", f);
    key(f, "skipped_records");
    fputc('[', f);
    for (size_t i = 0; i < s->n_skipped; i++) {
        if (i)
            fputc(',', f);
        status_json_skipped(f, s->skipped[i]);
    }
    fputs("],", f);
    key(f, "counters");
    fputc('{', f);
    for (size_t i = 0; i < s->n_counters; i++) {
        if (i)
            fputc(',', f);
        num(f, s->counters[i]->name, s->counters[i]->value);
    }
    fputs("},", f);
    key(f, "tasks");
    fputc('[', f);
    for (size_t i = 0; i < s->n_tasks; i++) {
        if (i)
            fputc(',', f);
        task(f, s->tasks[i]);
    }
    fputs("]}\n", f);
    if (fclose(f) != 0) {
        free(doc);
        return NULL;
    }
    return doc;
}
