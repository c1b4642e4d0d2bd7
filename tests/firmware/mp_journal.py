"""The flash journal's crash checks, run unchanged on MicroPython and CPython.

tests/firmware/test_journal_micropython.py runs this on both and compares the output
(own PRNG, nothing random printed, so the lines must match). Two parts:

1. Power cuts at every unit of a recorded scenario's writes (MemFS, see
   mp_journal_fs.py), each reopened clean and again with the unsynced
   bytes corrupted, checked by mp_journal_check.check_cut.
2. The real filesystem (MicroPython's VFS; an in-memory one on the
   WebAssembly port): a torn append with junk after it, a half-written
   compaction file, a torn ack, a replace cut between remove and rename,
   and a damaged header, each reopened and checked.

Usage: mp_journal.py DIR [SCENARIOS]   DIR: a writable directory
"""

import os
import sys

from tests.firmware import mp_journal_check as check
from tests.support.linksim import Rng
from firmware.journal import Journal, JournalCorrupt
from firmware.journal.format import HEADER_LEN, build, parse_header, seed_for, APPEND, ACK


def random_ops(rng, n, max_payload):
    ops = []
    for _ in range(n):
        k = rng.below(12)
        if k < 6:
            ops.append(("append", rng.bytes(rng.below(max_payload + 1))))
        elif k < 9:
            ops.append(("ack", 0 if rng.below(3) else rng.below(6)))
        elif k == 9:
            ops.append(("ack_done", rng.below(4)))
        else:
            ops.append(("compact",) if k == 10 else ("reopen",))
    return ops


def cut_everywhere(seed, n_ops, capacity, atomic):
    rng = Rng(seed)
    r = check.run(random_ops(rng, n_ops, 40), capacity, atomic)
    took = 0
    for cut in range(r.total() + 1):
        took += check.check_cut(r, cut)
        took += check.check_cut(r, cut, rng)
    print("cuts seed=%d atomic=%d steps=%d units=%d cut_steps_kept=%d refused_full=%d"
          % (seed, atomic, len(r.marks) - 2, r.total(), took, r.full))
    return r.total() + 1


def body(seq):
    return b'{"t":"rating","seq":%d,"eid":"E%04d","cs":"CS-%d","lv":%d,"dp":1500,"mt":%d,"org":"live"}' % (
        seq, seq, seq * 7, 1 + seq % 5, seq * 1000)


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def write_file(path, data, mode="wb"):
    with open(path, mode) as f:
        f.write(data)


def exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def record_for(path, kind, seq, payload):
    """A whole record as the journal at PATH would write it now."""
    gen = parse_header(read_file(path)[:HEADER_LEN])[0]
    buf = bytearray(11 + len(payload))
    n = build(memoryview(buf), kind, seq, payload, seed_for(gen))
    return bytes(buf[:n])


def seqs(j):
    return [s for s, _ in j.pending()]


def real_fs(top):
    path = top + "/journal.bin"
    for p in (path, path + ".new"):
        if exists(p):
            os.remove(p)
    j = Journal(path, capacity_bytes=8192)
    for seq in range(1, 11):
        j.append(j.next_seq(), body(seq))
    for seq in (1, 2, 3, 4, 7):
        assert j.ack(seq)
    j.close()

    # A torn append (half a record, then erased flash) and a half-written compaction.
    rec = record_for(path, APPEND, 11, body(11))
    write_file(path, rec[:len(rec) // 2] + b"\xff" * 9, "ab")
    write_file(path + ".new", b"PJNL\x00\x01")
    j = Journal(path, capacity_bytes=8192)
    assert seqs(j) == [5, 6, 8, 9, 10], seqs(j)
    assert j.pending()[0] == (5, body(5))
    assert j.next_seq() == 11 and not exists(path + ".new")
    st = j.stats()
    print("real torn append: pending=%s next=%d recovered=%d compactions=%d"
          % (seqs(j), j.next_seq(), st["recovered_bytes"], st["compactions"]))
    j.append(11, body(11))
    j.close()

    # A torn ack: its rating stays pending (the hub will answer ack dup=true).
    rec = record_for(path, ACK, 5, b"")
    write_file(path, rec[:7], "ab")
    j = Journal(path, capacity_bytes=8192)
    assert seqs(j) == [5, 6, 8, 9, 10, 11], seqs(j)
    assert j.ack(5) and j.ack(6)
    print("real torn ack: pending=%s after acks of 5 and 6" % seqs(j))
    j.close()

    # A replace cut after removing the old file (FAT): only the complete .new is left.
    os.rename(path, path + ".new")
    j = Journal(path, capacity_bytes=8192)
    assert seqs(j) == [8, 9, 10, 11] and exists(path) and not exists(path + ".new")
    j.compact()
    assert seqs(j) == [8, 9, 10, 11] and j.next_seq() == 12
    print("real replace cut: pending=%s next=%d size=%d" % (seqs(j), j.next_seq(), j.stats()["file_bytes"]))
    j.close()

    # A damaged header: a clear error and the file left as it was.
    data = bytearray(read_file(path))
    data[9] ^= 0x10
    write_file(path, data)
    try:
        Journal(path, capacity_bytes=8192)
        raise AssertionError("a damaged header was accepted")
    except JournalCorrupt as e:
        assert "header" in str(e)
    assert read_file(path) == bytes(data)
    print("real damaged header: refused, file kept")
    return 4


def main(top, scenarios=2):
    try:
        os.mkdir(top)
    except OSError:
        pass                    # there already
    units = 0
    for i in range(scenarios):
        units += cut_everywhere(101 + i, 30, 400, i % 2 == 0)
    cases = real_fs(top)
    print("mp_journal ok: %d scenarios, %d cut points (x2 with corruption); %d real-fs cases"
          % (scenarios, units, cases))


if __name__ == "__main__":
    args = sys.argv[1:]
    main(args[0].rstrip("/") if args else "/flash", int(args[1]) if len(args) > 1 else 2)
