#!/usr/bin/env python3
"""Word count reducer in the framed protocol: one (word, total) record
per group; the output line is "word total"."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mrframed import read_groups, write_record  # noqa: E402

for word, counts in read_groups():
    write_record(word, str(sum(int(c) for c in counts)))
