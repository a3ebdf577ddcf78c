#!/usr/bin/env python3
# A Hadoop Streaming word count reducer: sums the counts of each run of
# equal keys in its sorted "word TAB count" lines.
import sys

out = sys.stdout.buffer
current, total = None, 0
for line in sys.stdin.buffer:
    key, _, value = line.rstrip(b"\n").partition(b"\t")
    if key != current:
        if current is not None:
            out.write(current + b"\t" + str(total).encode() + b"\n")
        current, total = key, 0
    total += int(value)
if current is not None:
    out.write(current + b"\t" + str(total).encode() + b"\n")
