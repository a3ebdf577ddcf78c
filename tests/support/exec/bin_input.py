#!/usr/bin/env python3
# Writes FILE: N lines of random bytes, tabs, NULs and CRs among them, but
# no newline inside a line; the same every run for a seed.
# Usage: bin_input.py FILE N SEED
import random
import sys

rng = random.Random(int(sys.argv[3]))
alphabet = b"ab\t\x00\r\xff"
with open(sys.argv[1], "wb") as out:
    for _ in range(int(sys.argv[2])):
        n = rng.randrange(0, 40)
        out.write(bytes(rng.choice(alphabet) for _ in range(n)) + b"\n")
