#!/usr/bin/env python3
# wc_map.py's word count mapper (text protocol; framed with --framed) with
# a bug a record triggers: it dies of SIGSEGV on a line starting "CRASH!".
import os
import re
import signal
import struct
import sys

word = re.compile(rb"[A-Za-z]+")
out = sys.stdout.buffer


def crash_on(line):
    if line.startswith(b"CRASH!"):
        out.flush()
        os.kill(os.getpid(), signal.SIGSEGV)


def text():
    for line in sys.stdin.buffer:
        crash_on(line)
        for w in word.findall(line):
            out.write(w + b"\t1\n")


def framed():
    u32 = struct.Struct(">I")
    inp = sys.stdin.buffer

    def field():
        head = inp.read(4)
        if not head:
            return None
        return inp.read(u32.unpack(head)[0])

    while field() is not None:          # the key: the line's offset
        line = field()
        crash_on(line)
        for w in word.findall(line):
            out.write(u32.pack(len(w)) + w + u32.pack(1) + b"1")


framed() if sys.argv[1:] == ["--framed"] else text()
