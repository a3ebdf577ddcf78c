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
 *
 * Who may read it. On loopback no key is needed, but a request must call
 * the page by a loopback name (status_host_is_loopback(): 127.x.x.x,
 * [::1], localhost, or the host --http named) in its Host header, else
 * 421: a web page the user visits could otherwise rebind its own name to
 * 127.0.0.1 and read the job's facts as its own. On any other address
 * every request must carry the page key (status_access.h), else 401 (none
 * given) or 403 (a wrong one), and nothing else is told; there the Host
 * is not checked, since people reach a machine by names we cannot know,
 * and a rebinding page has no key (a browser never adds it by itself: it
 * is no cookie).
 *
 * What the limits protect. At most STATUS_HTTP_MAX_CONNS connections at
 * once, STATUS_HTTP_MAX_CONNS_PER_IP of them from one address
 * (STATUS_HTTP_MAX_CONNS_PER_LOOPBACK_IP on loopback; MHD closes
 * the others as it accepts them); STATUS_HTTP_CONN_MEMORY bytes each (a
 * larger request is refused and its connection closed); a connection
 * idle STATUS_HTTP_IDLE_S seconds is closed. The key is checked only once
 * a request's headers are in, so without the per-address limit any host
 * that reaches the page could hold every slot with requests it never
 * finishes, renewed before the idle timeout, and keep the page from those
 * who have the key; now it takes STATUS_HTTP_MAX_CONNS /
 * STATUS_HTTP_MAX_CONNS_PER_IP addresses (harder, not impossible: an IPv6
 * host may have many; on loopback every local user is a client and every
 * 127.x.x.x address a source, so there the limit guards against accidents
 * only). The limits protect the page, not the job, which no page client
 * can stall: the page has its own socket and its own slots, apart from
 * the workers' RPC connections, so a full page turns no worker away; and
 * the loop does a page's work only when its socket is ready, a bounded
 * amount each time (reading at most STATUS_HTTP_CONN_MEMORY bytes,
 * building one status document), never waiting on a slow client. A client
 * sending requests as fast as it can does make the loop work for each (for
 * one without the key, a hash), as on any socket: it shares the loop, but
 * cannot hold it. */
#ifndef COORD_STATUS_HTTP_H
#define COORD_STATUS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "coord.h"
#include "loop.h"
#include "mr_err.h"
#include "status_access.h"

#define STATUS_HTTP_DEFAULT_TASKS 1000
#define STATUS_HTTP_MAX_TASKS     COORD_STATUS_MAX_TASKS
#define STATUS_HTTP_MAX_CONNS     16
#define STATUS_HTTP_MAX_CONNS_PER_IP 4
/* On loopback, where every local browser tab and tool shares 127.0.0.1
 * and the limit guards against accidents only. */
#define STATUS_HTTP_MAX_CONNS_PER_LOOPBACK_IP 8
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
