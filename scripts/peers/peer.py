"""Python's side of scripts/peers (run by the shm-peers driver, never alone).

python3 peer.py KEY roundtrip|stream both

Starts its partner with multiprocessing (fork), pins itself to SHM_PEER_CPU
and the partner to SHM_PEER_CPU2 when they are set, prints `ready CPUS`, waits for `go` on stdin, then prints
`affinity CPUS` (the partner's) and `result NS` (ns per round trip, or ns for
the whole stream). Standard library only.
"""
import gc
import os
import struct
import sys
import time
from multiprocessing import get_context, shared_memory

# As timeit does: a garbage collection in the middle of a timing is the
# interpreter's cost, not the IPC's. Both processes (the partner is forked)
# run without the cyclic collector; they allocate little and live seconds.
gc.disable()

STOP = -1
CTX = get_context("fork")
MSG = struct.Struct("<qq")
FLAG = 32  # busy mode: 1 = request waiting, 2 = answer waiting
CAP = 1 << 16
RING = 128
# Stream: one "full" byte per slot after the records. A byte is written in one
# store, unlike struct.pack_into of an 8-byte index, which a reader on another
# CPU can see half written.
FULL = RING + CAP * 16


def pin(var="SHM_PEER_CPU"):
    cpu = os.environ.get(var, "")
    if cpu:
        os.sched_setaffinity(0, {int(cpu)})
    return ",".join(str(c) for c in sorted(os.sched_getaffinity(0)))


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def server(name, mode, req, resp, conn):
    conn.send(pin("SHM_PEER_CPU2"))
    shm = shared_memory.SharedMemory(name=name)
    buf = shm.buf
    try:
        while True:
            if mode == "event":
                req.wait()
                req.clear()
            else:
                while buf[FLAG] != 1:
                    pass
            ident, value = MSG.unpack_from(buf, 0)
            if value == STOP:
                return
            MSG.pack_into(buf, 0, ident, value + 1)
            if mode == "event":
                resp.set()
            else:
                buf[FLAG] = 2
    finally:
        del buf
        shm.close()


def consumer(name, n, conn):
    conn.send(pin("SHM_PEER_CPU2"))
    shm = shared_memory.SharedMemory(name=name)
    buf = shm.buf
    nxt = 0
    bad = None
    tenth = max(n // 10, 1)
    marks = []
    while nxt < n:
        slot = nxt % CAP
        while buf[FULL + slot] == 0:
            time.sleep(0)
        ident, _ = MSG.unpack_from(buf, RING + slot * 16)
        buf[FULL + slot] = 0
        if ident != nxt and bad is None:
            bad = f"record {ident} arrived where {nxt} was due"
        nxt += 1
        if nxt % tenth == 0:
            marks.append(time.monotonic_ns())
    conn.send((marks, nxt, bad))
    del buf
    shm.close()


def start_partner(target, *args):
    """Forks the partner running `target(*args, conn)`, pins both sides, says
    `ready`, waits for `go`, says the partner's `affinity`; returns the
    partner and this side's end of the pipe."""
    mine, theirs = CTX.Pipe()
    child = CTX.Process(target=target, args=(*args, theirs))
    child.start()
    cpus = pin()
    child_cpus = mine.recv()
    say(f"ready {cpus}")
    sys.stdin.readline()
    say(f"affinity {child_cpus}")
    return child, mine


def round_trip(mode):
    timing = int(os.environ.get("SHM_PEER_TIMING_NS", "250000000")) / 1e9
    shm = shared_memory.SharedMemory(create=True, size=4096)
    buf = shm.buf
    req, resp = CTX.Event(), CTX.Event()
    child, _ = start_partner(server, shm.name, mode, req, resp)

    def call(v):
        MSG.pack_into(buf, 0, 0, v)
        if mode == "event":
            req.set()
            resp.wait()
            resp.clear()
        else:
            buf[FLAG] = 1
            while buf[FLAG] != 2:
                pass
        back = MSG.unpack_from(buf, 0)[1]
        if back != v + 1:
            raise RuntimeError(f"sent {v}, got {back} back")

    v = 0
    warm = time.monotonic()
    while time.monotonic() - warm < timing / 5:
        call(v)
        v += 1
    # Ten slices of the timing; the median slice (as the Rust clients do).
    slices = []
    for _ in range(10):
        start = time.monotonic_ns()
        count = 0
        while time.monotonic_ns() - start < timing * 1e8:
            for _ in range(64):
                call(v)
                v += 1
            count += 64
        slices.append((time.monotonic_ns() - start) / count)
    slices.sort()
    ns = (slices[4] + slices[5]) / 2
    MSG.pack_into(buf, 0, 0, STOP)
    if mode == "event":
        req.set()
    else:
        buf[FLAG] = 1
    child.join()
    del buf
    shm.close()
    shm.unlink()
    say(f"result {ns}")


def stream():
    n = int(os.environ.get("SHM_PEER_RECORDS", "1000000"))
    shm = shared_memory.SharedMemory(create=True, size=FULL + CAP)
    buf = shm.buf
    child, mine = start_partner(consumer, shm.name, n)
    start = time.monotonic_ns()
    for i in range(n):
        slot = i % CAP
        while buf[FULL + slot] != 0:
            time.sleep(0)
        MSG.pack_into(buf, RING + slot * 16, i, i * 3)
        buf[FULL + slot] = 1
    marks, count, bad = mine.recv()
    child.join()
    del buf
    shm.close()
    shm.unlink()
    if bad or count != n:
        say(f"error {bad or f'consumer counted {count}'}")
        sys.exit(1)
    # The median tenth of the stream times ten (as the Rust driver does).
    points = [start] + marks
    tenths = sorted(b - a for a, b in zip(points, points[1:]))
    k = len(tenths)
    say(f"result {(tenths[(k - 1) // 2] + tenths[k // 2]) / 2 * k}")


def main():
    key, workload = sys.argv[1], sys.argv[2]
    mode = "event" if key.endswith("event") else "busy"
    if workload == "roundtrip":
        round_trip(mode)
    elif key == "python-event":
        stream()
    else:
        say(f"error {key} cannot do {workload}")
        sys.exit(1)


if __name__ == "__main__":
    main()
