/* Fuzz target: arbitrary bytes sent to a real coordinator that has a
 * token, so that they meet the token exchange (rpc/auth.h) before anything
 * else. The harness is fuzz_coordinator.c's. */
#define FUZZ_WITH_TOKEN
#include "fuzz_coordinator.c"
