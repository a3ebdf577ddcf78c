/* One error space for the whole project: 0 is success, a negative value is
 * either -errno or one of the MR_E* codes below, and mr_strerror() names it. */
#ifndef MR_ERR_H
#define MR_ERR_H

/* Room for a sentence a person can act on; filled by set-up calls. */
#define MR_ERR_LEN 256

/* Project codes. Appended, never renumbered: they travel in RPC replies. */
#define MR_ERR_MAP(X)                                                        \
    X(ECONNECT,   -1001, "could not connect")                               \
    X(ETIMEDOUT,  -1002, "timed out")                                       \
    X(ECONNLOST,  -1003, "connection lost during the call")                 \
    X(EREMOTE,    -1004, "the server answered with an error")               \
    X(EBADREPLY,  -1005, "bad reply from the server")                       \
    X(ETOOBIG,    -1006, "frame larger than the maximum size")              \
    X(EBADVER,    -1007, "unknown protocol version")                        \
    X(EBADMETHOD, -1008, "unknown method")                                  \
    X(EBADMSG,    -1009, "payload does not unpack")                         \
    X(EBADFRAME,  -1010, "malformed frame")                                 \
    X(EBADADDR,   -1011, "bad address")                                     \
    X(EHANDLER,   -1012, "the handler failed")                              \
    X(ESHUTDOWN,  -1013, "server shutting down")                            \
    X(EBADAPP,    -1014, "not a valid app module")                          \
    X(EAPP,       -1015, "the app reported a failure")                      \
    X(EBADDATA,   -1016, "corrupt intermediate data")                       \
    X(ESTALE,     -1017, "task was reassigned or already done")          \
    X(EAUTH,      -1018, "authentication failed")                         \
    X(EINUSE,     -1019, "the directory is in use by another job")        \
    X(EREFUSED,   -1020, "the coordinator refused this worker")         \
    X(EFETCH,     -1021, "could not fetch data from the worker holding it") \
    X(EOTHERJOB,  -1022, "the directory holds another job's journal")

enum mr_err {
#define MR_ERR_ENUM(name, code, msg) MR_##name = (code),
    MR_ERR_MAP(MR_ERR_ENUM)
#undef MR_ERR_ENUM
};

/* Returns a static message for err: a project code's text, strerror(-err)
 * for a negative errno, "success" for 0. Never NULL. */
const char *mr_strerror(int err);

/* Returns the code's name ("ETIMEDOUT") for project codes, NULL otherwise. */
const char *mr_err_name(int err);

#endif
