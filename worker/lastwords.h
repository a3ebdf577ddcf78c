/* A worker's last words: when the app kills the process with a fatal
 * signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGSYS, SIGTRAP) while
 * a task runs, a report saying which task and which signal goes to the
 * coordinator before the process dies of that signal, so that a task that
 * crashes every worker counts as failing, and the job's failure can name
 * the signal, and the record the app had in hand (record_in_hand.h),
 * which --skip-bad-records skips. The report is packed before the app
 * runs; the handler takes what is still on its way to stderr into the
 * ring and appends the task's last lines there to the report
 * (stderr_capture_dying(), async-signal-safe, and
 * rpc_client_frame_append()), appends the record in hand the same way
 * (pack_record_field()), write()s it, then forwards those bytes to
 * stderr as far as it takes them without waiting
 * (stderr_capture_dying_forward(): a paused terminal or a pipe nobody
 * reads does not keep a worker from dying) and re-raises the signal:
 * an exception to STYLE's rule that handlers only set a flag, since
 * nothing runs after a fatal signal to see one. Threads the app starts
 * have no alternate stack: a stack overflow in one of them dies without a
 * report.
 *
 * The heartbeat thread (heartbeat.h) writes on the same connection while
 * the app runs, and the handler cannot take the client's write lock (a
 * handler must not wait for a lock its own process may hold for good).
 * Instead each side writes its frame whole in one call: a beat is one
 * send() of under RPC_NOTIFY_MAX bytes, the report one write() of under
 * 3 KiB, and the kernel keeps each such write of a stream socket together
 * (a Unix socket queues it as one buffer, TCP under the socket's lock).
 * What remains: with the socket's buffer full (a coordinator that does
 * not read), the report goes in parts and a beat may land between them;
 * the coordinator then closes the connection on a garbled frame and
 * counts the attempt as lost rather than failed. A fatal signal sent from
 * outside while the main thread writes a frame of its own (not while the
 * app runs) garbles the stream the same way. */
#ifndef WORKER_LASTWORDS_H
#define WORKER_LASTWORDS_H

#include "mr.pb-c.h"
#include "rpc.h"

/* Installs the handlers (on an alternate stack, so that a stack overflow is
 * reported too). Call once. Returns 0 or -errno. */
int lastwords_init(void);

/* From now until lastwords_disarm(), a fatal signal sends a failed report
 * of the task in rep (kind, id, attempt) on c's connection, with the
 * task's stderr tail (stderr_capture.h: since its last mark). rep is read
 * now, not kept. */
void lastwords_arm(rpc_client *c, const Mr__TaskReport *rep);
void lastwords_disarm(void);

/* For a map whose app died of signal signo outside this process (an
 * executable the worker feeds lines): sets rep->signal and, when a record
 * is in hand (record_in_hand.h: call before its clear), rep->bad_record
 * to it, in *room, as this process's own last words would, so that
 * --skip-bad-records can skip it. The record's bytes are borrowed until
 * the next record_in_hand_set() or clear. */
void lastwords_blame_record(Mr__TaskReport *rep, Mr__BadRecord *room,
                            int signo);

#endif
