/* Writing the few JSON documents the system writes (the success marker):
 * strings escaped as RFC 8259 asks, so that any file name makes valid
 * JSON. */
#ifndef MR_JSON_H
#define MR_JSON_H

#include <stdio.h>

/* Writes s as a JSON string, quotes included: '"', '\\' and control bytes
 * escaped, bytes that are not valid UTF-8 written as U+FFFD. */
void json_string(FILE *out, const char *s);

#endif
