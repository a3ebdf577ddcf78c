/* The lab's mrapps/nocrash.go: the crash app's map and reduce without the
 * crashes, to produce the expected output for the crash test. */
#include "crashapp.h"
#include "mrapp.h"

MR_APP("nocrash", crashapp_map, crashapp_reduce, NULL);
