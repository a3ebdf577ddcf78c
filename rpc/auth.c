/* The mutual token exchange's proofs, with libsodium's HMAC-SHA256. See
 * auth.h. */
#include "auth.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

uint8_t *
rpc__auth_token_copy(const uint8_t *token, size_t len)
{
    uint8_t *copy;

    if (sodium_init() < 0 || (copy = malloc(len ? len : 1)) == NULL)
        return NULL;
    memcpy(copy, token, len);
    return copy;
}

void
rpc__auth_token_free(uint8_t *token, size_t len)
{
    if (token == NULL)
        return;
    sodium_memzero(token, len);
    free(token);
}

void
rpc__auth_nonce(uint8_t nonce[RPC_AUTH_NONCE_LEN])
{
    randombytes_buf(nonce, RPC_AUTH_NONCE_LEN);
}

void
rpc__auth_proof(const uint8_t *token, size_t token_len,
                enum rpc_auth_role role,
                const uint8_t client_nonce[RPC_AUTH_NONCE_LEN],
                const uint8_t server_nonce[RPC_AUTH_NONCE_LEN],
                uint8_t proof[RPC_AUTH_PROOF_LEN])
{
    static const char server_ctx[] = RPC_AUTH_CONTEXT " server";
    static const char client_ctx[] = RPC_AUTH_CONTEXT " client";
    bool server = role == RPC_AUTH_SERVER;
    crypto_auth_hmacsha256_state st;

    _Static_assert(sizeof(server_ctx) == sizeof(client_ctx),
                   "the two roles' contexts have one length");
    /* Each side signs its role, then the peer's nonce, then its own. */
    crypto_auth_hmacsha256_init(&st, token, token_len);
    crypto_auth_hmacsha256_update(&st,
                                  (const uint8_t *)(server ? server_ctx
                                                           : client_ctx),
                                  sizeof(server_ctx) - 1);
    crypto_auth_hmacsha256_update(&st, server ? client_nonce : server_nonce,
                                  RPC_AUTH_NONCE_LEN);
    crypto_auth_hmacsha256_update(&st, server ? server_nonce : client_nonce,
                                  RPC_AUTH_NONCE_LEN);
    crypto_auth_hmacsha256_final(&st, proof);
    sodium_memzero(&st, sizeof(st));
}

bool
rpc__auth_check(const uint8_t *token, size_t token_len,
                enum rpc_auth_role role,
                const uint8_t client_nonce[RPC_AUTH_NONCE_LEN],
                const uint8_t server_nonce[RPC_AUTH_NONCE_LEN],
                const uint8_t *proof, size_t len)
{
    uint8_t want[RPC_AUTH_PROOF_LEN];
    bool ok;

    if (len != RPC_AUTH_PROOF_LEN)
        return false;
    rpc__auth_proof(token, token_len, role, client_nonce, server_nonce,
                    want);
    ok = crypto_verify_32(want, proof) == 0;
    sodium_memzero(want, sizeof(want));
    return ok;
}
