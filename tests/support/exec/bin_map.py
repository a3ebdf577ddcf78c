#!/usr/bin/env python3
# A framed mapper whose keys hold tabs, newlines and NUL bytes: for each
# input line, the key is its first 3 bytes, a newline, a NUL and a tab;
# the value is the whole line (any bytes but a newline).
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "examples", "streaming"))
from mrframed import read_records, write_record  # noqa: E402

for _offset, line in read_records():
    write_record(line[:3] + b"\n\x00\t", line)
