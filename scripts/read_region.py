#!/usr/bin/env python3
"""Decode a region file of the shared-memory demo with Python's standard
library only (mmap + struct): proof that the layout is language-neutral.

    python3 scripts/read_region.py /dev/shm/testmap

Prints the same "handshake", "integers" and "records" lines as the Rust
inspector (cargo run -p shared --features console --bin inspect).
Reads only; takes no lock and changes nothing. Safe on a live region with
any Python 3: it maps the file with mmap, which registers nothing with
multiprocessing's resource tracker (a plain SharedMemory(name=...) would have
the tracker remove the region when Python exits; see "From Python" in
docs/library.md). Every byte of the region is the demo's own (the library
keeps its bookkeeping in .NAME.meta beside it):

    0     ten int32: 0..4 (message server), 5..9 (state server)
    40    handshake: flags u32, records written u32, message server pid u32
    1024  ServiceMsg k at 1024 + 16*k: int32 Id, 4 bytes padding, int64 NowTime
"""
import datetime
import mmap
import os
import struct
import sys

INTS_OFFSET = 0
TOTAL_INTS = 10
HANDSHAKE_OFFSET = 40
HANDSHAKE_LEN = 12
RECORDS_OFFSET = 1024
RECORDS_VIEW_LEN = 10240
SERVICE_MSG_SIZE = 16
RECORD_COUNT = 5
MIN_REGION_SIZE = RECORDS_OFFSET + RECORDS_VIEW_LEN
FLAG_NAMES = [(1, "message-written"), (2, "state-started"), (4, "state-written"), (8, "message-read")]
STATE_STARTED, STATE_WRITTEN = 2, 4


def ticks_text(ticks):
    """.NET ticks (100 ns since 0001-01-01, local wall clock) as YYYY-MM-DD HH:MM:SS."""
    try:
        when = datetime.datetime(1, 1, 1) + datetime.timedelta(microseconds=ticks // 10)
        return "%04d-%02d-%02d %02d:%02d:%02d" % (
            when.year, when.month, when.day, when.hour, when.minute, when.second)
    except (OverflowError, ValueError):
        return "invalid ticks %d" % ticks


def pid_text(pid):
    """A pid and whether that process is alive (it has a /proc entry), as the inspector says it."""
    if pid == 0:
        return "none"
    if not os.path.exists("/proc/self"):
        alive = "alive: unknown"
    elif os.path.exists("/proc/%d" % pid):
        alive = "alive"
    else:
        alive = "gone"
    return "%d (%s)" % (pid, alive)


def flag_names(flags):
    return " ".join(name for bit, name in FLAG_NAMES if flags & bit) or "none"


def decode(data):
    lines = ["handshake (bytes %d..%d)" % (HANDSHAKE_OFFSET, HANDSHAKE_OFFSET + HANDSHAKE_LEN)]
    flags, count, message_pid = struct.unpack_from("<III", data, HANDSHAKE_OFFSET)
    lines.append("  flags         %#06x %s" % (flags, flag_names(flags)))
    lines.append("  record count  %d" % count)
    lines.append("  message pid   %s" % pid_text(message_pid))
    lines.append("integers (bytes %d..%d)" % (INTS_OFFSET, INTS_OFFSET + 4 * TOTAL_INTS))
    for i, value in enumerate(struct.unpack_from("<%di" % TOTAL_INTS, data, INTS_OFFSET)):
        lines.append("  position %d: %d" % (i, value))
    written = min(count, RECORD_COUNT)
    lines.append("records (bytes %d.., %d written)" % (RECORDS_OFFSET, written))
    for k in range(written):
        # struct ServiceMsg { int Id; /* 4 bytes padding */ long NowTime; }
        msg_id, ticks = struct.unpack_from("<i4xq", data, RECORDS_OFFSET + k * SERVICE_MSG_SIZE)
        lines.append("  [%d] id %-3d ticks %-19d %s" % (k, msg_id, ticks, ticks_text(ticks)))
    if flags & STATE_STARTED and not flags & STATE_WRITTEN:
        lines.append("  (the state server started writing and has not finished: values may be partial)")
    return lines


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) == 2 else 2
    try:
        with open(argv[1], "rb") as f:
            if os.fstat(f.fileno()).st_size < MIN_REGION_SIZE:
                print("error: %s is too small to be a region of the demo (it needs %d bytes)"
                      % (argv[1], MIN_REGION_SIZE), file=sys.stderr)
                return 1
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
                print("\n".join(decode(data)))
    except OSError as error:
        print("error: cannot read %s: %s" % (argv[1], error.strerror), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
