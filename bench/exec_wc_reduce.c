/* The word count's reducer as a stand-alone program for the
 * executable-app benchmark rows (make bench): reads sorted "word TAB
 * count" lines and writes "word TAB total" for each run of one word. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(void)
{
    char *line = NULL, *key = NULL;
    size_t cap = 0, keycap = 0, klen = 0;
    unsigned long long total = 0;
    int have = 0;
    ssize_t n;

    while ((n = getline(&line, &cap, stdin)) > 0) {
        char *tab = memchr(line, '\t', (size_t)n);
        size_t len = tab ? (size_t)(tab - line) : (size_t)n;
        unsigned long long v = tab ? strtoull(tab + 1, NULL, 10) : 0;

        if (!have || len != klen || memcmp(line, key, len) != 0) {
            if (have)
                printf("%.*s\t%llu\n", (int)klen, key, total);
            if (len + 1 > keycap) {
                keycap = 2 * (len + 1);
                if ((key = realloc(key, keycap)) == NULL)
                    return 1;
            }
            memcpy(key, line, len);
            klen = len;
            total = 0;
            have = 1;
        }
        total += v;
    }
    if (have)
        printf("%.*s\t%llu\n", (int)klen, key, total);
    free(line);
    free(key);
    return fflush(stdout) != 0 ? 1 : 0;
}
