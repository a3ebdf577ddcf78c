/* Fetching, checking and loading the job's app module. See app_fetch.h. */
#define _GNU_SOURCE
#include "app_fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "exit_codes.h"
#include "file_digest.h"
#include "log.h"

/* Seals that make the memfd's bytes final. */
#define FINAL_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL)

void
app_fetch_identify(const struct app_module *mod, Mr__JoinRequest *req)
{
    if (mod == NULL) {
        req->fetch_app = true;
        return;
    }
    req->app_name = (char *)(mod->app->name ? mod->app->name : "");
    req->app_abi = mod->app->abi_version;
    req->app_digest.data = (uint8_t *)mod->digest;
    req->app_digest.len = sizeof(mod->digest);
    req->app_path = (char *)mod->path;
}

/* Writes all of data to fd. Returns 0 or -errno. */
static int
write_all(int fd, const uint8_t *data, size_t len)
{
    ssize_t n;

    while (len > 0) {
        n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* GetApp until size bytes, or the end, have arrived into fd; *got says
 * how many did. Returns 0, or an error with err filled. */
static int
fetch_pieces(rpc_client *c, int fd, uint64_t size, const char *shown,
             uint64_t *got, char err[MR_ERR_LEN])
{
    Mr__AppRequest req = MR__APP_REQUEST__INIT;
    Mr__AppChunk *piece;
    size_t n;
    int rc;

    for (*got = 0; *got < size; *got += n) {
        req.offset = *got;
        req.max_bytes = MR_APP_PIECE_MAX;
        piece = NULL;
        rc = rpc_client_call(c, &mr__coordinator__descriptor, "GetApp",
                             &req.base, (ProtobufCMessage **)&piece);
        if (rc != 0) {
            snprintf(err, MR_ERR_LEN, "cannot fetch %s: %s", shown,
                     rpc_client_errmsg(c));
            return rc;
        }
        n = piece->data.len;
        rc = write_all(fd, piece->data.data, n);
        mr__app_chunk__free_unpacked(piece, NULL);
        if (rc < 0) {
            snprintf(err, MR_ERR_LEN, "cannot keep %s in memory: %s", shown,
                     strerror(-rc));
            return rc;
        }
        if (n == 0)
            break;
    }
    return 0;
}

/* Whether the fd's bytes are the ones announced; fills err if not. */
static bool
is_announced(int fd, uint64_t got, const Mr__JoinReply *reply,
             const char *shown, char err[MR_ERR_LEN])
{
    uint8_t digest[MR_APP_DIGEST_LEN];
    char want_hex[2 * FILE_DIGEST_SHOWN + 1], got_hex[sizeof(want_hex)];
    int rc;

    if ((rc = file_digest_fd(fd, digest)) < 0) {
        snprintf(err, MR_ERR_LEN, "cannot read back %s: %s", shown,
                 strerror(-rc));
        return false;
    }
    if (got == reply->app_size &&
        memcmp(digest, reply->app_digest.data, MR_APP_DIGEST_LEN) == 0)
        return true;
    file_digest_hex(reply->app_digest.data, FILE_DIGEST_SHOWN, want_hex);
    file_digest_hex(digest, FILE_DIGEST_SHOWN, got_hex);
    snprintf(err, MR_ERR_LEN, "%s arrived as %llu bytes with blake2b "
             "%s..., and the coordinator announced %llu bytes with blake2b "
             "%s...: not loading it (the transfer went wrong, or this is not "
             "the coordinator you meant)", shown, (unsigned long long)got,
             got_hex, (unsigned long long)reply->app_size, want_hex);
    return false;
}

int
app_fetch(rpc_client *c, const Mr__JoinReply *reply, const char *from,
          struct app_module *m, char err[MR_ERR_LEN])
{
    char shown[PATH_MAX], path[64];
    uint64_t got;
    int fd, rc;

    memset(m, 0, sizeof(*m));
    snprintf(shown, sizeof(shown), "the job's module from %s", from);
    if (reply->app_digest.len != MR_APP_DIGEST_LEN || reply->app_size == 0 ||
        reply->app_size > MR_APP_MAX_SIZE) {
        snprintf(err, MR_ERR_LEN, "the coordinator at %s announced no "
                 "module of 1 byte to %u MiB to take: give the worker "
                 "APP.so", from, MR_APP_MAX_SIZE >> 20);
        return MR_EREFUSED;
    }
    fd = memfd_create("mr-app", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot keep %s in memory: memfd_create: "
                 "%s", shown, strerror(errno));
        return rc;
    }
    if ((rc = fetch_pieces(c, fd, reply->app_size, shown, &got, err)) < 0)
        goto out_close;
    if (fcntl(fd, F_ADD_SEALS, FINAL_SEALS) < 0) {
        rc = -errno;
        snprintf(err, MR_ERR_LEN, "cannot seal %s in memory: %s", shown,
                 strerror(errno));
        goto out_close;
    }
    if (!is_announced(fd, got, reply, shown, err)) {
        rc = MR_EREFUSED;
        goto out_close;
    }
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    if ((rc = app_load_as(path, shown, m, err)) == 0)
        mr_info("loaded app %s (%llu bytes) from %s",
                m->app->name ? m->app->name : "?", (unsigned long long)got,
                from);
out_close:
    close(fd);
    return rc;
}

int
app_fetch_status(int rc)
{
    switch (rc) {
    case MR_EREFUSED:
        return MR_EXIT_REFUSED;
    case MR_EBADAPP:
        return MR_EXIT_USAGE;
    case MR_ECONNLOST:
    case MR_ECONNECT:
        return MR_EXIT_LOST;
    }
    return MR_EXIT_FAILED;
}
