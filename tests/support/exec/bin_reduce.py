#!/usr/bin/env python3
# The framed reducer of bin_map.py: for each key, the number of its values,
# a tab, and the values sorted and joined by NUL bytes.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "examples", "streaming"))
from mrframed import read_groups, write_record  # noqa: E402

for key, values in read_groups():
    vs = sorted(values)
    write_record(key, b"%d\t" % len(vs) + b"\x00".join(vs))
