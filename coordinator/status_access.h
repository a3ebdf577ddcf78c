/* Who may see the status page: the address it listens on (--http
 * HOST:PORT), loopback or not; the page key a request must carry when it
 * is not loopback; and, when it is, the names a request may call it by.
 *
 * The page key is derived from the job's secret (--token-file) by a
 * one-way hash, so that it opens the page and nothing else: a worker cannot
 * join the job with it, and the secret itself never travels over HTTP
 * (plain text). A request carries the key as `Authorization: Bearer KEY`
 * or as `?token=KEY` in its URL (the one the coordinator prints). */
#ifndef COORD_STATUS_ACCESS_H
#define COORD_STATUS_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "mr_err.h"

/* Hex digits of a page key (a 256-bit hash), without the NUL. */
#define STATUS_KEY_HEX_LEN 64

struct status_addr {
    struct sockaddr_storage sa; /* the address to bind, port included */
    socklen_t salen;
    bool loopback;              /* 127.0.0.0/8 or ::1: no key needed */
    char name[256];             /* the host as --http wrote it */
};

/* Parses HOST:PORT: an IPv4 address or host name ("127.0.0.1:8080",
 * "localhost:0"), an IPv6 address in brackets ("[::1]:0"), or ":PORT" for
 * 127.0.0.1. Port 0 lets the kernel pick one. Host names are resolved now
 * (the first address wins). Returns 0, or -EINVAL with err saying what is
 * wrong (naming --http). */
int status_addr_parse(const char *text, struct status_addr *a,
                      char err[MR_ERR_LEN]);

/* Writes "HOST:PORT" of a bound address, IPv6 in brackets. */
void status_addr_format(const struct sockaddr_storage *ss, char *out,
                        size_t outlen);

/* Whether a request's Host header names a page on loopback: "localhost",
 * an IPv4 address in 127.0.0.0/8, the IPv6 loopback in brackets ("[::1]"),
 * or name (the host given to --http, which resolved to loopback; NULL or
 * "": none), each with or without ":PORT"; case does not matter. A page
 * without a key serves only these: a web page the user visits can rebind
 * its own host name to 127.0.0.1 (DNS rebinding) and have the browser
 * fetch the page as its own, but the browser then sends that name. */
bool status_host_is_loopback(const char *host, const char *name);

/* The page key, and whether requests must carry it. */
struct status_key {
    bool required;              /* false: every request is served */
    char hex[STATUS_KEY_HEX_LEN + 1];   /* the key, as requests carry it */
    uint8_t hash[32];           /* BLAKE2b of hex, for the comparison */
};

/* Derives the key from secret (len bytes; NULL or 0 bytes: no key, and
 * required must be false). Returns 0, or -EIO when libsodium cannot start. */
int status_key_init(struct status_key *k, const uint8_t *secret, size_t len,
                     bool required);

enum status_verdict {
    STATUS_SERVE,               /* no key needed, or the right one given */
    STATUS_NO_KEY,              /* a key is needed and none was given: 401 */
    STATUS_WRONG_KEY,           /* the one given is not the key: 403 */
};

/* Judges a request by its Authorization header and its ?token= argument
 * (each NULL when absent); a Bearer key wins over the argument. The
 * comparison takes the same time whatever the key given. */
enum status_verdict status_key_check(const struct status_key *k,
                                     const char *authorization,
                                     const char *token_arg);

/* Overwrites the key. */
void status_key_forget(struct status_key *k);

#endif
