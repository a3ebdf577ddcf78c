/* The job's module travelling from a real coordinator (in a child process,
 * given the module as mrcoordinator --app gives it) to a worker that
 * brings none: it loads when its bytes are the ones announced; bytes that
 * are not (the served copy altered after its digest was taken) are refused
 * before anything of them is loaded, naming both digests; a large module
 * comes in pieces of at most MR_APP_PIECE_MAX; a connection that did not
 * join gets nothing. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app.h"
#include "app_fetch.h"
#include "app_file.h"
#include "build_dir.h"
#include "coord.h"
#include "coord_child.h"
#include "file_digest.h"
#include "rpc.h"
#include "tmpdir.h"

static char dir[64], addr[128], wc[PATH_MAX];
static pid_t child = -1;
static rpc_client *client;

static void
setup(void)
{
    char build[PATH_MAX - 16];

    cr_assert_eq(build_dir_find(build, sizeof(build)), 0);
    snprintf(wc, sizeof(wc), "%s/apps/wc.so", build);
    signal(SIGPIPE, SIG_IGN);
    cr_assert_eq(tmpdir_create(dir, sizeof(dir), "fetch-test"), 0);
    snprintf(addr, sizeof(addr), "unix:%s/sock", dir);
}

static void
teardown(void)
{
    rpc_client_free(client);
    client = NULL;
    if (child > 0) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
    }
    cr_assert_eq(tmpdir_remove(dir), 0);
}

TestSuite(app_fetch, .init = setup, .fini = teardown, .timeout = 30);

/* A coordinator in a child (coord_child.h) giving out f, listening at
 * addr until killed. Returns once it listens. */
static void
serve(const struct app_file *f)
{
    static const char *files[1] = {"input.txt"};
    struct coord_opts opts = {.output_dir = dir, .app_file = f};
    char err[MR_ERR_LEN];

    child = coord_child_start(files, 1, &opts, addr);
    cr_assert_gt(child, 0, "the coordinator did not start");
    client = rpc_client_create(addr, &(struct rpc_client_opts){
                                         .connect_timeout_ms = 2000,
                                         .call_timeout_ms = 5000},
                               err);
    cr_assert_not_null(client, "%s", err);
}

/* Joins as a worker that brings no module. Free the reply. */
static Mr__JoinReply *
join_fetching(void)
{
    Mr__JoinRequest req = MR__JOIN_REQUEST__INIT;
    Mr__JoinReply *reply = NULL;

    req.protocol = MR_PROTOCOL_VERSION;
    req.pid = (uint32_t)getpid();
    req.host = (char *)"test";
    req.cwd = dir;
    app_fetch_identify(NULL, &req);
    cr_assert(req.fetch_app);
    cr_assert_eq(rpc_client_call(client, &mr__coordinator__descriptor,
                                 "Join", &req.base,
                                 (ProtobufCMessage **)&reply), 0, "%s",
                 rpc_client_errmsg(client));
    cr_assert(reply->accepted, "%s", reply->why);
    return reply;
}

/* One GetApp. Free the piece. */
static Mr__AppChunk *
get_piece(uint64_t offset, uint32_t max_bytes)
{
    Mr__AppRequest req = MR__APP_REQUEST__INIT;
    Mr__AppChunk *piece = NULL;

    req.offset = offset;
    req.max_bytes = max_bytes;
    cr_assert_eq(rpc_client_call(client, &mr__coordinator__descriptor,
                                 "GetApp", &req.base,
                                 (ProtobufCMessage **)&piece), 0, "%s",
                 rpc_client_errmsg(client));
    return piece;
}

Test(app_fetch, the_announced_module_loads)
{
    struct app_file f;
    struct app_module m;
    char err[MR_ERR_LEN];
    Mr__JoinReply *reply;

    cr_assert_eq(app_file_read(wc, &f, err), 0, "%s", err);
    serve(&f);
    reply = join_fetching();
    cr_assert_eq(reply->app_size, f.size);
    cr_assert_eq(reply->app_digest.len, MR_APP_DIGEST_LEN);
    cr_assert_arr_eq(reply->app_digest.data, f.digest, MR_APP_DIGEST_LEN);
    cr_assert_eq(app_fetch(client, reply, addr, &m, err), 0, "%s", err);
    cr_assert_str_eq(m.app->name, "wc");
    cr_assert_arr_eq(m.digest, f.digest, MR_APP_DIGEST_LEN);
    cr_assert(strstr(m.path, "the job's module from unix:"), "%s", m.path);
    app_unload(&m);
    mr__join_reply__free_unpacked(reply, NULL);
    app_file_free(&f);
}

Test(app_fetch, other_bytes_than_announced_are_refused_unloaded)
{
    struct app_file f;
    struct app_module m;
    char err[MR_ERR_LEN], want[2 * FILE_DIGEST_SHOWN + 1],
        got[sizeof(want)];
    uint8_t altered[MR_APP_DIGEST_LEN];
    Mr__JoinReply *reply;

    cr_assert_eq(app_file_read(wc, &f, err), 0, "%s", err);
    f.data[f.size / 2] ^= 0xff;     /* served, but not what was hashed */
    file_digest_bytes(f.data, f.size, altered);
    file_digest_hex(f.digest, FILE_DIGEST_SHOWN, want);
    file_digest_hex(altered, FILE_DIGEST_SHOWN, got);
    serve(&f);
    reply = join_fetching();
    cr_assert_eq(app_fetch(client, reply, addr, &m, err), MR_EREFUSED);
    cr_assert_null(m.handle);
    cr_assert(strstr(err, want) && strstr(err, got), "%s", err);
    cr_assert(strstr(err, "not loading it"), "%s", err);
    cr_assert_eq(app_fetch_status(MR_EREFUSED), 4);
    mr__join_reply__free_unpacked(reply, NULL);
    app_file_free(&f);
}

Test(app_fetch, a_large_module_comes_in_pieces)
{
    const size_t size = 3 * MR_APP_PIECE_MAX / 2 + 7;
    char path[PATH_MAX], err[MR_ERR_LEN];
    struct app_file f;
    struct app_module m;
    Mr__JoinReply *reply;
    Mr__AppChunk *piece;
    uint8_t *bytes = calloc(1, size);
    FILE *out;

    /* An ELF header's first bytes and zeros: served, but not loadable. */
    cr_assert_not_null(bytes);
    memcpy(bytes, "\177ELF", 4);
    snprintf(path, sizeof(path), "%s/big.so", dir);
    cr_assert_not_null(out = fopen(path, "w"));
    cr_assert_eq(fwrite(bytes, 1, size, out), size);
    cr_assert_eq(fclose(out), 0);
    cr_assert_eq(app_file_read(path, &f, err), 0, "%s", err);
    cr_assert_str_eq(f.label, "big");
    serve(&f);
    reply = join_fetching();
    piece = get_piece(0, UINT32_MAX);
    cr_assert_eq(piece->data.len, MR_APP_PIECE_MAX);
    cr_assert_eq(piece->size, size);
    mr__app_chunk__free_unpacked(piece, NULL);
    piece = get_piece(size - 3, 100);
    cr_assert_eq(piece->data.len, 3);
    mr__app_chunk__free_unpacked(piece, NULL);
    piece = get_piece(size + 100, 100);
    cr_assert_eq(piece->data.len, 0, "past the end: empty");
    mr__app_chunk__free_unpacked(piece, NULL);
    /* All of it arrives, checks out, and is refused by the loader. */
    cr_assert_eq(app_fetch(client, reply, addr, &m, err), MR_EBADAPP, "%s",
                 err);
    cr_assert(strstr(err, "is not a loadable app module"), "%s", err);
    mr__join_reply__free_unpacked(reply, NULL);
    app_file_free(&f);
    free(bytes);
}

Test(app_fetch, a_connection_that_did_not_join_gets_nothing)
{
    Mr__AppRequest req = MR__APP_REQUEST__INIT;
    Mr__AppChunk *piece = NULL;
    struct app_file f;
    char err[MR_ERR_LEN];

    cr_assert_eq(app_file_read(wc, &f, err), 0, "%s", err);
    serve(&f);
    req.max_bytes = 100;
    cr_assert_eq(rpc_client_call(client, &mr__coordinator__descriptor,
                                 "GetApp", &req.base,
                                 (ProtobufCMessage **)&piece), MR_EREMOTE);
    cr_assert_eq(rpc_client_remote_status(client), -EPERM);
    app_file_free(&f);
}

Test(app_fetch, bad_modules_are_refused_at_start_up)
{
    struct app_file f;
    char err[MR_ERR_LEN], path[PATH_MAX];
    FILE *out;

    cr_assert_lt(app_file_read("/nonexistent/wc.so", &f, err), 0);
    cr_assert(strstr(err, "No such file"), "%s", err);
    app_file_free(&f);
    cr_assert_eq(app_file_read(dir, &f, err), MR_EBADAPP);
    cr_assert(strstr(err, "not a regular file"), "%s", err);
    app_file_free(&f);
    snprintf(path, sizeof(path), "%s/text.so", dir);
    cr_assert_not_null(out = fopen(path, "w"));
    fputs("not an ELF file\n", out);
    fclose(out);
    cr_assert_eq(app_file_read(path, &f, err), MR_EBADAPP);
    cr_assert(strstr(err, "not an ELF file"), "%s", err);
    app_file_free(&f);
}
