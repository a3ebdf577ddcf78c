/* Running one task for the coordinator and reporting how it went: a map
 * writes its intermediate file, a reduce its staged output, in the
 * directory the worker keeps its files in (worker_place.c); a worker that
 * keeps them local fetches the inputs it cannot open and ships its
 * outputs through the coordinator. */
#define _GNU_SOURCE
#include "worker_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "counter_names.h"
#include "counter_table.h"
#include "lastwords.h"
#include "log.h"
#include "maptask.h"
#include "merge.h"
#include "reduce_inputs.h"
#include "record_in_hand.h"
#include "reducetask.h"
#include "remote_io.h"
#include "stderr_capture.h"
#include "stderr_ring.h"

/* The most built-in counters a task reports (common/counter_names.h). */
#define BUILTIN_COUNTERS_MAX 16

/* What a report points to, kept until it is sent. */
struct report_room {
    Mr__MapOutput output;
    char path[PATH_MAX + 64];
    uint32_t *lost_maps;        /* owned */
    uint32_t *lost_attempts;    /* owned */
    struct counter_table app_counters;  /* the app's mr_count calls */
    Mr__Counter counters[BUILTIN_COUNTERS_MAX + MR_COUNTERS_MAX];
    Mr__Counter *counter_ptrs[BUILTIN_COUNTERS_MAX + MR_COUNTERS_MAX];
    Mr__BadRecord bad_record;   /* an executable mapper's death's line */
    char bad_head[RECORD_HEAD_MAX];
};

/* Adds a counter to the report (name borrowed). */
static void
report_counter(Mr__TaskReport *rep, struct report_room *room,
               const char *name, uint64_t value)
{
    Mr__Counter *c = &room->counters[rep->n_counters];

    mr__counter__init(c);
    c->name = (char *)name;
    c->value = value;
    room->counter_ptrs[rep->n_counters] = c;
    rep->counters = room->counter_ptrs;
    rep->n_counters++;
}

/* The app's counters after the built-in ones. */
static void
report_app_counters(Mr__TaskReport *rep, struct report_room *room)
{
    const struct counter_table *t = &room->app_counters;

    for (size_t i = 0; i < t->n; i++)
        report_counter(rep, room, t->counters[i].name,
                       t->counters[i].value);
}

static void
report_map_counters(Mr__TaskReport *rep, struct report_room *room,
                    const struct map_stats *st)
{
    report_counter(rep, room, MR_C_MAP_INPUT_BYTES, st->bytes_in);
    /* A map callback that takes its whole split: one record (counting
     * lines would be a second pass over the input, docs/counters.md); a
     * map_line app's: its lines. */
    report_counter(rep, room, MR_C_MAP_INPUT_RECORDS, st->records_read);
    if (st->records_skipped > 0)
        report_counter(rep, room, MR_C_MAP_SKIPPED_RECORDS,
                       st->records_skipped);
    report_counter(rep, room, MR_C_MAP_OUTPUT_RECORDS, st->records_in);
    report_counter(rep, room, MR_C_MAP_OUTPUT_BYTES, st->emitted_bytes);
    report_counter(rep, room, MR_C_COMBINE_INPUT_RECORDS, st->combine_in);
    report_counter(rep, room, MR_C_COMBINE_OUTPUT_RECORDS, st->combine_out);
    report_counter(rep, room, MR_C_SPILLED_RECORDS, st->spilled_records);
    report_counter(rep, room, MR_C_SPILLED_RUNS, st->spilled_runs);
    report_counter(rep, room, MR_C_INTERMEDIATE_RECORDS, st->records_out);
    report_counter(rep, room, MR_C_INTERMEDIATE_BYTES, st->bytes_out);
    report_app_counters(rep, room);
}

static void
report_reduce_counters(Mr__TaskReport *rep, struct report_room *room,
                       const struct reduce_inputs *ri,
                       const struct reduce_stats *st)
{
    report_counter(rep, room, MR_C_SHUFFLE_BYTES, reduce_inputs_bytes(ri));
    report_counter(rep, room, MR_C_SHUFFLE_FETCHED_BYTES,
                   ri->fetch != NULL ? shuffle_fetch_bytes(ri->fetch) : 0);
    report_counter(rep, room, MR_C_REDUCE_INPUT_GROUPS, st->keys);
    report_counter(rep, room, MR_C_REDUCE_INPUT_RECORDS, st->records_in);
    report_counter(rep, room, MR_C_REDUCE_OUTPUT_RECORDS, st->keys);
    report_counter(rep, room, MR_C_REDUCE_OUTPUT_BYTES, st->bytes_out);
    report_app_counters(rep, room);
}

/* path = dir / name. */
static void
path_in(const char *dir, char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

/* One input of a map task as its Task names it: the single-input fields,
 * or one of Task.parts when it packs several (--min-split-size). */
struct task_input {
    const char *file, *path;    /* path "": open file as named */
    uint64_t offset, length, input_size;
    bool whole;
    const uint64_t *skip;       /* borrowed from the Task */
    size_t nskip;
};

static struct task_input
task_input(const Mr__Task *t, size_t k)
{
    const Mr__InputPart *p;

    if (t->n_parts == 0)
        return (struct task_input){t->file, t->path, t->offset, t->length,
                                   t->input_size, t->whole, t->skip,
                                   t->n_skip};
    p = t->parts[k];
    return (struct task_input){p->file, p->path, p->offset, p->length,
                               p->input_size, p->whole, p->skip, p->n_skip};
}

/* Whether this worker sees the map task's input as the coordinator saw
 * it: a file of the same name and size (one of the same name on another
 * host is not it). */
static bool
input_is_here(const struct task_input *ti)
{
    const char *path = ti->path[0] ? ti->path : ti->file;
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
           access(path, R_OK) == 0 &&
           (ti->input_size == 0 || (uint64_t)st.st_size == ti->input_size);
}

static int
compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* The n offsets of v, ascending, in a malloc()ed copy; NULL when out of
 * memory. */
static uint64_t *
sorted_copy(const uint64_t *v, size_t n)
{
    uint64_t *copy = malloc(n * sizeof(*copy));

    if (copy != NULL) {
        memcpy(copy, v, n * sizeof(*copy));
        qsort(copy, n, sizeof(*copy), compare_u64);
    }
    return copy;
}

/* An executable mapper died of a signal: the report says which, and the
 * line it had, as a worker's own last words would (lastwords.h). */
static void
blame_line(const struct map_stats *st, Mr__TaskReport *rep,
           struct report_room *room)
{
    if (st->blamed) {
        memcpy(room->bad_head, st->blamed_head, st->blamed_len);
        record_in_hand_set(st->blamed_file, st->blamed_offset, room->bad_head,
                           st->blamed_len);
    }
    lastwords_blame_record(rep, &room->bad_record, st->died_of);
    if (rep->bad_record != NULL)
        rep->bad_record->guessed = st->blamed_guessed;
    record_in_hand_clear();
}

/* What run_map made for one input, to free and remove after it. */
struct input_room {
    char *fetched;              /* a local copy fetched from the
                                   coordinator, or NULL */
    uint64_t *skip;             /* the offsets to skip, sorted */
};

/* Sets in to input k of map task t; an input this worker cannot open comes
 * through the coordinator, which saw it when it planned the splits.
 * Returns 0, or an error with err filled. */
static int
prepare_input(const struct worker *w, const Mr__Task *t, size_t k,
              struct map_input *in, struct input_room *room,
              char err[MR_ERR_LEN])
{
    struct task_input ti = task_input(t, k);
    char name[80];
    uint64_t length;
    int rc;

    *in = (struct map_input){.name = ti.file,
                             .path = ti.path[0] ? ti.path : NULL,
                             .offset = ti.offset, .length = ti.length,
                             .whole = ti.whole};
    if (w->job.local && !ti.whole && !input_is_here(&ti)) {
        if (t->n_parts == 0)
            snprintf(name, sizeof(name), "mr-input-%u-%u", t->id,
                     t->attempt);
        else
            snprintf(name, sizeof(name), "mr-input-%u-%u-%zu", t->id,
                     t->attempt, k);
        if (asprintf(&room->fetched, "%s/%s", worker__files(w), name) < 0) {
            room->fetched = NULL;
            snprintf(err, MR_ERR_LEN, "out of memory");
            return -ENOMEM;
        }
        rc = remote_input_fetch(w->c, t->id, t->attempt, (uint32_t)k,
                                room->fetched, &length, err);
        if (rc < 0) {
            free(room->fetched);
            room->fetched = NULL;
            return rc;
        }
        in->path = room->fetched;
        in->offset = 0;
        in->length = length;
        in->fetched_from = ti.offset;
    }
    if (ti.nskip > 0 &&
        (room->skip = sorted_copy(ti.skip, ti.nskip)) == NULL) {
        snprintf(err, MR_ERR_LEN, "out of memory for the records to skip");
        return -ENOMEM;
    }
    in->skip = room->skip;
    in->nskip = ti.nskip;
    in->one_line_at_a_time = t->one_line_at_a_time;
    return 0;
}

/* Frees and removes what prepare_input made for n inputs. */
static void
release_inputs(struct input_room *rooms, size_t n)
{
    for (size_t k = 0; rooms != NULL && k < n; k++) {
        if (rooms[k].fetched != NULL)
            unlink(rooms[k].fetched);
        free(rooms[k].fetched);
        free(rooms[k].skip);
    }
    free(rooms);
}

static void
run_map(const struct worker *w, const Mr__Task *t, Mr__TaskReport *rep,
        struct report_room *room, char err[MR_ERR_LEN])
{
    size_t n = t->n_parts > 0 ? t->n_parts : 1, k = 0;
    struct map_input *in = calloc(n, sizeof(*in));
    struct input_room *rooms = calloc(n, sizeof(*rooms));
    struct map_stats st = {0};
    const char *dir = worker__files(w);
    char name[64];

    if (in == NULL || rooms == NULL) {
        snprintf(err, MR_ERR_LEN, "out of memory for %zu inputs", n);
        goto out_free;
    }
    for (; k < n; k++)
        if (prepare_input(w, t, k, &in[k], &rooms[k], err) < 0)
            goto out_free;
    mr_im_name(name, sizeof(name), t->id, t->attempt);
    path_in(dir, room->path, sizeof(room->path), name);
    rep->ok = map_run_parts(w->mod->app, in, n, t->n_reduce, room->path,
                            dir, w->opts->map_buffer, &room->app_counters,
                            &st, err) == 0;
    report_map_counters(rep, room, &st);
    if (!rep->ok && st.died_of != 0)
        blame_line(&st, rep, room);
    rep->bytes_in = st.bytes_in;
    rep->bytes_out = st.bytes_out;
    rep->records_in = st.records_in;
    rep->records_out = st.records_out;
    mr__map_output__init(&room->output);
    room->output.path = room->path;
    room->output.size = st.bytes_out;
    room->output.shared = !w->job.local;
    room->output.addr = w->job.shuffle.pid > 0 ? (char *)w->job.shuffle.addr
                                                : (char *)"";
    rep->output = &room->output;
out_free:
    release_inputs(rooms, k < n ? k + 1 : n);
    free(in);
}

/* Where each map output of a reduce task is; names holds the paths the
 * worker makes up for a coordinator that did not say. */
static void
locate_inputs(const struct worker *w, const Mr__Task *t,
              struct reduce_input *in, char (*names)[PATH_MAX + 64])
{
    bool told = t->n_map_outputs == t->n_map;
    size_t dirlen = strlen(w->job.priv) + 1;   /* "priv/" */

    for (uint32_t i = 0; i < t->n_map; i++) {
        const Mr__MapOutput *o = told ? t->map_outputs[i] : NULL;
        in[i].map = i;
        in[i].attempt = t->map_attempts[i];
        in[i].addr = o ? o->addr : "";
        in[i].size = o ? o->size : 0;
        in[i].path = o ? o->path : "";
        if (in[i].path[0] == '\0') {
            /* path_in(priv, mr_im_name()), the directory copied rather
             * than formatted: this runs for every (map, reduce) pair. */
            memcpy(names[i], w->job.priv, dirlen - 1);
            names[i][dirlen - 1] = '/';
            mr_im_name(names[i] + dirlen, sizeof(names[i]) - dirlen, i,
                       t->map_attempts[i]);
            in[i].path = names[i];
        }
    }
}

/* A reduce that could not fetch: every map output kept where the one at
 * fault was is as good as lost; the report names them for the
 * coordinator to run again. */
static void
report_lost(const Mr__Task *t, const struct reduce_input *in,
            const struct reduce_inputs *ri, const char *addr,
            Mr__TaskReport *rep, struct report_room *room,
            char err[MR_ERR_LEN])
{
    size_t n = strlen(err);

    room->lost_maps = calloc(t->n_map ? t->n_map : 1, sizeof(uint32_t));
    room->lost_attempts = calloc(t->n_map ? t->n_map : 1, sizeof(uint32_t));
    if (room->lost_maps == NULL || room->lost_attempts == NULL)
        return;
    /* The outputs this reduce was fetching from there (or, for "", the
     * ones nobody serves and it could not see): not the ones it read in
     * place, which are fine. */
    for (uint32_t i = 0; i < t->n_map; i++)
        if (strcmp(in[i].addr, addr) == 0 && !reduce_inputs_in_place(ri, i)) {
            room->lost_attempts[rep->n_lost_maps] = in[i].attempt;
            room->lost_maps[rep->n_lost_maps++] = i;
        }
    rep->n_lost_attempts = rep->n_lost_maps;
    rep->lost_attempts = room->lost_attempts;
    rep->lost_maps = room->lost_maps;
    rep->lost_addr = (char *)addr;
    /* Name what went with that worker, as far as the line has room. */
    for (size_t k = 0; k < rep->n_lost_maps && n + 24 < MR_ERR_LEN; k++)
        n += (size_t)snprintf(err + n, MR_ERR_LEN - n, "%s%u",
                              k == 0 ? " (it kept map tasks " : ", ",
                              rep->lost_maps[k]);
    if (rep->n_lost_maps > 0 && n + 2 < MR_ERR_LEN)
        snprintf(err + n, MR_ERR_LEN - n, "%s)",
                 n + 24 >= MR_ERR_LEN ? "..." : "");
}

static void
run_reduce(struct worker *w, const Mr__Task *t, Mr__TaskReport *rep,
           struct report_room *room, char err[MR_ERR_LEN])
{
    struct reduce_fetch_id id = {w->job.id, w->opts->token,
                                 w->opts->token_len};
    struct reduce_stats st = {.bad_input = -1};
    char (*names)[PATH_MAX + 64] = NULL;
    struct reduce_input *in = NULL;
    struct reduce_inputs ri = {0};
    struct merger m;
    char name[64];
    int rc;

    if (t->n_map_attempts != t->n_map) {
        snprintf(err, MR_ERR_LEN, "reduce task names %zu map outputs for %u "
                 "map tasks", t->n_map_attempts, t->n_map);
        return;
    }
    if (w->outputs == NULL)
        w->outputs = im_cache_create(0);
    /* Not calloc: the names of the outputs whose paths the coordinator
     * gave are never touched (4 KB each, a reduce reads every output). */
    names = malloc((t->n_map ? t->n_map : 1) * sizeof(*names));
    in = calloc(t->n_map ? t->n_map : 1, sizeof(*in));
    if (w->outputs == NULL || names == NULL || in == NULL ||
        merger_init(&m, t->n_map) < 0) {
        snprintf(err, MR_ERR_LEN, "out of memory");
        free(names);
        free(in);
        return;
    }
    locate_inputs(w, t, in, names);
    mr_staged_name(name, sizeof(name), t->id, t->attempt);
    path_in(worker__files(w), room->path, sizeof(room->path), name);
    rc = reduce_inputs_open(&ri, in, t->n_map, t->id, t->n_reduce, &id,
                            w->outputs, &m, err);
    if (rc == 0)
        rc = reduce_merged(w->mod->app, &m, room->path, !w->job.local,
                           &room->app_counters, &st, err);
    if (rc != 0 && rc == m.error)
        reduce_inputs_explain(&ri, &m, err);
    if (rc == 0 && ri.fetch != NULL)
        mr_info("reduce task %u fetched %llu of its %llu input bytes from "
                "other workers", t->id,
                (unsigned long long)shuffle_fetch_bytes(ri.fetch),
                (unsigned long long)reduce_inputs_bytes(&ri));
    if (rc == 0 && w->job.local) {
        rc = remote_output_ship(w->c, t->id, t->attempt, room->path, err);
        unlink(room->path);
    }
    rep->ok = rc == 0;
    rep->bytes_in = reduce_inputs_bytes(&ri);
    rep->bytes_out = st.bytes_out;
    rep->records_in = st.records_in;
    rep->records_out = st.keys;
    report_reduce_counters(rep, room, &ri, &st);
    if (rc == MR_EFETCH) {
        report_lost(t, in, &ri, reduce_inputs_blame(&ri, &m), rep, room,
                    err);
    } else if (rc == MR_EBADDATA) {
        /* Input i is map task i's output: the coordinator reruns it. */
        rep->bad_input = true;
        rep->bad_map = m.bad_input;
    }
    reduce_inputs_close(&ri);
    merger_free(&m);
    free(names);
    free(in);
}

static bool
task_is_possible(const Mr__Task *t)
{
    return t->n_reduce > 0 &&
           (t->kind == MR__TASK_KIND__TASK_MAP ||
            (t->kind == MR__TASK_KIND__TASK_REDUCE && t->id < t->n_reduce));
}

/* Whether a report did not reach a coordinator that knows this worker:
 * it went away (or restarted, and this connection is a new one that has
 * not joined). */
static bool
report_was_lost(const struct worker *w, int rc)
{
    return rc == MR_ECONNLOST || rc == MR_ECONNECT ||
           (rc == MR_EREMOTE && rpc_client_remote_status(w->c) == -EPERM);
}

static int
send_report(struct worker *w, const Mr__TaskReport *rep,
            Mr__ReportReply **reply, int *status)
{
    int rc = rpc_client_call(w->c, &mr__coordinator__descriptor,
                             "ReportTask", &rep->base,
                             (ProtobufCMessage **)reply);

    if (!rep->ok || !report_was_lost(w, rc))
        return rc;
    mr_info("%s task %u attempt %u is done, but its report did not reach "
            "the coordinator (%s): joining it again to report it",
            rep->kind == MR__TASK_KIND__TASK_MAP ? "map" : "reduce",
            rep->id, rep->attempt, rpc_client_errmsg(w->c));
    if ((*status = worker__rejoin(w)) != GO_ON)
        return rc;
    return rpc_client_call(w->c, &mr__coordinator__descriptor, "ReportTask",
                           &rep->base, (ProtobufCMessage **)reply);
}

int
worker__run_task(struct worker *w, const Mr__Task *t,
                 Mr__ReportReply **reply, int *status)
{
    Mr__TaskReport rep = MR__TASK_REPORT__INIT;
    Mr__TaskRequest ask = MR__TASK_REQUEST__INIT;
    struct report_room room = {0};
    char err[MR_ERR_LEN] = "", tail[STDERR_TAIL_BYTES + 1] = "";
    int rc;

    counter_table_init(&room.app_counters);

    rep.kind = t->kind;
    rep.id = t->id;
    rep.attempt = t->attempt;
    if (!task_is_possible(t)) {
        snprintf(err, sizeof(err), "the coordinator sent an impossible "
                 "task (kind %d, id %u of %u)", t->kind, t->id, t->n_reduce);
    } else {
        stderr_capture_mark();
        lastwords_arm(w->c, &rep);
        heartbeat_begin(w->hb, t->kind, t->id, t->attempt);
        if (t->kind == MR__TASK_KIND__TASK_MAP)
            run_map(w, t, &rep, &room, err);
        else
            run_reduce(w, t, &rep, &room, err);
        heartbeat_end(w->hb);
        lastwords_disarm();
    }
    if (!rep.ok) {
        /* What the task wrote, before this worker's own line on it. */
        stderr_capture_tail(tail, sizeof(tail));
        rep.stderr_tail = tail;
        mr_warn("%s task %u failed: %s",
                t->kind == MR__TASK_KIND__TASK_MAP ? "map" : "reduce", t->id,
                err);
        rep.error = err;
    }
    /* The next task comes with the report's reply: one round trip. */
    ask.worker_pid = (uint32_t)getpid();
    ask.local = w->job.local;
    rep.ask = &ask;
    rc = send_report(w, &rep, reply, status);
    free(room.lost_maps);
    free(room.lost_attempts);
    counter_table_free(&room.app_counters);
    return rc;
}
