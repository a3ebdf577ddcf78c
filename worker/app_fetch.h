/* The job's app module for a worker started without one (mrworker --addr
 * ADDR): it joins saying so (fetch_app), then takes the module the
 * coordinator announced in its JoinReply (digest and size) by GetApp, in
 * pieces, into memory (a sealed memfd: no file to clean up, and bytes that
 * cannot change between their check and their load), checks size and
 * digest before any of it runs, and loads it with app_load_as. The digest
 * is the module's identity: the name and ABI are what loading says. */
#ifndef WORKER_APP_FETCH_H
#define WORKER_APP_FETCH_H

#include "app.h"
#include "mr.pb-c.h"
#include "mr_err.h"
#include "rpc.h"

/* Fills the app_* fields of a Join request from mod (they point into it),
 * or sets fetch_app when mod is NULL (the worker brings no module). */
void app_fetch_identify(const struct app_module *mod, Mr__JoinRequest *req);

/* Fetches over c the module that reply (an accepted Join's) announced and
 * loads it into m, which names it "the job's module from <from>". Returns
 * 0 with m loaded (the caller unloads it: app_unload), or an error with
 * err filled:
 *   MR_EREFUSED  the reply announced no module or one too large
 *                (MR_APP_MAX_SIZE), or what arrived is not what it
 *                announced: another size or digest (err names both)
 *   MR_EBADAPP   the module does not load here (err has dlerror())
 *   -errno       memory for it could not be had (memfd_create, write)
 *   a GetApp's error (rpc_client_call: MR_ECONNLOST, MR_EREMOTE ...) */
int app_fetch(rpc_client *c, const Mr__JoinReply *reply, const char *from,
              struct app_module *m, char err[MR_ERR_LEN]);

/* The worker's exit status (exit_codes.h) after app_fetch failed with rc:
 * MR_EXIT_REFUSED for another module than announced, MR_EXIT_USAGE for
 * one that does not load, MR_EXIT_LOST for a lost coordinator, else
 * MR_EXIT_FAILED. */
int app_fetch_status(int rc);

#endif
