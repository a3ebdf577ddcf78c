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

/* Writes n bytes into buf (len bytes, at least 1) as text that shows
 * every byte: printable_byte()s as they are but for '\\', which doubles,
 * and the others, bytes of 0x80 and above too, as \xNN; cut to fit at a
 * byte's end. Returns buf. For a record's first bytes: a person sees what
 * they were, whatever they were. */
static inline const char *
printable_escape(const void *bytes, size_t n, char *buf, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *b = bytes;
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = b[i];
        size_t need = c == '\\' ? 2 : printable_byte(c) && c < 0x80 ? 1 : 4;
        if (k + need + 1 > len)
            break;
        if (need == 1) {
            buf[k++] = (char)c;
        } else if (need == 2) {
            buf[k++] = '\\';
            buf[k++] = '\\';
        } else {
            buf[k++] = '\\';
            buf[k++] = 'x';
            buf[k++] = hex[c >> 4];
            buf[k++] = hex[c & 15];
        }
    }
    buf[k] = '\0';
    return buf;
}

#endif
