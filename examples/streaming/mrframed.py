"""Reading and writing the framed protocol of executable apps
(mrrun --framed; docs/exec-apps.md), for mappers and reducers in Python.

A record is a key and a value, each a 32-bit big-endian length followed
by that many bytes. A mapper reads records (key: the line's byte offset
in its file, in decimal; value: the line without its newline) and writes
records. A reducer reads groups: a key's length and bytes, then each
value's length and bytes, then the end marker 0xffffffff; it writes
records, which become "key value" output lines.

    from mrframed import read_records, read_groups, write_record
"""
import struct
import sys

END = 0xFFFFFFFF
_U32 = struct.Struct(">I")


class FramingError(Exception):
    """The input is not framed as the protocol says."""


def _read_exact(stream, n, what):
    data = stream.read(n)
    if len(data) != n:
        raise FramingError("input ends inside %s (%d of %d bytes)"
                           % (what, len(data), n))
    return data


def _read_length(stream, what, eof_ok=False):
    head = stream.read(4)
    if not head and eof_ok:
        return None
    if len(head) != 4:
        raise FramingError("input ends inside the length of %s" % what)
    return _U32.unpack(head)[0]


def read_records(stream=None):
    """Yields (key, value) byte strings until the end of stream (a
    mapper's input, by default sys.stdin.buffer)."""
    stream = stream or sys.stdin.buffer
    while True:
        klen = _read_length(stream, "a key", eof_ok=True)
        if klen is None:
            return
        key = _read_exact(stream, klen, "a key")
        vlen = _read_length(stream, "a value")
        yield key, _read_exact(stream, vlen, "a value")


def read_groups(stream=None):
    """Yields (key, values) for each group of a reducer's input, values an
    iterator over the key's values; values left unread are skipped."""
    stream = stream or sys.stdin.buffer
    while True:
        klen = _read_length(stream, "a key", eof_ok=True)
        if klen is None:
            return
        key = _read_exact(stream, klen, "a key")
        state = {"done": False}

        def values():
            while not state["done"]:
                vlen = _read_length(stream, "a value")
                if vlen == END:
                    state["done"] = True
                    return
                yield _read_exact(stream, vlen, "a value")

        it = values()
        yield key, it
        for _ in it:        # what the reducer did not read
            pass


def write_record(key, value, stream=None):
    """Writes one record (bytes, or str encoded as UTF-8) to stream (by
    default sys.stdout.buffer)."""
    stream = stream or sys.stdout.buffer
    if isinstance(key, str):
        key = key.encode()
    if isinstance(value, str):
        value = value.encode()
    stream.write(_U32.pack(len(key)) + key + _U32.pack(len(value)) + value)
