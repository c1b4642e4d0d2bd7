"""Power cuts at any byte: the journal reopens cleanly and loses nothing that
append()/ack() returned for.

A scenario runs on MemFS (tests/firmware/mp_journal_fs.py), which logs
every write; a cut is a position in that log (a write weighs its bytes,
a sync/rename/remove 1). The flash is rebuilt as the cut left it, bytes not
yet synced are optionally corrupted (bit flips, junk past the end: erased
flash, zeros, random bytes, or earlier bytes including records of older
files), and mp_journal_check.check_cut asserts on reopen:
pending == the state after the last returned step, or after the cut step
(a torn ack leaves its record pending: the hub absorbs the duplicate), in
order and intact; depth agrees; next_seq never goes back; the journal then
takes a new record and an ack and reopens to exactly that.

Both rename flavours are covered: atomic replace (littlefs, POSIX) and
FAT's (target removed first, so a cut can leave only the new file).
"""

from hypothesis import given, settings, strategies as st

from tests.firmware import mp_journal_check as check
from tests.support.linksim import Rng

APPEND = st.tuples(st.just("append"), st.binary(max_size=60))
OP = st.one_of(APPEND, APPEND, APPEND,
               st.tuples(st.just("ack"), st.integers(0, 5)),
               st.tuples(st.just("ack"), st.just(0)),
               st.tuples(st.just("ack_done"), st.integers(0, 5)),
               st.just(("compact",)), st.just(("reopen",)))


def cut_all(r, cuts, seed):
    for cut in cuts:
        check.check_cut(r, cut)
        check.check_cut(r, cut, Rng(seed + cut))


@settings(max_examples=40, deadline=None)
@given(ops=st.lists(OP, max_size=30),
       capacity=st.sampled_from([300, 450, 800, 4096]),
       atomic=st.booleans(),
       max_ahead=st.sampled_from([1, 3, 64]),
       picks=st.lists(st.integers(0, 2 ** 20), min_size=1, max_size=20),
       seed=st.integers(1, 2 ** 30))
def test_random_scenarios_survive_cuts_at_random_offsets_and_step_edges(
        ops, capacity, atomic, max_ahead, picks, seed):
    r = check.run(ops, capacity, atomic, max_ahead)
    total = r.total()
    edges = set()
    for mark in r.marks:           # where steps return: the riskiest places
        edges.update(c for c in (mark - 1, mark, mark + 1) if 0 <= c <= total)
    cut_all(r, sorted(edges | set(p % (total + 1) for p in picks)), seed)


def crafted_ops():
    """Every path that writes: appends, in-order and out-of-order acks, the
    compaction an overflowing out-of-order set triggers, JournalFull, an ack
    with no room for its record, explicit compaction, a clean reopen."""
    ops = [("append", bytes([65 + i]) * 30) for i in range(4)]
    ops += [("ack", 1), ("ack", 1)]                     # seqs 2, 3: out of order
    ops += [("append", b"e" * 40), ("append", b"f" * 40), ("append", b"g" * 40)]
    ops += [("ack", 0), ("ack_done", 0), ("append", b"h" * 45)]   # compacts for room
    ops += [("append", b"j" * 60), ("append", b"k" * 9)]         # full, then 290 of 300
    ops += [("ack", 0)]                                          # no room for the ack
    ops += [("compact",), ("append", b"i"), ("reopen",), ("ack", 2), ("append", b"")]
    return ops


def test_crafted_scenario_survives_a_cut_at_every_unit_both_rename_kinds():
    for atomic in (True, False):
        r = check.run(crafted_ops(), 300, atomic, max_ahead=1)
        renames = sum(1 for e in r.fs.log if e[0] == "mv")
        assert r.full >= 1 and renames == 5, (r.full, renames)
        cut_all(r, range(r.total() + 1), 7)
