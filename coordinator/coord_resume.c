/* Resuming from a dead coordinator's journal: the job's definition as
 * this coordinator sees it and how another differs (the claim of a dead
 * job's directory), the finished tasks it keeps, and the late reports of
 * attempts the dead one handed out. coord_journal.c writes the journal. */
#define _GNU_SOURCE
#include "coord_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "journal.h"
#include "log.h"
#include "names.h"

/* Attempts numbers each coordinator of a job may use per task: the n-th
 * hands out attempts above (n - 1) * ATTEMPT_STRIDE, so that no attempt
 * (which names files) is taken for one of an earlier coordinator's. */
#define ATTEMPT_STRIDE 65536u

/* ---------------------------------------------------------------- define */

void
coord__definition_free(struct definition *d)
{
    free(d->inputs);
    free(d->ptrs);
}

int
coord__definition_build(coord *c, struct definition *d)
{
    uint32_t n = c->ninputs;

    mrj__define__init(&d->def);
    d->inputs = calloc(n ? n : 1, sizeof(*d->inputs));
    d->ptrs = calloc(n ? n : 1, sizeof(*d->ptrs));
    if (d->inputs == NULL || d->ptrs == NULL) {
        coord__definition_free(d);
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < n; i++) {
        Mrj__Input *in = &d->inputs[i];
        struct stat st;
        mrj__input__init(in);
        in->name = (char *)c->inputs[i];
        if (stat(c->inputs[i], &st) == 0) {
            in->seen = true;
            in->size = (uint64_t)st.st_size;
            in->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
                           st.st_mtim.tv_nsec;
        }
        d->ptrs[i] = in;
    }
    d->def.format = JOURNAL_FORMAT;
    d->def.job_id = c->job_id;
    d->def.inputs = d->ptrs;
    d->def.n_inputs = n;
    d->def.split_size = c->split_size;
    d->def.min_split_size = c->min_split_size;     /* 0, unwritten: off */
    d->def.nmap = c->tasks.nmap;
    d->def.nreduce = c->tasks.nreduce;
    if (c->app.known) {
        d->def.app_digest.data = c->app.digest;
        d->def.app_digest.len = MR_APP_DIGEST_LEN;
        d->def.app_name = c->app.named ? c->app.name : (char *)"";
        d->def.app_abi = c->app.named ? c->app.abi : 0;
        d->def.app_path = c->app.path;
    }
    d->def.started = (int64_t)c->started;
    return 0;
}

/* The journal's app: its definition's, or an App record's. */
static const ProtobufCBinaryData *
journal_app_digest(const struct journal_contents *jc)
{
    const ProtobufCBinaryData *d = &jc->records[0]->define->app_digest;

    for (size_t i = 1; i < jc->n; i++)
        if (jc->records[i]->what_case == MRJ__RECORD__WHAT_APP)
            d = &jc->records[i]->app->digest;
    return d;
}

/* How the journal's job differs from ours, in buf; NULL when it does not. */
static const char *
difference(const struct journal_contents *jc, const Mrj__Define *mine,
           char *buf, size_t len)
{
    const Mrj__Define *theirs = jc->records[0]->define;
    const ProtobufCBinaryData *app = journal_app_digest(jc);

    if (theirs->nreduce != mine->nreduce)
        snprintf(buf, len, "it had %u reduce tasks, this job %u",
                 theirs->nreduce, mine->nreduce);
    else if (theirs->split_size != mine->split_size)
        snprintf(buf, len, "it had another --split-size");
    else if (theirs->min_split_size != mine->min_split_size)
        snprintf(buf, len, theirs->min_split_size == 0
                 ? "it did not pack small inputs (--min-split-size)"
                 : "it packed small inputs to another --min-split-size");
    else if (theirs->n_inputs != mine->n_inputs)
        snprintf(buf, len, "it had %zu inputs, this job %zu",
                 theirs->n_inputs, mine->n_inputs);
    else if (app->len > 0 && mine->app_digest.len > 0 &&
             (app->len != mine->app_digest.len ||
              memcmp(app->data, mine->app_digest.data, app->len) != 0))
        snprintf(buf, len, "it ran another app module");
    else
        buf[0] = '\0';
    for (size_t i = 0; buf[0] == '\0' && i < mine->n_inputs; i++) {
        const Mrj__Input *a = theirs->inputs[i], *b = mine->inputs[i];
        if (strcmp(a->name, b->name) != 0)
            snprintf(buf, len, "its input %zu was %.100s, this job's is "
                     "%.100s", i + 1, a->name, b->name);
        else if (a->seen != b->seen || a->size != b->size ||
                 a->mtime_ns != b->mtime_ns)
            snprintf(buf, len, "its input %.100s has changed since", a->name);
    }
    if (buf[0] == '\0' && theirs->nmap != mine->nmap)
        snprintf(buf, len, "its inputs made %u map tasks, this job's %u",
                 theirs->nmap, mine->nmap);
    return buf[0] ? buf : NULL;
}

/* ---------------------------------------------------------------- claim */

int
coord__resume_claim(const char *priv, const char *job_id, void *arg,
                    char err[MR_ERR_LEN])
{
    coord *c = arg;
    char path[PATH_MAX + 32], why[300];
    struct journal_contents jc;
    struct definition mine;
    /* The job directory: priv without its last name. Advice first, the
     * path last, where a long one may be cut. */
    int dirlen = (int)(strrchr(priv, '/') - priv);
    int rc;

    snprintf(path, sizeof(path), "%s/" JOURNAL_NAME, priv);
    rc = journal_read(path, &jc, err);
    if (rc == -ENOENT ||
        (rc == 0 && jc.n == 0 && jc.end != JOURNAL_CORRUPT))
        goto sweep;             /* it died before it said what it was */
    if (rc == MR_EBADDATA && jc.file_bytes < JOURNAL_MAGIC_LEN)
        goto sweep;             /* ... even before the magic was whole */
    if (rc < 0 || jc.n == 0 ||
        jc.records[0]->what_case != MRJ__RECORD__WHAT_DEFINE ||
        jc.records[0]->define->format != JOURNAL_FORMAT) {
        snprintf(err, MR_ERR_LEN, "job %s, killed before it finished, left "
                 "its files here and its journal cannot be read (%s): give "
                 "--fresh to discard them (here: %.*s)", job_id,
                 rc < 0 ? mr_strerror(rc) : jc.n == 0 ? jc.damage
                 : "its first record is not the job's definition", dirlen,
                 priv);
        journal_contents_free(&jc);
        return MR_EOTHERJOB;
    }
    if (coord__definition_build(c, &mine) < 0) {
        journal_contents_free(&jc);
        snprintf(err, MR_ERR_LEN, "out of memory");
        return -ENOMEM;
    }
    if (difference(&jc, &mine.def, why, sizeof(why)) != NULL) {
        snprintf(err, MR_ERR_LEN, "job %s, killed before it finished, left "
                 "its files here and is not this job (%s): run that job "
                 "again to resume it, or give --fresh to discard its files "
                 "(here: %.*s)", job_id, why, dirlen, priv);
        coord__definition_free(&mine);
        journal_contents_free(&jc);
        return MR_EOTHERJOB;
    }
    coord__definition_free(&mine);
    c->resume = malloc(sizeof(*c->resume));
    if (c->resume == NULL) {
        journal_contents_free(&jc);
        snprintf(err, MR_ERR_LEN, "out of memory");
        return -ENOMEM;
    }
    *c->resume = jc;
    snprintf(c->job_id, sizeof(c->job_id), "%s", job_id);
    return JOBDIR_ADOPT;
sweep:
    if (rc == 0)
        journal_contents_free(&jc);
    return JOBDIR_SWEEP;
}

/* ---------------------------------------------------------------- resume */

/* Whether the file name in the private directory is there with size bytes
 * (any size when size is 0). */
static bool
private_file_is_there(const coord *c, const char *name, uint64_t size)
{
    char path[PATH_MAX + 64];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", jobdir_private(c->jd), name);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
           (size == 0 || (uint64_t)st.st_size == size);
}

/* Whether a map's output, as a MapDone says, can still be used: one in the
 * private directory must be there whole; one a worker kept is believed
 * until a reduce cannot fetch it (then the map runs again). */
static bool
map_output_usable(const coord *c, const Mrj__MapDone *m)
{
    char name[64];

    if (!m->shared && m->addr[0] != '\0')
        return true;
    mr_im_name(name, sizeof(name), m->map, m->attempt);
    return private_file_is_there(c, name, m->size);
}

static bool
reduce_output_usable(const coord *c, const Mrj__ReduceDone *r)
{
    char name[64];

    mr_staged_name(name, sizeof(name), r->reduce, r->attempt);
    return private_file_is_there(c, name, r->bytes_out);
}

/* The last word of the journal on each task: its MapDone or ReduceDone
 * record, or NULL (not done, or undone since); and its newest Counted. */
struct last_words {
    const Mrj__MapDone **maps;
    const Mrj__ReduceDone **reduces;
    const Mrj__Counted **map_counted, **reduce_counted;
    uint32_t generation;        /* the newest Start's */
    const Mrj__App *app;        /* the newest App, or NULL */
};

/* A record an earlier coordinator skipped is skipped again, when this
 * one skips bad records too. Returns 0 or -ENOMEM. */
static int
restore_skipped(coord *c, const Mrj__Skipped *s)
{
    const Mr__BadRecord *b = s->record;

    if (!c->skips.on)
        return 0;
    return skips_restore(&c->skips, s->map, b->file, b->offset, b->head.data,
                         b->head.len);
}

static int
read_last_words(coord *c, const struct journal_contents *jc,
                struct last_words *lw)
{
    uint32_t nmap = c->tasks.nmap, nreduce = c->tasks.nreduce;

    memset(lw, 0, sizeof(*lw));
    lw->maps = calloc(nmap ? nmap : 1, sizeof(*lw->maps));
    lw->reduces = calloc(nreduce ? nreduce : 1, sizeof(*lw->reduces));
    lw->map_counted = calloc(nmap ? nmap : 1, sizeof(*lw->map_counted));
    lw->reduce_counted = calloc(nreduce ? nreduce : 1,
                                sizeof(*lw->reduce_counted));
    if (lw->maps == NULL || lw->reduces == NULL || lw->map_counted == NULL ||
        lw->reduce_counted == NULL)
        return -ENOMEM;
    /* A record naming a task out of range is damage that passed the
     * checksum (or a bug): it is not used. */
    for (size_t i = 1; i < jc->n; i++) {
        const Mrj__Record *r = jc->records[i];
        switch (r->what_case) {
        case MRJ__RECORD__WHAT_START:
            lw->generation = r->start->generation;
            break;
        case MRJ__RECORD__WHAT_APP:
            lw->app = r->app;
            break;
        case MRJ__RECORD__WHAT_MAP_DONE:
            if (r->map_done->map < nmap && r->map_done->attempt > 0)
                lw->maps[r->map_done->map] = r->map_done;
            break;
        case MRJ__RECORD__WHAT_MAP_UNDONE:
            if (r->map_undone->map < nmap)
                lw->maps[r->map_undone->map] = NULL;
            break;
        case MRJ__RECORD__WHAT_REDUCE_DONE:
            if (r->reduce_done->reduce < nreduce &&
                r->reduce_done->attempt > 0)
                lw->reduces[r->reduce_done->reduce] = r->reduce_done;
            break;
        case MRJ__RECORD__WHAT_SKIPPED:
            if (r->skipped->map < nmap && r->skipped->record != NULL &&
                restore_skipped(c, r->skipped) < 0)
                return -ENOMEM;
            break;
        case MRJ__RECORD__WHAT_COUNTED:
            if (!r->counted->reduce && r->counted->task < nmap)
                lw->map_counted[r->counted->task] = r->counted;
            else if (r->counted->reduce && r->counted->task < nreduce)
                lw->reduce_counted[r->counted->task] = r->counted;
            break;
        default:
            break;
        }
    }
    return 0;
}

static void
free_last_words(struct last_words *lw)
{
    free(lw->maps);
    free(lw->reduces);
    free(lw->map_counted);
    free(lw->reduce_counted);
}

/* A kept task's counters: those the journal recorded for the attempt it
 * keeps (a Counted of another attempt is an earlier winner's, whose
 * output was lost since). */
static void
restore_counted(coord *c, const struct coord_task *task,
                const Mrj__Counted *counted)
{
    if (counted != NULL && counted->attempt == task->done_attempt)
        coord__counters_restore(c, task, counted->counters,
                                counted->n_counters);
}

/* The journal's app becomes the job's when the job knew none. */
static void
restore_app(coord *c, const Mrj__Define *def, const Mrj__App *app)
{
    const ProtobufCBinaryData *digest = app ? &app->digest
                                            : &def->app_digest;
    const char *name = app ? app->name : def->app_name;

    if (c->app.known || digest->len != MR_APP_DIGEST_LEN)
        return;
    c->app.known = true;
    memcpy(c->app.digest, digest->data, MR_APP_DIGEST_LEN);
    snprintf(c->app.path, sizeof(c->app.path), "%s",
             app ? app->path : def->app_path);
    if (name[0] != '\0') {
        c->app.named = true;
        snprintf(c->app.name, sizeof(c->app.name), "%s", name);
        c->app.abi = app ? app->abi : def->app_abi;
    }
    c->journal_app_done = true;
}

int
coord__resume_restore(coord *c, const struct journal_contents *jc)
{
    struct last_words lw;
    uint32_t maps = 0, reduces = 0, missing = 0;

    if (read_last_words(c, jc, &lw) < 0) {
        free_last_words(&lw);
        return -ENOMEM;
    }
    c->generation = lw.generation + 1;
    tasks_number_from(&c->tasks, (c->generation - 1) *
                                     ATTEMPT_STRIDE);
    restore_app(c, jc->records[0]->define, lw.app);
    for (uint32_t i = 0; i < c->tasks.nmap; i++) {
        const Mrj__MapDone *m = lw.maps[i];
        if (m == NULL)
            continue;
        if (!map_output_usable(c, m)) {
            missing++;
            continue;
        }
        if (tasks_complete_earlier(&c->tasks, &c->tasks.maps[i],
                                   m->attempt) != 0)
            continue;           /* an attempt above the base: not ours */
        coord__output_restore(c, m);
        restore_counted(c, &c->tasks.maps[i], lw.map_counted[i]);
        maps++;
    }
    for (uint32_t r = 0; r < c->tasks.nreduce; r++) {
        const Mrj__ReduceDone *d = lw.reduces[r];
        if (d == NULL)
            continue;
        if (!reduce_output_usable(c, d)) {
            missing++;
            continue;
        }
        if (tasks_complete_earlier(&c->tasks, &c->tasks.reduces[r],
                                   d->attempt) != 0)
            continue;
        c->stats.out_bytes += d->bytes_out;
        c->stats.out_keys += d->records_out;
        restore_counted(c, &c->tasks.reduces[r], lw.reduce_counted[r]);
        reduces++;
    }
    mr_info("job %s resumed from its journal (coordinator %u): %u of %u "
            "map and %u of %u reduce tasks were done and are kept; %u "
            "finished before had lost their outputs and run again",
            c->job_id, c->generation, maps, c->tasks.nmap, reduces,
            c->tasks.nreduce, missing);
    free_last_words(&lw);
    return 0;
}

/* ---------------------------------------------------------------- late */

int
coord__resume_late(coord *c, struct coord_task *task,
                   const Mr__TaskReport *rep)
{
    const Mr__MapOutput *o = rep->output;
    char name[64];
    int rc;

    if (c->jd == NULL || tasks_are_over(&c->tasks))
        return MR_ESTALE;       /* over: the private directory is gone */
    if (task->kind == KIND_MAP && (o == NULL || o->shared ||
                                   o->addr[0] == '\0')) {
        mr_im_name(name, sizeof(name), task->id, rep->attempt);
        if (!private_file_is_there(c, name, rep->bytes_out))
            return MR_ESTALE;
    } else if (task->kind == KIND_REDUCE) {
        mr_staged_name(name, sizeof(name), task->id, rep->attempt);
        if (!private_file_is_there(c, name, 0))
            return MR_ESTALE;
    }
    if ((rc = tasks_complete_earlier(&c->tasks, task, rep->attempt)) != 0)
        return rc;
    coord__settle_timer(c, task);
    mr_info("%s task %u: took the report of attempt %u, handed out before "
            "the coordinator restarted", task_kind_name(task->kind),
            task->id, rep->attempt);
    return 0;
}
