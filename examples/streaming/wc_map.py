#!/usr/bin/env python3
"""Word count mapper in the framed protocol: one (word, "1") record per
word of each input line. Run: mrrun --framed --mapper 'python3
wc_map.py' --reducer 'python3 wc_reduce.py' FILE..."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mrframed import read_records, write_record  # noqa: E402

WORD = re.compile(rb"[A-Za-z]+")
for _offset, line in read_records():
    for word in WORD.findall(line):
        write_record(word, b"1")
