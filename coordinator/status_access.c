/* The status page's address and key. See status_access.h. */
#define _GNU_SOURCE
#include "status_access.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What the key is derived for: another use of the secret never yields it. */
static const char KEY_DOMAIN[] = "mapreduce status page key v1";

/* ---------------------------------------------------------------- address */

static bool
is_loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        const uint8_t *b = in6->sin6_addr.s6_addr;

        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
            return true;
        return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && b[12] == 127;
    }
    return false;
}

/* Splits text into host and port (both NUL-terminated, in the caller's
 * buffers). Returns 0 or -EINVAL with err filled. */
static int
split_host_port(const char *text, char *host, size_t hostlen,
                unsigned long *port, char err[MR_ERR_LEN])
{
    const char *colon, *p;
    char *end;
    size_t n;

    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (close == NULL || close[1] != ':') {
            snprintf(err, MR_ERR_LEN, "--http '%s': write an IPv6 address "
                     "as [ADDRESS]:PORT", text);
            return -EINVAL;
        }
        p = text + 1;
        n = (size_t)(close - p);
        colon = close + 1;
    } else {
        colon = strrchr(text, ':');
        if (colon == NULL) {
            snprintf(err, MR_ERR_LEN, "--http '%s' wants HOST:PORT, e.g. "
                     "127.0.0.1:0 (port 0: any free port)", text);
            return -EINVAL;
        }
        p = text;
        n = (size_t)(colon - text);
        if (memchr(p, ':', n) != NULL) {
            snprintf(err, MR_ERR_LEN, "--http '%s': write an IPv6 address "
                     "in brackets, e.g. [::1]:0", text);
            return -EINVAL;
        }
    }
    if (n >= hostlen) {
        snprintf(err, MR_ERR_LEN, "--http '%s': the host is too long", text);
        return -EINVAL;
    }
    memcpy(host, p, n);
    host[n] = '\0';
    errno = 0;
    *port = strtoul(colon + 1, &end, 10);
    if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno != 0 ||
        *port > 65535) {
        snprintf(err, MR_ERR_LEN, "--http '%s': the port must be a number "
                 "from 0 to 65535 (0: any free port)", text);
        return -EINVAL;
    }
    return 0;
}

int
status_addr_parse(const char *text, struct status_addr *a,
                  char err[MR_ERR_LEN])
{
    struct addrinfo hints = {0}, *res = NULL;
    char host[256];
    unsigned long port;
    int rc;

    memset(a, 0, sizeof(*a));
    if ((rc = split_host_port(text, host, sizeof(host), &port, err)) < 0)
        return rc;
    if (host[0] == '\0')
        snprintf(host, sizeof(host), "127.0.0.1");
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0) {
        snprintf(err, MR_ERR_LEN, "--http '%s': cannot resolve %s: %s", text,
                 host, gai_strerror(rc));
        return -EINVAL;
    }
    if (res->ai_addrlen > sizeof(a->sa)) {
        freeaddrinfo(res);
        snprintf(err, MR_ERR_LEN, "--http '%s': an address of an unknown "
                 "kind", text);
        return -EINVAL;
    }
    memcpy(&a->sa, res->ai_addr, res->ai_addrlen);
    a->salen = (socklen_t)res->ai_addrlen;
    freeaddrinfo(res);
    if (a->sa.ss_family == AF_INET)
        ((struct sockaddr_in *)&a->sa)->sin_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in6 *)&a->sa)->sin6_port = htons((uint16_t)port);
    a->loopback = is_loopback(&a->sa);
    snprintf(a->name, sizeof(a->name), "%s", host);
    return 0;
}

/* ":PORT" with 1 to 5 digits. */
static bool
is_port_suffix(const char *s)
{
    size_t n = strspn(s + 1, "0123456789");

    return s[0] == ':' && n >= 1 && n <= 5 && s[1 + n] == '\0';
}

bool
status_host_is_loopback(const char *host, const char *name)
{
    const char *end, *rest;
    struct in6_addr in6;
    struct in_addr in4;
    char h[256];
    bool bracketed = host[0] == '[';
    size_t n;

    if (bracketed) {
        host++;
        if ((end = strchr(host, ']')) == NULL)
            return false;
        rest = end + 1;
    } else {
        end = host + strcspn(host, ":");
        rest = end;
    }
    n = (size_t)(end - host);
    if (n == 0 || n >= sizeof(h) || (*rest != '\0' && !is_port_suffix(rest)))
        return false;
    memcpy(h, host, n);
    h[n] = '\0';
    if (bracketed)
        return inet_pton(AF_INET6, h, &in6) == 1 &&
               IN6_IS_ADDR_LOOPBACK(&in6);
    if (strcasecmp(h, "localhost") == 0)
        return true;
    if (inet_pton(AF_INET, h, &in4) == 1)
        return (ntohl(in4.s_addr) >> 24) == 127;
    return name != NULL && name[0] != '\0' && strcasecmp(h, name) == 0;
}

void
status_addr_format(const struct sockaddr_storage *ss, char *out,
                   size_t outlen)
{
    char host[INET6_ADDRSTRLEN] = "?";

    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        snprintf(out, outlen, "[%s]:%u", host, ntohs(in6->sin6_port));
    } else {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        snprintf(out, outlen, "%s:%u", host, ntohs(in->sin_port));
    }
}

/* ---------------------------------------------------------------- key */

int
status_key_init(struct status_key *k, const uint8_t *secret, size_t len,
                bool required)
{
    crypto_generichash_state st;
    uint8_t key[32];

    memset(k, 0, sizeof(*k));
    k->required = required;
    if (secret == NULL || len == 0)
        return 0;
    if (sodium_init() < 0)
        return -EIO;
    crypto_generichash_init(&st, NULL, 0, sizeof(key));
    crypto_generichash_update(&st, (const uint8_t *)KEY_DOMAIN,
                              sizeof(KEY_DOMAIN));
    crypto_generichash_update(&st, secret, len);
    crypto_generichash_final(&st, key, sizeof(key));
    sodium_bin2hex(k->hex, sizeof(k->hex), key, sizeof(key));
    crypto_generichash(k->hash, sizeof(k->hash), (const uint8_t *)k->hex,
                       STATUS_KEY_HEX_LEN, NULL, 0);
    sodium_memzero(key, sizeof(key));
    sodium_memzero(&st, sizeof(st));
    return 0;
}

/* The key of an "Authorization: Bearer KEY" header, or NULL. */
static const char *
bearer(const char *authorization)
{
    if (authorization == NULL || strncasecmp(authorization, "Bearer ", 7))
        return NULL;
    authorization += 7;
    while (*authorization == ' ')
        authorization++;
    return authorization;
}

enum status_verdict
status_key_check(const struct status_key *k, const char *authorization,
                 const char *token_arg)
{
    const char *given = bearer(authorization);
    uint8_t hash[32];

    if (!k->required)
        return STATUS_SERVE;
    if (given == NULL)
        given = token_arg;
    if (given == NULL || given[0] == '\0')
        return STATUS_NO_KEY;
    /* Hashes of equal length compared in constant time: neither the key's
     * bytes nor its length leak through timing. */
    crypto_generichash(hash, sizeof(hash), (const uint8_t *)given,
                       strlen(given), NULL, 0);
    return sodium_memcmp(hash, k->hash, sizeof(hash)) == 0 ? STATUS_SERVE
                                                          : STATUS_WRONG_KEY;
}

void
status_key_forget(struct status_key *k)
{
    sodium_memzero(k, sizeof(*k));
}
