/* The shared-token challenge-response that opens a connection to a server
 * started with a token, before any request is served. Internal to rpc/.
 *
 *   client                                server
 *   AUTH, empty payload           ->
 *                                 <-      AUTH, 32-byte nonce
 *                                         (empty: no token needed)
 *   AUTH, HMAC-SHA256(token,
 *         RPC_AUTH_CONTEXT nonce) ->
 *                                 <-      AUTH, status 0: accepted
 *                                         AUTH, status MR_EAUTH and a
 *                                         message, then close: refused
 *
 * The token never crosses the wire and a recorded proof is useless against
 * the next nonce. It keeps strangers from issuing RPCs; it does not hide
 * or protect the traffic itself. HMAC and randomness are libsodium's. */
#ifndef RPC_AUTH_H
#define RPC_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RPC_AUTH_NONCE_LEN 32
#define RPC_AUTH_PROOF_LEN 32
#define RPC_AUTH_CONTEXT   "mr-rpc-auth-v1"
/* No frame of the exchange is longer; a server refuses longer frames from
 * a peer that has not finished it, and a client longer answers. */
#define RPC_AUTH_MAX_FRAME 1024

/* A copy of token for a client or server to keep (initializing libsodium
 * first); NULL when that fails. Free it with rpc__auth_token_free. */
uint8_t *rpc__auth_token_copy(const uint8_t *token, size_t len);

/* Overwrites and frees a copy; NULL is a no-op. */
void rpc__auth_token_free(uint8_t *token, size_t len);

/* Fills nonce with fresh random bytes. */
void rpc__auth_nonce(uint8_t nonce[RPC_AUTH_NONCE_LEN]);

/* The proof for nonce under token. */
void rpc__auth_proof(const uint8_t *token, size_t token_len,
                     const uint8_t nonce[RPC_AUTH_NONCE_LEN],
                     uint8_t proof[RPC_AUTH_PROOF_LEN]);

/* proof[0..len) is the proof for nonce under token; in constant time. */
bool rpc__auth_check(const uint8_t *token, size_t token_len,
                     const uint8_t nonce[RPC_AUTH_NONCE_LEN],
                     const uint8_t *proof, size_t len);

#endif
