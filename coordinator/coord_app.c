/* The app module a job runs: which one it is (every worker runs the same
 * file, identified by its digest), and, when the coordinator was given
 * one (--app), giving it to workers that bring none: announced in the
 * JoinReply, served in pieces by GetApp to joined connections.
 *
 * The coordinator does not load modules, so from the file alone it knows
 * the digest and size but not the app's name or ABI: the job is named
 * after the file ("wc" for wc.so) until a worker that brings the same
 * file joins and says them. A worker that fetches the module learns them
 * by loading it; it checks the digest, which is the module's identity. */
#define _GNU_SOURCE
#include "coord_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "file_digest.h"

int
coord__app_serve(coord *c, const struct app_file *f, char err[MR_ERR_LEN])
{
    if (c->app.known &&
        memcmp(c->app.digest, f->digest, MR_APP_DIGEST_LEN) != 0) {
        snprintf(err, MR_ERR_LEN, "the module to give out, %s, is not the "
                 "job's app %s (%s)", f->path, c->app.name, c->app.path);
        return MR_EBADAPP;
    }
    if (!c->app.known) {
        c->app.known = true;
        memcpy(c->app.digest, f->digest, MR_APP_DIGEST_LEN);
        snprintf(c->app.name, sizeof(c->app.name), "%s", f->label);
        snprintf(c->app.path, sizeof(c->app.path), "%s", f->path);
    }
    c->app.file = f;
    return 0;
}

/* ---------------------------------------------------------------- join */

/* Whether req's module is not the job's. */
static bool
app_differs(const coord *c, const Mr__JoinRequest *req, const char *name)
{
    if (memcmp(req->app_digest.data, c->app.digest, MR_APP_DIGEST_LEN))
        return true;
    return c->app.named &&
           (strcmp(name, c->app.name) != 0 || req->app_abi != c->app.abi);
}

const char *
coord__app_refusal(const coord *c, const Mr__JoinRequest *req, char *buf,
                   size_t len)
{
    char mine[2 * FILE_DIGEST_SHOWN + 1], theirs[2 * FILE_DIGEST_SHOWN + 1];
    char name[128];

    if (req->fetch_app) {
        if (c->app.file != NULL)
            return NULL;
        snprintf(buf, len, "this coordinator has no app module to give: "
                 "start the worker with APP.so, or give the coordinator "
                 "--app PATH");
        return buf;
    }
    if (req->app_digest.len != MR_APP_DIGEST_LEN) {
        snprintf(buf, len, "the worker did not identify its app module");
        return buf;
    }
    coord__printable(req->app_name, name, sizeof(name));
    if (!c->app.known || !app_differs(c, req, name))
        return NULL;
    file_digest_hex(c->app.digest, FILE_DIGEST_SHOWN, mine);
    file_digest_hex(req->app_digest.data, FILE_DIGEST_SHOWN, theirs);
    if (c->app.file != NULL)
        snprintf(buf, len, "this job's module is %s (blake2b %s...), this "
                 "worker loaded app %s (ABI %u, blake2b %s...): start the "
                 "worker without APP.so to take the job's module, or give "
                 "the coordinator the same file", c->app.file->path, mine,
                 name, req->app_abi, theirs);
    else
        snprintf(buf, len, "this job runs app %s (ABI %u, blake2b %s...), "
                 "this worker loaded %s (ABI %u, blake2b %s...): every "
                 "worker of a job runs the same module", c->app.name,
                 c->app.abi, mine, name, req->app_abi, theirs);
    return buf;
}

void
coord__app_take(coord *c, const Mr__JoinRequest *req)
{
    if (req->fetch_app || c->app.named)
        return;
    coord__printable(req->app_name, c->app.name, sizeof(c->app.name));
    c->app.abi = req->app_abi;
    c->app.named = true;
    if (c->app.known)
        return;
    c->app.known = true;
    memcpy(c->app.digest, req->app_digest.data, MR_APP_DIGEST_LEN);
    coord__printable(req->app_path, c->app.path, sizeof(c->app.path));
}

void
coord__app_announce(const coord *c, Mr__JoinReply *reply)
{
    if (c->app.file == NULL)
        return;
    reply->app_name = c->app.named ? (char *)c->app.name : (char *)"";
    reply->app_abi = c->app.named ? c->app.abi : 0;
    reply->app_digest.data = (uint8_t *)c->app.digest;
    reply->app_digest.len = MR_APP_DIGEST_LEN;
    reply->app_size = c->app.file->size;
}

/* ---------------------------------------------------------------- GetApp */

void
coord__get_app(Mr__Coordinator_Service *service, const Mr__AppRequest *req,
               Mr__AppChunk_Closure closure, void *closure_data)
{
    coord *c = (coord *)service;
    uint64_t conn = rpc_call_conn_id(closure_data);
    Mr__AppChunk reply = MR__APP_CHUNK__INIT;
    const struct app_file *f = c->app.file;
    uint64_t at;
    size_t n;

    if (members_find(&c->members, conn) == NULL) {
        coord__log_refusal(c, conn, "a module request", "it did not join");
        rpc_call_fail(closure_data, -EPERM, "join the job first (Join)");
        return;
    }
    if (f == NULL) {
        rpc_call_fail(closure_data, -ENOENT, "this coordinator has no app "
                      "module to give: start workers with APP.so, or give "
                      "the coordinator --app PATH");
        return;
    }
    at = req->offset < f->size ? req->offset : f->size;
    n = f->size - at;
    if (n > req->max_bytes)
        n = req->max_bytes;
    if (n > MR_APP_PIECE_MAX)
        n = MR_APP_PIECE_MAX;
    reply.data.data = f->data + at;
    reply.data.len = n;
    reply.size = f->size;
    closure(&reply, closure_data);
}
