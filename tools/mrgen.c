/* mrgen: writes deterministic generated text files, the default input of
 * mrrun and the input of the tests and benchmarks. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "corpus.h"

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"size", required_argument, NULL, 's'},
        {"seed", required_argument, NULL, 'r'},
        {"ascii", no_argument, NULL, 'A'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    unsigned long long size = 1 << 20;
    unsigned long seed = 1;
    bool ascii = false;
    char err[MR_ERR_LEN];
    int opt;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 's':
            if (cli_parse_size("--size", optarg, &size, err) < 0)
                goto bad;
            break;
        case 'r':
            if (cli_parse_uint("--seed", optarg, 0, ~0ul >> 1, &seed,
                               err) < 0)
                goto bad;
            break;
        case 'A':
            ascii = true;
            break;
        case 'h':
            printf("usage: mrgen [--size BYTES] [--seed N] [--ascii] "
                   "FILE...\n\n"
                   "Writes BYTES (default 1M; a K, M or G suffix counts "
                   "1024s) of generated\ntext to each FILE, whole words "
                   "ending with a newline; the i-th file uses\nseed N+i, "
                   "so output is the same every run. --ascii leaves out the "
                   "few\nnon-ASCII words.\n\nExit status: 0 written, 1 a "
                   "file could not be written, 2 a usage error.\n");
            return 0;
        default:
            cli_bad_option("mrgen", argv, optind, optopt);
            return 2;
        }
    }
    if (optind == argc) {
        fprintf(stderr, "mrgen: no output files; see 'mrgen --help'\n");
        return 2;
    }
    for (int i = optind; i < argc; i++)
        if (corpus_write_file(argv[i], size,
                              seed + (unsigned long)(i - optind), ascii,
                              err) < 0) {
            fprintf(stderr, "mrgen: %s\n", err);
            return 1;
        }
    return 0;
bad:
    fprintf(stderr, "mrgen: %s\n", err);
    return 2;
}
