"""Journal scenarios on MemFS and the checks after a power cut (CPython and MicroPython).

run(ops, capacity) plays OPS on a fresh journal, checking the live journal
against a plain model after every step, and returns a Run: the write log
plus, for every step, the log position where it returned and the model's
state then. check_cut(run, cut) rebuilds the flash as a power cut at CUT
left it (optionally corrupting what was not yet synced), reopens, and
asserts the guarantees:

- the pending list equals the model's after the last step that returned,
  or after the step that was cut (which may or may not have taken effect:
  an append may be there or not; a torn ack leaves its record pending,
  which the hub absorbs as a duplicate); payloads intact, order kept;
- depth() agrees with pending();
- next_seq() is not below the model's after the last returned step;
- the reopened journal carries on: it takes a new record and an ack, and a
  clean reopen shows exactly that.

Ops: ("append", payload) | ("ack", k): ack the k-th pending (mod depth) |
("ack_done", k): ack a seq already acked or never used, expect False |
("compact",) | ("reopen",): close and open again (a clean reboot).
"""

from firmware.journal import Journal, JournalFull
from firmware.journal.format import HEADER_LEN, OVERHEAD

from tests.firmware.mp_journal_fs import MemFS, corrupt, state_at, units

PATH = "/flash/journal.bin"


class Run:
    def __init__(self, fs, capacity, atomic):
        self.fs = fs
        self.capacity = capacity
        self.atomic = atomic
        self.marks = [0]            # log units when step i had returned
        self.states = [([], 1)]     # (pending, next_seq) after step i
        self.full = 0               # appends refused with JournalFull

    def step_done(self, pending, next_seq):
        self.marks.append(units(self.fs.log))
        self.states.append((list(pending), next_seq))

    def total(self):
        return units(self.fs.log)


def open_journal(fs, capacity, max_ahead=64):
    return Journal(PATH, capacity_bytes=capacity, fs=fs, max_out_of_order=max_ahead)


def expect(j, pending, next_seq, where):
    got = j.pending()
    assert got == pending, "%s: pending %r, expected %r" % (where, got, pending)
    assert j.depth() == len(pending), "%s: depth %d != %d" % (where, j.depth(), len(pending))
    assert j.next_seq() == next_seq, "%s: next_seq %d != %d" % (where, j.next_seq(), next_seq)


def run(ops, capacity, atomic=True, max_ahead=3):
    fs = MemFS(atomic_rename=atomic)
    r = Run(fs, capacity, atomic)
    j = open_journal(fs, capacity, max_ahead)
    pending, acked, next_seq = [], [], 1
    r.step_done(pending, next_seq)
    for n, op in enumerate(ops):
        kind = op[0]
        if kind == "append":
            seq = j.next_seq()
            try:
                j.append(seq, op[1])
            except JournalFull:
                live = 0
                for _, p in pending:
                    live += OVERHEAD + len(p)
                need = OVERHEAD + len(op[1])
                assert HEADER_LEN + live + need > capacity - capacity // 16, \
                    "JournalFull with room: live %d need %d" % (live, need)
                r.full += 1
            else:
                pending.append((seq, op[1]))
                next_seq = seq + 1
        elif kind == "ack" and pending:
            seq = pending.pop(op[1] % len(pending))[0]
            assert j.ack(seq) is True, "ack of pending %d refused" % seq
            acked.append(seq)
        elif kind == "ack_done":
            seq = acked[op[1] % len(acked)] if acked else next_seq + op[1]
            assert j.ack(seq) is False, "ack of non-pending %d accepted" % seq
        elif kind == "compact":
            j.compact()
        elif kind == "reopen":
            j.close()
            j = open_journal(fs, capacity, max_ahead)
        expect(j, pending, next_seq, "step %d %s" % (n, kind))
        r.step_done(pending, next_seq)
    j.close()
    return r


def written_before(log, cut):
    """Every byte written before unit CUT, in order: records of older files
    among them, the junk a FAT file can show past its end."""
    out = []
    for entry in log:
        if cut <= 0:
            break
        if entry[0] == "w":
            out.append(entry[3][:cut])
        cut -= len(entry[3]) if entry[0] == "w" else 1
    return b"".join(out)


def check_cut(r, cut, rng=None):
    """Reopen after a cut at CUT (corrupting unsynced bytes if RNG); -> 1 if
    the cut step had taken effect, else 0."""
    files, dirty = state_at(r.fs.log, cut)
    if rng is not None:
        corrupt(files, dirty, rng, written_before(r.fs.log, cut))
    i = 0
    while i + 1 < len(r.marks) and r.marks[i + 1] <= cut:
        i += 1
    done, cut_step = r.states[i], r.states[min(i + 1, len(r.states) - 1)]
    fs = MemFS(files, atomic_rename=r.atomic)
    where = "cut at %d of %d (step %d)" % (cut, r.total(), i)
    j = open_journal(fs, r.capacity)
    got = j.pending()
    assert got == done[0] or got == cut_step[0], \
        "%s: pending %r, expected %r or %r" % (where, got, done[0], cut_step[0])
    assert j.depth() == len(got), "%s: depth %d, pending %d" % (where, j.depth(), len(got))
    assert j.next_seq() >= done[1], "%s: next_seq went back to %d from %d" % (
        where, j.next_seq(), done[1])
    took = 1 if got != done[0] else 0
    # The journal carries on after recovery.
    seq = j.next_seq()
    want = list(got)
    try:
        j.append(seq, b"after the cut")
        want.append((seq, b"after the cut"))
    except JournalFull:
        pass
    if want:
        assert j.ack(want[0][0]) is True, where + ": ack after reopen refused"
        want.pop(0)
    next_seq = j.next_seq()
    j.close()
    expect(open_journal(MemFS(fs.files, atomic_rename=r.atomic), r.capacity),
           want, next_seq, where + ", then reopened")
    return took
