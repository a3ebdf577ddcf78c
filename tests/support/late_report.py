#!/usr/bin/env python3
"""A worker's late report, timed by a test (tests/job/test-resume.sh): joins
the coordinator at SOCKET as a worker of the app the journal JOURNAL names
(the journal of the job it resumed, read before it started), says "joined",
waits until DIR/mr-success exists (the job is over: committed), then reports
the attempt ATTEMPT of task TASK (KIND: map or reduce) as done, as a worker
does that finished a task while the coordinator was away, and prints
"answered STATUS" (the reply's status, 0 for a ReportReply) or "no answer:
WHY". Exits 0 when answered, 1 when not.

  late_report.py SOCKET JOURNAL DIR KIND TASK ATTEMPT

The frames are docs/protocol.md's; the messages proto/mr.proto's, encoded
here field by field.
"""
import os
import re
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import journal  # noqa: E402  (tests/support/journal.py)

METHOD_REPORT, METHOD_JOIN = 1, 2       # in service Coordinator's order
KIND = {"map": 1, "reduce": 2}          # enum TaskKind
WAIT_S = 20


def protocol_version():
    """MR_PROTOCOL_VERSION, from common/protocol.h."""
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "..", "common", "protocol.h")) as f:
        return int(re.search(r"#define MR_PROTOCOL_VERSION (\d+)",
                             f.read()).group(1))


def varint(n):
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        if not n:
            return out + bytes([b])
        out += bytes([b | 0x80])


def uint(num, v):
    return varint(num << 3) + varint(v)


def blob(num, b):
    b = b.encode() if isinstance(b, str) else b
    return varint(num << 3 | 2) + varint(len(b)) + b


def app_of(path):
    """The journal's app: (digest, name, abi, path), its last App record's or
    its definition's."""
    with open(path, "rb") as f:
        recs, _ = journal.walk(f.read())
    app = None
    for _, _, kind, rec in recs:
        f = dict(journal.fields(rec))
        if kind == "define" and f.get(7):
            app = (f[7], f.get(8, b""), f.get(9, 0), f.get(10, b""))
        elif kind == "app":
            app = (f[1], f.get(2, b""), f.get(3, 0), f.get(4, b""))
    if app is None:
        raise SystemExit("late_report.py: the journal names no app")
    return app


def read_exactly(s, n):
    buf = b""
    while len(buf) < n:
        more = s.recv(n - len(buf))
        if not more:
            raise EOFError("the coordinator closed the connection")
        buf += more
    return buf


def call(s, method, rid, payload):
    """Sends a request; returns the reply's status and payload."""
    s.sendall(struct.pack(">IBBHIi", 12 + len(payload), 1, 0, method, rid, 0)
              + payload)
    n, _, _, _, _, status = struct.unpack(">IBBHIi", read_exactly(s, 16))
    return status, read_exactly(s, n - 12)


def main(argv):
    if len(argv) != 7 or argv[4] not in KIND:
        raise SystemExit(__doc__)
    sock, jpath, jobdir, kind, task, attempt = argv[1:]
    digest, name, abi, path = app_of(jpath)
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(WAIT_S)
    s.connect(sock)
    join = (uint(1, protocol_version()) + uint(2, os.getpid()) +
            blob(3, socket.gethostname()) + blob(4, os.path.abspath(jobdir)) +
            blob(5, name) + uint(6, abi) + blob(7, digest) + blob(8, path))
    status, _ = call(s, METHOD_JOIN, 1, join)
    if status != 0:
        print("join refused: status %d" % status, flush=True)
        return 1
    print("joined", flush=True)
    deadline = time.monotonic() + WAIT_S
    while not os.path.exists(os.path.join(jobdir, "mr-success")):
        if time.monotonic() > deadline:
            print("no answer: the job never ended", flush=True)
            return 1
        time.sleep(0.005)
    report = (uint(1, KIND[kind]) + uint(2, int(task)) + uint(3, int(attempt))
              + uint(4, 1))
    try:
        status, _ = call(s, METHOD_REPORT, 2, report)
    except (EOFError, OSError) as e:
        print("no answer: %s" % e, flush=True)
        return 1
    print("answered %d" % status, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
