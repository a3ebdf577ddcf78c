/* Messages and names for the project's error codes. */
#include "mr_err.h"

#include <string.h>

const char *
mr_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
#define MR_ERR_MSG(name, code, msg) case code: return msg;
    MR_ERR_MAP(MR_ERR_MSG)
#undef MR_ERR_MSG
    }
    if (err < 0 && err > -4096)
        return strerror(-err);
    return "unknown error";
}

const char *
mr_err_name(int err)
{
    switch (err) {
#define MR_ERR_NAME(name, code, msg) case code: return #name;
    MR_ERR_MAP(MR_ERR_NAME)
#undef MR_ERR_NAME
    }
    return NULL;
}
