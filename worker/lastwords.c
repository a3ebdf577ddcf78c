/* A worker's last words on a fatal signal. See lastwords.h. */
#define _GNU_SOURCE
#include "lastwords.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "exec_child.h"
#include "record_in_hand.h"
#include "stderr_capture.h"
#include "stderr_ring.h"
#include "varint.h"

static const int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT,
                            SIGSYS, SIGTRAP};
#define NFATAL (sizeof(fatal) / sizeof(fatal[0]))
#define FRAME_MAX 512

/* One packed report per fatal signal, and where to send it. */
static uint8_t frames[NFATAL][FRAME_MAX];
static size_t frame_len[NFATAL];
static volatile sig_atomic_t armed_fd = -1;
/* The process that armed them: a child the app forked inherits the
 * handler and the socket, and must not speak for its parent. */
static volatile sig_atomic_t armed_pid;
static char altstack[64 * 1024];

/* The report's field TaskReport.stderr_tail, as the handler appends it:
 * its key (found in the descriptor at init), a length, the bytes. */
#define KEY_MAX 5
static uint8_t tail_key[KEY_MAX];
static size_t tail_key_len;
static char tail[STDERR_TAIL_BYTES + 1];
static uint8_t field[KEY_MAX + 5 + STDERR_TAIL_BYTES];
/* TaskReport.bad_record, as the handler appends it: the record the app
 * had in hand, if any (a BadRecord: its file's name cut to
 * RECORD_FILE_MAX bytes, its offset, its first RECORD_HEAD_MAX bytes). The
 * keys come from the descriptors at init; 0: not there, none is sent. */
#define RECORD_FILE_MAX 256
#define RECORD_FIELD_MAX (2 * 5 + 3 + RECORD_FILE_MAX + 1 + 10 + 2 +      \
                          RECORD_HEAD_MAX)
static uint32_t record_key, file_key, offset_key, head_key;
static uint8_t record_msg[RECORD_FIELD_MAX];
static uint8_t record_field[RECORD_FIELD_MAX];
/* The frame the handler sends: frames[i] and the fields. */
static uint8_t dying_frame[FRAME_MAX + sizeof(field) + RECORD_FIELD_MAX];


/* Writes a length-delimited field at p: key, n, the n bytes. */
static size_t
put_bytes(uint8_t *p, uint32_t key, const char *bytes, size_t n)
{
    size_t k = varint_put(p, key);

    k += varint_put(p + k, n);
    for (size_t i = 0; i < n; i++)
        p[k++] = (uint8_t)bytes[i];
    return k;
}

/* The record in hand as the field TaskReport.bad_record, in record_field.
 * Returns its length; 0: no record in hand. Async-signal-safe. */
static size_t
pack_record_field(void)
{
    struct record_in_hand r;
    size_t n = 0, flen = 0, k;

    if (record_key == 0 || !record_in_hand_get(&r))
        return 0;
    while (r.file != NULL && r.file[flen] != '\0' && flen < RECORD_FILE_MAX)
        flen++;
    n += put_bytes(record_msg + n, file_key, r.file, flen);
    n += varint_put(record_msg + n, offset_key);
    n += varint_put(record_msg + n, r.offset);
    n += put_bytes(record_msg + n, head_key, r.bytes,
                   r.len < RECORD_HEAD_MAX ? r.len : RECORD_HEAD_MAX);
    k = varint_put(record_field, record_key);
    k += varint_put(record_field + k, n);
    for (size_t i = 0; i < n; i++)
        record_field[k++] = record_msg[i];
    return k;
}

/* frames[i], with the record in hand appended when there is one and the
 * tail's n bytes when there are any, in dying_frame. Returns its length.
 * Async-signal-safe. */
static size_t
last_frame(size_t i, size_t n)
{
    size_t len = frame_len[i], k = 0, r;

    for (size_t j = 0; j < len; j++)
        dying_frame[j] = frames[i][j];
    r = pack_record_field();
    if (r > 0 && rpc_client_frame_append(dying_frame, sizeof(dying_frame),
                                         &len, record_field, r) < 0)
        len = frame_len[i];
    if (n == 0 || tail_key_len == 0)
        return len;
    for (size_t j = 0; j < tail_key_len; j++)
        field[k++] = tail_key[j];
    k += varint_put(field + k, n);
    for (size_t j = 0; j < n; j++)
        field[k++] = (uint8_t)tail[j];
    if (rpc_client_frame_append(dying_frame, sizeof(dying_frame), &len,
                                field, k) < 0)
        return frame_len[i];
    return len;
}

static void
on_fatal(int signo)
{
    int saved = errno, fd = armed_fd;
    size_t n;

    armed_fd = -1;
    if (getpid() != armed_pid)
        fd = -1;
    /* An executable app's running commands die with their worker, first:
     * the report's write may block. */
    exec_child_kill_running();
    /* The task's last lines, from the ring: nothing here waits for the
     * real stderr before the report is sent. */
    n = stderr_capture_dying(tail, sizeof(tail));
    for (size_t i = 0; fd >= 0 && i < NFATAL; i++) {
        size_t len;
        if (fatal[i] != signo || frame_len[i] == 0)
            continue;
        len = last_frame(i, n);
        for (size_t off = 0; off < len;) {
            ssize_t k = write(fd, dying_frame + off, len - off);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                break;
            off += (size_t)k;
        }
    }
    /* Whether or not a task ran: what is on its way to stderr goes out,
     * as far as stderr takes it without waiting. */
    stderr_capture_dying_forward();
    /* SA_RESETHAND restored the default action: die of the signal. */
    errno = saved;
    raise(signo);
}

/* The key of TaskReport.stderr_tail (its number, wire type 2), or none
 * when the descriptor lacks it: then no tail is sent. */
static void
find_tail_key(void)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(
            &mr__task_report__descriptor, "stderr_tail");

    if (f != NULL && f->type == PROTOBUF_C_TYPE_STRING)
        tail_key_len = varint_put(tail_key, (uint64_t)f->id << 3 | 2);
}

/* The key of field name of message d, with wire type wt; 0 if none. */
static uint32_t
key_of(const ProtobufCMessageDescriptor *d, const char *name, uint32_t wt)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(d, name);

    return f != NULL ? f->id << 3 | wt : 0;
}

/* The keys of TaskReport.bad_record and BadRecord's fields, or none (then
 * no record is sent) when the descriptors lack one. */
static void
find_record_keys(void)
{
    record_key = key_of(&mr__task_report__descriptor, "bad_record", 2);
    file_key = key_of(&mr__bad_record__descriptor, "file", 2);
    offset_key = key_of(&mr__bad_record__descriptor, "offset", 0);
    head_key = key_of(&mr__bad_record__descriptor, "head", 2);
    if (file_key == 0 || offset_key == 0 || head_key == 0)
        record_key = 0;
}

int
lastwords_init(void)
{
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
    struct sigaction sa;

    find_tail_key();
    find_record_keys();
    if (sigaltstack(&ss, NULL) < 0)
        return -errno;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_fatal;
    sa.sa_flags = SA_ONSTACK | SA_RESETHAND | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NFATAL; i++)
        if (sigaction(fatal[i], &sa, NULL) < 0)
            return -errno;
    return 0;
}

void
lastwords_arm(rpc_client *c, const Mr__TaskReport *task)
{
    Mr__TaskReport rep = MR__TASK_REPORT__INIT;
    char why[128];

    armed_fd = -1;
    rep.kind = task->kind;
    rep.id = task->id;
    rep.attempt = task->attempt;
    rep.ok = false;
    for (size_t i = 0; i < NFATAL; i++) {
        snprintf(why, sizeof(why), "its worker (pid %d) was killed by "
                 "SIG%s (%s) while running it", (int)getpid(),
                 sigabbrev_np(fatal[i]), strsignal(fatal[i]));
        rep.error = why;
        rep.signal = (uint32_t)fatal[i];
        if (rpc_client_pack_request(&mr__coordinator__descriptor,
                                    "ReportTask", &rep.base, frames[i],
                                    FRAME_MAX, &frame_len[i]) < 0)
            frame_len[i] = 0;
    }
    armed_pid = getpid();
    /* The frames are complete before the handler may see the fd. */
    atomic_signal_fence(memory_order_seq_cst);
    armed_fd = rpc_client_fd(c);
}

void
lastwords_disarm(void)
{
    armed_fd = -1;
}

void
lastwords_blame_record(Mr__TaskReport *rep, Mr__BadRecord *room, int signo)
{
    struct record_in_hand r;

    rep->signal = (uint32_t)signo;
    if (!record_in_hand_get(&r))
        return;
    mr__bad_record__init(room);
    room->file = (char *)(r.file != NULL ? r.file : "");
    room->offset = r.offset;
    room->head.data = (uint8_t *)r.bytes;
    room->head.len = r.len < RECORD_HEAD_MAX ? r.len : RECORD_HEAD_MAX;
    rep->bad_record = room;
}
