/* The word count's mapper as a stand-alone program for the executable-app
 * benchmark rows (make bench): reads stdin, writes "word TAB 1" for every
 * run of ASCII letters, as wc.so splits ASCII text. */
#include <stdio.h>

static int
is_letter(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

int
main(void)
{
    static char in[1 << 16];
    static char out[1 << 16];
    size_t n;
    int in_word = 0;

    setvbuf(stdout, out, _IOFBF, sizeof(out));
    while ((n = fread(in, 1, sizeof(in), stdin)) > 0) {
        for (size_t i = 0; i < n; i++) {
            if (is_letter((unsigned char)in[i])) {
                putchar_unlocked(in[i]);
                in_word = 1;
            } else if (in_word) {
                fputs("\t1\n", stdout);
                in_word = 0;
            }
        }
    }
    if (in_word)
        fputs("\t1\n", stdout);
    return ferror(stdin) || fflush(stdout) != 0 ? 1 : 0;
}
