/* The status page's HTTP server: libmicrohttpd driven by the coordinator's
 * event loop (no thread of its own: the loop watches MHD's epoll descriptor
 * and keeps a timer at MHD's next deadline). It answers
 *
 *   GET /                   the page (status_page.html), which fetches
 *   GET /status.json        the job now: coord_status_build() rendered by
 *                           status_json(); ?tasks=N rows of the task table
 *                           (default STATUS_HTTP_DEFAULT_TASKS, at most
 *                           STATUS_HTTP_MAX_TASKS)
 *
 * HEAD as GET without the body; any other method 405, any other path 404.
 * On an address other than loopback every request must carry the page key
 * (status_access.h), else 401 (none given) or 403 (a wrong one), and
 * nothing else is told. Requests are bounded: STATUS_HTTP_MAX_CONNS
 * connections at once, STATUS_HTTP_CONN_MEMORY bytes each (a larger
 * request is refused and its connection closed), and a connection idle
 * STATUS_HTTP_IDLE_S seconds is closed, so that no client can slow the
 * job: the loop spends on a request what it takes to answer it. */
#ifndef COORD_STATUS_HTTP_H
#define COORD_STATUS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "coord.h"
#include "loop.h"
#include "mr_err.h"
#include "status_access.h"

#define STATUS_HTTP_DEFAULT_TASKS 1000
#define STATUS_HTTP_MAX_TASKS     10000
#define STATUS_HTTP_MAX_CONNS     16
#define STATUS_HTTP_CONN_MEMORY   (32u << 10)
#define STATUS_HTTP_IDLE_S        10

typedef struct status_http status_http;

/* Listens on addr and serves c's page on loop (lent: the server watches
 * and unwatches its own descriptors and timer, and never stops the loop).
 * c must outlive the server. secret (borrowed, secret_len bytes; NULL:
 * none) is the job's token: on an address other than loopback it is
 * required, and the page key derived from it. Writes the page's URL into
 * url (with ?token=KEY when the key is needed). Returns the server, or
 * NULL with err filled when the address is not loopback and there is no
 * secret, or listening or starting MHD failed. */
status_http *status_http_start(rpc_loop *loop, const coord *c,
                               const struct status_addr *addr,
                               const uint8_t *secret, size_t secret_len,
                               char *url, size_t urllen,
                               char err[MR_ERR_LEN]);

/* Closes every connection and the listening socket, and leaves the loop
 * as it found it. NULL is a no-op. */
void status_http_free(status_http *h);

#endif
