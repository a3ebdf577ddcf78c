/* Text from a peer or an app made fit for a log line or a terminal:
 * control characters (and DEL) become '?', so that it cannot move the
 * cursor, clear the screen or forge a line. */
#ifndef MR_PRINTABLE_H
#define MR_PRINTABLE_H

#include <stddef.h>

/* Whether byte c is shown as it is. */
static inline int
printable_byte(unsigned char c)
{
    return c >= 0x20 && c != 0x7f;
}

/* Copies text (NULL: "") into buf (len bytes, at least 1), each byte that
 * is not printable_byte() as '?', cut to fit. Returns buf. */
static inline const char *
printable_copy(const char *text, char *buf, size_t len)
{
    size_t i;

    for (i = 0; text != NULL && text[i] != '\0' && i + 1 < len; i++)
        buf[i] = printable_byte((unsigned char)text[i]) ? text[i] : '?';
    buf[i] = '\0';
    return buf;
}

#endif
