/* Writes the seed corpus of the fuzz targets with the project's own
 * encoders: valid frames, messages and an intermediate file. Run by hand
 * (make fuzz-seeds); the output is committed under tests/fuzz/seeds. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auth.h"
#include "frame.h"
#include "imfile.h"
#include "mr.pb-c.h"
#include "protocol.h"
#include "rpc.h"

static void
save(const char *dir, const char *name, const void *p, size_t n)
{
    char path[512];
    FILE *f;

    mkdir(dir, 0755);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(p, 1, n, f) != n)
        exit(1);
    fclose(f);
}

/* A request frame carrying msg for method index method. */
static size_t
frame(uint8_t *out, uint16_t method, uint32_t id, const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size(m);

    rpc__header_encode(out, RPC_KIND_REQUEST, method, id, 0, n);
    protobuf_c_message_pack(m, out + RPC_HEADER_LEN);
    return RPC_HEADER_LEN + n;
}

/* An AUTH frame carrying 32 bytes of fill: a client nonce or a proof
 * (rpc/auth.h). */
static size_t
auth_frame(uint8_t *out, uint8_t fill)
{
    rpc__header_encode(out, RPC_KIND_AUTH, 0, 0, 0, RPC_AUTH_NONCE_LEN);
    memset(out + RPC_HEADER_LEN, fill, RPC_AUTH_NONCE_LEN);
    return RPC_HEADER_LEN + RPC_AUTH_NONCE_LEN;
}

int
main(int argc, char **argv)
{
    const char *top = argc > 1 ? argv[1] : "tests/fuzz/seeds";
    char dir[256], err[MR_ERR_LEN];
    uint8_t buf[4096];
    Mr__TaskRequest req = MR__TASK_REQUEST__INIT;
    Mr__TaskReport rep = MR__TASK_REPORT__INIT;
    Mr__Task task = MR__TASK__INIT;
    Mr__JoinRequest join = MR__JOIN_REQUEST__INIT;
    Mr__JoinReply joined = MR__JOIN_REPLY__INIT;
    Mr__Heartbeat beat = MR__HEARTBEAT__INIT;
    Mr__ReportReply reply = MR__REPORT_REPLY__INIT;
    uint8_t digest[MR_APP_DIGEST_LEN] = {1, 2, 3};
    char host[] = "host", cwd[] = "/tmp/mr-fuzz-worker", app[] = "wc";
    char id[] = "0123456789ab";
    uint32_t attempts[2] = {1, 2};
    char failed[] = "failed", file[] = "pg-grimm.txt";
    struct im_writer w;
    size_t n;

    mkdir(top, 0755);
    snprintf(dir, sizeof(dir), "%s/coordinator", top);
    req.worker_pid = 42;
    n = frame(buf, 0, 1, &req.base);
    save(dir, "get_task", buf, n);
    /* A worker joins (method 2), then asks for a task and reports it. */
    join.protocol = MR_PROTOCOL_VERSION;
    join.pid = 42;
    join.host = host;
    join.cwd = cwd;
    join.app_name = app;
    join.app_abi = 2;
    join.app_digest.data = digest;
    join.app_digest.len = sizeof(digest);
    n = frame(buf, 2, 1, &join.base);
    save(dir, "join", buf, n);
    n += frame(buf + n, 0, 2, &req.base);
    save(dir, "join_then_get_task", buf, n);
    rep.kind = MR__TASK_KIND__TASK_MAP;
    rep.attempt = 1;
    rep.ok = 1;
    n += frame(buf + n, 1, 3, &rep.base);
    save(dir, "join_get_report", buf, n);
    /* The same with a heartbeat (method 6, one-way) before the report. */
    n = frame(buf, 2, 1, &join.base);
    n += frame(buf + n, 0, 2, &req.base);
    beat.kind = MR__TASK_KIND__TASK_MAP;
    beat.attempt = 1;
    n += frame(buf + n, 6, RPC_ONE_WAY_ID, &beat.base);
    n += frame(buf + n, 1, 3, &rep.base);
    save(dir, "join_get_beat_report", buf, n);
    /* Reports that ask for the next task (TaskReport.ask), twice. */
    n = frame(buf, 2, 1, &join.base);
    n += frame(buf + n, 0, 2, &req.base);
    rep.ask = &req;
    n += frame(buf + n, 1, 3, &rep.base);
    rep.id = 1;
    n += frame(buf + n, 1, 4, &rep.base);
    rep.id = 0;
    rep.ask = NULL;
    save(dir, "join_get_report_asking", buf, n);
    n = frame(buf, 0, 1, &req.base);
    rep.kind = MR__TASK_KIND__TASK_MAP;
    rep.attempt = 1;
    rep.ok = 1;
    n += frame(buf + n, 1, 2, &rep.base);
    save(dir, "get_then_report", buf, n);
    rep.ok = 0;
    rep.error = failed;
    n = frame(buf, 1, 3, &rep.base);
    save(dir, "report_failure", buf, n);

    /* The token exchange (rpc/auth.h): the client's nonce, then a proof
     * (wrong: the server's nonce is random); an empty first AUTH frame (an
     * older client); a request before any exchange. */
    snprintf(dir, sizeof(dir), "%s/auth", top);
    n = auth_frame(buf, 0xa5);
    save(dir, "client_nonce", buf, n);
    n += auth_frame(buf + n, 0x5a);
    save(dir, "client_nonce_then_proof", buf, n);
    rpc__header_encode(buf, RPC_KIND_AUTH, 0, 0, 0, 0);
    save(dir, "empty_first", buf, RPC_HEADER_LEN);
    n = frame(buf, 0, 1, &req.base);
    save(dir, "request_first", buf, n);

    snprintf(dir, sizeof(dir), "%s/messages", top);
    task.kind = MR__TASK_KIND__TASK_REDUCE;
    task.file = file;
    task.n_reduce = 10;
    task.n_map = 2;
    task.map_attempts = attempts;
    task.n_map_attempts = 2;
    task.length = 100;
    n = protobuf_c_message_pack(&task.base, buf);
    save(dir, "task", buf, n);
    n = protobuf_c_message_pack(&rep.base, buf);
    save(dir, "report", buf, n);
    rep.ask = &req;
    n = protobuf_c_message_pack(&rep.base, buf);
    save(dir, "report_asking", buf, n);
    rep.ask = NULL;
    reply.accepted = 1;
    reply.next = &task;
    n = protobuf_c_message_pack(&reply.base, buf);
    save(dir, "report_reply_next", buf, n);
    n = protobuf_c_message_pack(&join.base, buf);
    save(dir, "join", buf, n);
    joined.accepted = 1;
    joined.job_id = id;
    joined.job_dir = cwd;
    joined.private_dir = cwd;
    n = protobuf_c_message_pack(&joined.base, buf);
    save(dir, "joined", buf, n);

    snprintf(dir, sizeof(dir), "%s/imfile", top);
    mkdir(dir, 0755);
    if (im_writer_open(&w, "/tmp/mr-seed-im", 3, err) < 0)
        return 1;
    im_writer_add(&w, 0, "apple", 5, "3", 1);
    im_writer_add(&w, 0, "pear", 4, "1", 1);
    im_writer_add(&w, 2, "fig", 3, "22", 2);
    if (im_writer_commit(&w, err) < 0)
        return 1;
    {
        FILE *f = fopen("/tmp/mr-seed-im", "rb");
        buf[0] = 2;             /* 3 partitions */
        n = 1 + fread(buf + 1, 1, sizeof(buf) - 1, f);
        fclose(f);
        remove("/tmp/mr-seed-im");
    }
    save(dir, "three_partitions", buf, n);

    /* A partition's records, read in pieces of 1 + byte 0 % 64 bytes: the
     * first partition of the file above, cut into 3-byte and 17-byte
     * pieces, and a record longer than any piece. */
    snprintf(dir, sizeof(dir), "%s/stream", top);
    mkdir(dir, 0755);
    {
        static const uint8_t two[] = {2, 5, 1, 'a', 'p', 'p', 'l', 'e',
                                      '3', 4, 1, 'p', 'e', 'a', 'r', '1'};
        uint8_t big[1 + 2 + 3 + 100];
        save(dir, "two_records_3", two, sizeof(two));
        memcpy(buf, two, sizeof(two));
        buf[0] = 16;
        save(dir, "two_records_17", buf, sizeof(two));
        big[0] = 0;             /* 1-byte pieces */
        big[1] = 3;
        big[2] = 100;
        memcpy(big + 3, "key", 3);
        memset(big + 6, 'v', 100);
        save(dir, "long_value", big, sizeof(big));
    }
    return 0;
}
