#!/usr/bin/env python3
"""Reads a coordinator's journal (coordinator/journal.h draws the file:
an 8-byte magic, then frames of [u32 LE length][u32 LE CRC-32C of the
length's bytes and the payload][payload: a mrj.Record], proto/journal.proto)
on its own, without the coordinator's code, for tests/job/test-resume.sh.

  journal.py frames FILE   one line per frame of the valid prefix:
                           "OFFSET LENGTH KIND" (LENGTH: the whole frame,
                           head included; KIND: define, start, app,
                           map_done, map_undone, reduce_done, counted,
                           skipped);
                           then
                           "end OFFSET whole|torn|corrupt"
  journal.py done FILE     the tasks the valid prefix says are done, one
                           "map M" or "reduce R" line each (a map undone
                           since is not)
  journal.py flip FILE OFFSET BIT
                           flips bit BIT (0-7) of byte OFFSET, in place
"""
import struct
import sys

MAGIC = b"MRJRNL1\n"
MAX_RECORD = 64 << 20
KINDS = {1: "define", 2: "start", 3: "app", 4: "map_done", 5: "map_undone",
         6: "reduce_done", 7: "counted", 8: "skipped"}


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def varint(buf, i):
    """The varint at buf[i:] and the index after it."""
    n = shift = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def fields(buf):
    """(field number, value) of a message's fields: an int for a varint, bytes
    for a length-delimited field (the only kinds journal.proto uses)."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            val, i = varint(buf, i)
        elif wire == 2:
            n, i = varint(buf, i)
            val = buf[i:i + n]
            if len(val) != n:
                raise ValueError("cut short")
            i += n
        else:
            raise ValueError("wire type %d" % wire)
        yield num, val


def frames(data):
    """(offset, frame length, kind, record payload) of each frame of the
    valid prefix, then ("end", offset, how)."""
    if data[:len(MAGIC)] != MAGIC:
        raise SystemExit("not a journal: its magic is wrong")
    off = len(MAGIC)
    while off < len(data):
        if len(data) - off < 8:
            return off, "torn"
        n, crc = struct.unpack_from("<II", data, off)
        if n > MAX_RECORD or len(data) - off - 8 < n:
            return off, "torn"
        payload = data[off + 8:off + 8 + n]
        if crc32c(payload, crc32c(data[off:off + 4])) != crc:
            return off, "corrupt"
        try:
            (num, rec), = list(fields(payload))
        except (ValueError, IndexError):
            return off, "corrupt"
        if num not in KINDS:
            return off, "corrupt"
        yield off, 8 + n, KINDS[num], rec
        off += 8 + n
    return off, "whole"


def walk(data):
    """The frames and how the prefix ends."""
    out = []
    gen = frames(data)
    while True:
        try:
            out.append(next(gen))
        except StopIteration as stop:
            return out, stop.value


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    cmd, path = argv[1], argv[2]
    if cmd == "flip":
        off, bit = int(argv[3]), int(argv[4])
        with open(path, "r+b") as f:
            f.seek(off)
            b = f.read(1)[0]
            f.seek(off)
            f.write(bytes([b ^ (1 << bit)]))
        return
    with open(path, "rb") as f:
        data = f.read()
    recs, (end, how) = walk(data)
    if cmd == "frames":
        for off, n, kind, _ in recs:
            print(off, n, kind)
        print("end", end, how)
    elif cmd == "done":
        maps, reduces = set(), set()
        for _, _, kind, rec in recs:
            f = dict(fields(rec))
            if kind == "map_done" and f.get(2, 0) > 0:
                maps.add(f.get(1, 0))
            elif kind == "map_undone":
                maps.discard(f.get(1, 0))
            elif kind == "reduce_done" and f.get(2, 0) > 0:
                reduces.add(f.get(1, 0))
        for m in sorted(maps):
            print("map", m)
        for r in sorted(reduces):
            print("reduce", r)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
