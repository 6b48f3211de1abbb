#!/usr/bin/env python3
"""Decode a region file of the shared-memory demo with Python's standard
library only (mmap + struct): proof that the layout is language-neutral.

    python3 scripts/read_region.py /dev/shm/testmap

Prints the same "control block", "integers" and "records" lines as the Rust
inspector (cargo run -p shared --example inspect). Reads only; takes no lock.
"""
import datetime
import mmap
import struct
import sys

CONTROL_OFFSET = 40
RECORDS_OFFSET = 1024
SERVICE_MSG_SIZE = 16
RECORD_COUNT = 5
TOTAL_INTS = 10
MAGIC = b"IMSH"
TICKS_PER_SECOND = 10_000_000
FLAG_NAMES = [(1, "message-written"), (2, "state-started"), (4, "state-written"), (8, "message-read")]


def ticks_text(ticks):
    """.NET ticks (100 ns since 0001-01-01, local wall clock) as YYYY-MM-DD HH:MM:SS."""
    try:
        when = datetime.datetime(1, 1, 1) + datetime.timedelta(microseconds=ticks // 10)
        return "%04d-%02d-%02d %02d:%02d:%02d" % (
            when.year, when.month, when.day, when.hour, when.minute, when.second)
    except (OverflowError, ValueError):
        return "invalid ticks %d" % ticks


def pid_text(pid):
    return "none" if pid == 0 else "pid %d" % pid


def decode(data):
    lines = ["control block (bytes 40..104)"]
    magic, version, size, flags, count, holder, creator = struct.unpack_from(
        "<4sIQIIII", data, CONTROL_OFFSET)
    lines.append("  magic         %s" % magic.decode("utf-8", "replace"))
    if magic != MAGIC:
        raise SystemExit("error: no IMSH magic: not a region of the demo")
    lines.append("  version       %d" % version)
    lines.append("  size          %d" % size)
    names = " ".join(name for bit, name in FLAG_NAMES if flags & bit) or "none"
    lines.append("  flags         %#06x %s" % (flags, names))
    lines.append("  record count  %d" % count)
    lines.append("  mutex holder  %s" % pid_text(holder))
    lines.append("  mutex creator %s" % pid_text(creator))
    lines.append("integers (bytes 0..40)")
    for i, value in enumerate(struct.unpack_from("<%di" % TOTAL_INTS, data, 0)):
        lines.append("  position %d: %d" % (i, value))
    written = min(count, RECORD_COUNT)
    lines.append("records (bytes 1024.., %d written)" % written)
    for k in range(written):
        # struct ServiceMsg { int Id; /* 4 bytes padding */ long NowTime; }
        msg_id, ticks = struct.unpack_from("<i4xq", data, RECORDS_OFFSET + k * SERVICE_MSG_SIZE)
        lines.append("  [%d] id %-3d ticks %-19d %s" % (k, msg_id, ticks, ticks_text(ticks)))
    return lines


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) == 2 else 2
    try:
        with open(argv[1], "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if len(data) < RECORDS_OFFSET + 10240:
                print("error: %s is too small to be a region of the demo" % argv[1], file=sys.stderr)
                return 1
            print("\n".join(decode(data)))
    except OSError as error:
        print("error: cannot read %s: %s" % (argv[1], error.strerror), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
