#!/usr/bin/env python3
# A Hadoop Streaming word count mapper: the words of wc.so (runs of
# letters), one "word TAB 1" line each.
import re
import sys

word = re.compile(rb"[A-Za-z]+")
out = sys.stdout.buffer
for line in sys.stdin.buffer:
    for w in word.findall(line):
        out.write(w + b"\t1\n")
