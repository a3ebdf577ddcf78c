#!/usr/bin/env python3
# What bin_map.py and bin_reduce.py make of the files named, computed
# without the framework: "key value\n" per key, keys in byte order.
# Usage: bin_expect.py OUT FILE...
import sys

groups = {}
for path in sys.argv[2:]:
    with open(path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for line in lines:
        groups.setdefault(line[:3] + b"\n\x00\t", []).append(line)
with open(sys.argv[1], "wb") as out:
    for key in sorted(groups):
        vs = sorted(groups[key])
        out.write(key + b" " + b"%d\t" % len(vs) + b"\x00".join(vs) + b"\n")
