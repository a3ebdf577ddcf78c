/* The shared-token exchange that opens a connection to a server started
 * with a token, before any request is served: each side proves to the
 * other that it knows the token. Internal to rpc/.
 *
 *   client                                server
 *   AUTH, client nonce (32)       ->
 *                                 <-      AUTH, server nonce (32) ||
 *                                         proof(SERVER)
 *                                         (empty: no token needed)
 *   checks proof(SERVER); if wrong,
 *   closes: MR_EAUTH
 *   AUTH, proof(CLIENT)           ->
 *                                 <-      AUTH, status 0: accepted
 *                                         AUTH, status MR_EAUTH and a
 *                                         message, then close: refused
 *
 *   proof(SERVER) = HMAC-SHA256(token, RPC_AUTH_CONTEXT " server" ||
 *                                      client nonce || server nonce)
 *   proof(CLIENT) = HMAC-SHA256(token, RPC_AUTH_CONTEXT " client" ||
 *                                      server nonce || client nonce)
 *
 * The role in the HMAC input keeps a proof made by one side from being
 * reflected back as the other's; each side's fresh nonce makes a recorded
 * proof useless on the next connection.
 *
 * What the token protects: the token itself never crosses the wire, a
 * stranger cannot issue requests, and a client does not talk to a server
 * that cannot prove the token. What it does not: nothing is encrypted or
 * authenticated after the exchange. A passive observer sees all traffic,
 * and an active one in the middle (or a peer that can reach a real server
 * and relay an exchange to it) can take over a connection once it is
 * open. Across a network you do not control, use a private network or a
 * tunnel (ssh -L, WireGuard) as well. HMAC and randomness are
 * libsodium's. */
#ifndef RPC_AUTH_H
#define RPC_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RPC_AUTH_NONCE_LEN 32
#define RPC_AUTH_PROOF_LEN 32
#define RPC_AUTH_CONTEXT   "mr-rpc-auth-v2"
/* No frame of the exchange is longer; a server refuses longer frames from
 * a peer that has not finished it, and a client longer answers. */
#define RPC_AUTH_MAX_FRAME 1024

/* Which side of the exchange a proof speaks for. */
enum rpc_auth_role {
    RPC_AUTH_CLIENT,
    RPC_AUTH_SERVER,
};

/* A copy of token for a client or server to keep (initializing libsodium
 * first); NULL when that fails. Free it with rpc__auth_token_free. */
uint8_t *rpc__auth_token_copy(const uint8_t *token, size_t len);

/* Overwrites and frees a copy; NULL is a no-op. */
void rpc__auth_token_free(uint8_t *token, size_t len);

/* Fills nonce with fresh random bytes. */
void rpc__auth_nonce(uint8_t nonce[RPC_AUTH_NONCE_LEN]);

/* The proof that role knows token, for the connection whose nonces these
 * are (the diagram above). */
void rpc__auth_proof(const uint8_t *token, size_t token_len,
                     enum rpc_auth_role role,
                     const uint8_t client_nonce[RPC_AUTH_NONCE_LEN],
                     const uint8_t server_nonce[RPC_AUTH_NONCE_LEN],
                     uint8_t proof[RPC_AUTH_PROOF_LEN]);

/* proof[0..len) is role's proof for these nonces under token; compared in
 * constant time. */
bool rpc__auth_check(const uint8_t *token, size_t token_len,
                     enum rpc_auth_role role,
                     const uint8_t client_nonce[RPC_AUTH_NONCE_LEN],
                     const uint8_t server_nonce[RPC_AUTH_NONCE_LEN],
                     const uint8_t *proof, size_t len);

#endif
