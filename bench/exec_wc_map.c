/* The word count's mapper as a stand-alone program for the executable-app
 * benchmark rows (make bench): reads stdin, writes "word TAB 1" for every
 * run of ASCII letters, as wc.so splits ASCII text. Buffered by hand (one
 * read and one write a 64 KiB block), as a program written for speed
 * would be; a word of over 64 KiB is cut in pieces. */
#include <string.h>
#include <unistd.h>

static char in[1 << 16];
static char out[(1 << 16) + 4096];
static size_t out_len;

static int
is_letter(unsigned char c)
{
    return (unsigned char)((c | 0x20) - 'a') < 26;
}

static int
flush_out(void)
{
    size_t done = 0;

    while (done < out_len) {
        ssize_t n = write(1, out + done, out_len - done);
        if (n <= 0)
            return -1;
        done += (size_t)n;
    }
    out_len = 0;
    return 0;
}

/* Appends word[0..len) TAB 1 newline; a word longer than the buffer goes
 * out in pieces. */
static int
put_word(const char *word, size_t len)
{
    while (len + 3 > sizeof(out) - out_len) {
        size_t room = sizeof(out) - out_len;
        size_t n = len < room ? len : room;
        memcpy(out + out_len, word, n);
        out_len += n;
        word += n;
        len -= n;
        if (flush_out() < 0)
            return -1;
    }
    memcpy(out + out_len, word, len);
    memcpy(out + out_len + len, "\t1\n", 3);
    out_len += len + 3;
    return out_len >= (1 << 16) ? flush_out() : 0;
}

int
main(void)
{
    static char carry[1 << 16];         /* a word cut by a read */
    size_t carried = 0;
    ssize_t n;

    while ((n = read(0, in, sizeof(in))) > 0) {
        size_t i = 0, start;
        while (i < (size_t)n) {
            if (carried == 0)
                while (i < (size_t)n && !is_letter((unsigned char)in[i]))
                    i++;
            start = i;
            while (i < (size_t)n && is_letter((unsigned char)in[i]))
                i++;
            if (i == (size_t)n) {       /* the word may go on */
                if (carried + (i - start) > sizeof(carry)) {
                    if (put_word(carry, carried) < 0)
                        return 1;
                    carried = 0;
                }
                memcpy(carry + carried, in + start, i - start);
                carried += i - start;
                break;
            }
            if (carried > 0) {
                memcpy(carry + carried, in + start, i - start);
                if (put_word(carry, carried + (i - start)) < 0)
                    return 1;
                carried = 0;
            } else if (put_word(in + start, i - start) < 0) {
                return 1;
            }
        }
    }
    if (carried > 0 && put_word(carry, carried) < 0)
        return 1;
    return n < 0 || flush_out() < 0 ? 1 : 0;
}
