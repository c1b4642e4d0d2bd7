"""Journal figures measured inside one interpreter: MicroPython or CPython.

bench/journal_bench.py runs this unchanged on both (on MicroPython with
firmware/journal mounted at /lib/journal, as on the device). Top-level
`await`: the WebAssembly port collects garbage only when control returns
to the host, so heap figures are taken after `await settle()`.

    argv[1]  a writable directory (on the WebAssembly port: in memory)
    argv[2]  ratings in the big journal (default 10000)

Output: one line "BENCH " + JSON.
"""

import gc
import json
import os
import sys
import time

import asyncio

from journal import Journal
from journal.osfs import OsFS
from protocol import codec

MICRO = sys.implementation.name == "micropython"

if MICRO:
    def now_us():
        return time.ticks_us()

    def since_us(t0):
        return time.ticks_diff(time.ticks_us(), t0)
else:
    def now_us():
        return time.perf_counter_ns() // 1000

    def since_us(t0):
        return now_us() - t0


class FlushOnlyFS(OsFS):
    """For building the big journal fast on CPython, where a fsync costs ~1 ms
    (on MicroPython OsFS.sync is the same flush already)."""

    def sync(self, f):
        f.flush()


async def settle():
    gc.collect()
    await asyncio.sleep(0)
    gc.collect()


def heap():
    return gc.mem_alloc() if MICRO else 0


def body(seq):
    """A rating as the app journals it: four in five good (~150 bytes), one bad
    with three labels and a fraud flag (~210 bytes)."""
    msg = {"t": "rating", "seq": seq, "eid": "E20261123-%06d" % seq,
           "cs": "330106202611230%07d" % seq, "lv": 5, "dp": 2345,
           "dt": 1795000000000 + seq, "mt": 123456789 + seq, "bt": 42, "org": "live"}
    if seq % 5 == 0:
        msg["lv"] = 2
        msg["lb"] = [207, 213, 214]
        msg["lsv"] = 3
        msg["ff"] = ["fast"]
    return codec.encode(msg, "up")


def fresh(path):
    for p in (path, path + ".new"):
        try:
            os.remove(p)
        except OSError:
            pass


def timed_appends(j, bodies):
    t0 = now_us()
    for b in bodies:
        j.append(j.next_seq(), b)
    return since_us(t0)


async def main(top, n):
    try:
        os.mkdir(top)
    except OSError:
        pass
    fig = {"n": n}

    # Durable appends one by one, as the app makes them.
    path = top + "/small.bin"
    fresh(path)
    j = Journal(path)
    bodies = [body(s) for s in range(1, 301)]
    fig["append_us"] = timed_appends(j, bodies) // len(bodies)
    payload = 0
    for b in bodies:
        payload += len(b)
    fig["payload_avg"] = payload / len(bodies)
    fig["record_avg"] = (j.stats()["file_bytes"] - 20) / len(bodies)
    t0 = now_us()
    for s in range(1, 301):
        j.ack(s)
    fig["ack_us"] = since_us(t0) // 300
    fig["bytes_per_rating"] = (j.stats()["file_bytes"] - 20) / len(bodies)
    j.close()

    # The big journal: N pending.
    path = top + "/big.bin"
    fresh(path)
    fs = FlushOnlyFS()
    j = Journal(path, fs=fs)
    t0 = now_us()
    for s in range(1, n + 1):
        j.append(s, body(s))
    fig["build_s"] = since_us(t0) / 1e6
    fig["file_bytes_pending"] = j.stats()["file_bytes"]
    j.close()
    j = None
    await settle()
    h0 = heap()
    t0 = now_us()
    j = Journal(path, fs=fs)
    fig["open_pending_ms"] = since_us(t0) / 1000
    fig["heap_open_alloc"] = heap() - h0        # allocated by open, before any gc
    await settle()
    fig["heap_open_kept"] = heap() - h0         # what an open journal holds
    assert j.depth() == n

    t0 = now_us()
    for _ in range(50):
        window = j.pending(limit=8)
    fig["pending8_ms"] = since_us(t0) / 50000
    assert [s for s, _ in window] == list(range(1, 9))
    window = None
    t0 = now_us()
    j.ack(n - 10)                               # out of order, deep in the file
    fig["ack_deep_ms"] = since_us(t0) / 1000

    # The hub acks the first half, in order.
    t0 = now_us()
    for s in range(1, n // 2 + 1):
        j.ack(s)
    fig["ack_inorder_us"] = since_us(t0) // (n // 2)
    await settle()
    fig["heap_half_acked_kept"] = heap() - h0
    j.close()
    j = None

    t0 = now_us()
    j = Journal(path, fs=fs)
    fig["open_half_acked_ms"] = since_us(t0) / 1000
    fig["file_bytes_half_acked"] = j.stats()["file_bytes"]
    assert j.depth() == n - n // 2 - 1
    t0 = now_us()
    j.compact()
    fig["compact_ms"] = since_us(t0) / 1000
    fig["file_bytes_compacted"] = j.stats()["file_bytes"]
    j.close()
    print("BENCH " + json.dumps(fig))


await main(sys.argv[1] if len(sys.argv) > 1 else "/flash",  # noqa: F704 (top-level await, see above)
           int(sys.argv[2]) if len(sys.argv) > 2 else 10000)
