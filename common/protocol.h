/* What a coordinator and its workers must agree on beyond proto/mr.proto:
 * the version of the conversation, and how an app module is identified. */
#ifndef MR_PROTOCOL_H
#define MR_PROTOCOL_H

/* Bumped when a worker and a coordinator of different builds could
 * misunderstand each other; a worker of another version is refused. */
#define MR_PROTOCOL_VERSION 3

/* An app module is identified by its name, ABI version and the
 * BLAKE2b-256 digest of its file. */
#define MR_APP_DIGEST_LEN 32

/* A worker started without a module fetches the job's (GetApp) in pieces
 * of at most this many bytes: well under a frame (RPC_DEFAULT_MAX_FRAME). */
#define MR_APP_PIECE_MAX (512u << 10)
/* The largest module a coordinator serves and a worker fetches. */
#define MR_APP_MAX_SIZE (256u << 20)

#endif
