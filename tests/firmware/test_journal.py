"""The flash journal (firmware/journal) on CPython, on real files.

Crash safety is in tests/firmware/test_journal_crash.py; the same checks on
real MicroPython in tests/firmware/test_journal_micropython.py.
"""

import os

import pytest

from firmware.journal import DEFAULT_CAPACITY, Journal, JournalCorrupt, JournalFull
from firmware.journal.format import ACK_LEN, HEADER_LEN, OVERHEAD
from firmware.journal.osfs import OsFS
from protocol import codec


class FlushOnlyFS(OsFS):
    """Real files without fsync, for the 10,000-record runs: fsync costs
    ~1 ms here and durability is not what those tests look at."""

    def sync(self, f):
        f.flush()

    def sync_dir(self, path):
        pass


def rating(seq, level=5, labels=None):
    msg = {"t": "rating", "seq": seq, "eid": "E20261123-%06d" % seq,
           "cs": "330106202611230%07d" % seq, "lv": level, "dp": 2345,
           "dt": 1795000000000 + seq, "mt": 123456789 + seq, "bt": 42, "org": "live"}
    if labels:
        msg.update(lb=labels, lsv=3, ff=["fast"])
    return codec.encode(msg, "up")


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "journal.bin")


def reopen(j, path, **kw):
    j.close()
    return Journal(path, **kw)


def seqs(j, **kw):
    return [s for s, _ in j.pending(**kw)]


def test_a_new_journal_is_empty_and_starts_at_seq_1(path):
    j = Journal(path)
    assert (j.next_seq(), j.depth(), j.pending()) == (1, 0, [])
    st = j.stats()
    assert st["file_bytes"] == HEADER_LEN and st["capacity"] == DEFAULT_CAPACITY
    assert os.path.getsize(path) == HEADER_LEN and not os.path.exists(path + ".new")


def test_ratings_stay_until_acked_in_order_across_reopen(path):
    j = Journal(path)
    for seq in range(1, 6):
        assert j.next_seq() == seq
        j.append(seq, rating(seq))
    assert j.pending() == [(s, rating(s)) for s in range(1, 6)]
    assert j.ack(1) is True and j.ack(2) is True
    j = reopen(j, path)
    assert j.pending() == [(s, rating(s)) for s in range(3, 6)]
    assert (j.depth(), j.next_seq()) == (3, 6)


def test_ack_of_something_not_pending_writes_nothing(path):
    j = Journal(path)
    j.append(1, b"a")
    j.append(2, b"b")
    assert j.ack(1) is True
    size = os.path.getsize(path)
    assert j.ack(1) is False            # the hub's duplicate ack
    assert j.ack(7) is False            # never appended
    assert os.path.getsize(path) == size
    assert j.stats()["file_bytes"] == size == HEADER_LEN + 2 * OVERHEAD + 2 + ACK_LEN


def test_out_of_order_acks_and_windows(path):
    j = Journal(path)
    for seq in range(1, 9):
        j.append(seq, b"r%d" % seq)
    for seq in (3, 5, 6):
        assert j.ack(seq)
    assert seqs(j) == [1, 2, 4, 7, 8]
    assert seqs(j, limit=2) == [1, 2]
    assert seqs(j, limit=2, after=2) == [4, 7]
    assert j.stats()["acked_out_of_order"] == 3
    assert j.ack(1) and j.ack(2)        # the first pending moves past 3: forgotten
    assert j.stats()["acked_out_of_order"] == 2 and j.stats()["first_seq"] == 4
    j = reopen(j, path)
    assert seqs(j) == [4, 7, 8] and j.depth() == 3


def test_too_many_out_of_order_acks_compact_the_file(path):
    j = Journal(path, max_out_of_order=4)
    for seq in range(1, 12):
        j.append(seq, b"x" * 40)
    for seq in range(2, 8):
        assert j.ack(seq)
    st = j.stats()
    assert st["compactions"] == 1 and st["acked_out_of_order"] <= 4
    assert seqs(j) == [1, 8, 9, 10, 11]
    j = reopen(j, path)
    assert seqs(j) == [1, 8, 9, 10, 11] and j.next_seq() == 12


def test_next_seq_survives_compaction_of_everything(path):
    j = Journal(path)
    for seq in range(1, 4):
        j.append(seq, b"x")
        j.ack(seq)
    j.compact()
    assert j.stats()["file_bytes"] == HEADER_LEN and j.next_seq() == 4
    j = reopen(j, path)
    assert j.next_seq() == 4 and j.depth() == 0


def test_seq_may_jump_but_never_repeat(path):
    j = Journal(path)
    j.append(5, b"x")
    assert j.next_seq() == 6
    for bad in (5, 1, 0, 2 ** 31):
        with pytest.raises(ValueError, match="next_seq"):
            j.append(bad, b"y")
    assert j.pending() == [(5, b"x")]


def test_bad_arguments_are_refused_clearly(path):
    with pytest.raises(ValueError, match="capacity_bytes"):
        Journal(path, capacity_bytes=100)
    j = Journal(path)
    with pytest.raises(ValueError, match="at most 1024"):
        j.append(1, bytes(1025))
    assert j.depth() == 0 and j.next_seq() == 1


def test_full_journal_refuses_and_drops_nothing(path):
    j = Journal(path, capacity_bytes=1000)
    n = 0
    with pytest.raises(JournalFull, match="nothing was dropped"):
        while True:
            j.append(j.next_seq(), b"p" * 50)
            n += 1
    assert n == j.depth() == 16         # 20 + 16 * 61 = 996: no room for a 17th
    assert seqs(j) == list(range(1, n + 1))
    # Acks still work with the file full: the compaction is the ack.
    for seq in range(1, n + 1):
        assert j.ack(seq)
        assert j.stats()["file_bytes"] <= 1000
    assert j.depth() == 0
    j.append(j.next_seq(), b"again")
    j = reopen(j, path, capacity_bytes=1000)
    assert j.pending() == [(n + 1, b"again")]


def test_file_stays_bounded_over_a_long_life(path):
    j = Journal(path, capacity_bytes=4096, fs=FlushOnlyFS())
    for seq in range(1, 2001):
        j.append(j.next_seq(), rating(seq))
        if seq % 3 == 0:                # the hub lags a little behind
            for s, _ in j.pending(limit=3):
                j.ack(s)
        assert os.path.getsize(path) <= 4096
    assert j.stats()["compactions"] > 50
    assert seqs(j) == [1999, 2000] and j.next_seq() == 2001
    j = reopen(j, path, capacity_bytes=4096)
    assert j.next_seq() == 2001


def test_ten_thousand_ratings_fit_the_default_capacity(path):
    j = Journal(path, fs=FlushOnlyFS())
    for seq in range(1, 10001):
        # one in five a bad rating with three labels: ~210 bytes, else ~150
        j.append(seq, rating(seq, 2, [207, 213, 214]) if seq % 5 == 0 else rating(seq))
    assert j.depth() == 10000 and os.path.getsize(path) <= DEFAULT_CAPACITY
    for seq in range(1, 5001):
        assert j.ack(seq)
    j = reopen(j, path, fs=FlushOnlyFS())
    assert j.depth() == 5000 and j.next_seq() == 10001
    assert j.pending(limit=2) == [(5001, rating(5001)), (5002, rating(5002))]
    assert j.pending(limit=1, after=9999) == [(10000, rating(10000, 2, [207, 213, 214]))]


def test_a_damaged_record_in_the_middle_costs_only_that_record(path):
    j = Journal(path)
    for seq in range(1, 6):
        j.append(seq, rating(seq))
    j.close()
    with open(path, "r+b") as f:       # flash damage inside record 3's payload
        f.seek(HEADER_LEN + 2 * (OVERHEAD + len(rating(1))) + 30)
        byte = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([byte[0] ^ 0x04]))
    j = Journal(path)
    assert seqs(j) == [1, 2, 4, 5] and j.next_seq() == 6
    assert j.stats()["recovered_bytes"] == OVERHEAD + len(rating(3))
    j.append(6, b"x")
    j = reopen(j, path)
    assert seqs(j) == [1, 2, 4, 5, 6] and j.stats()["recovered_bytes"] == 0


def test_a_damaged_header_is_reported_and_the_file_kept(path):
    j = Journal(path)
    j.append(1, b"x")
    j.close()
    data = bytearray(open(path, "rb").read())
    data[0] = ord("Q")
    open(path, "wb").write(data)
    with pytest.raises(JournalCorrupt, match="header is damaged.*copy it off"):
        Journal(path)
    assert open(path, "rb").read() == data


def test_stale_compaction_file_is_removed_and_the_old_file_wins(path):
    j = Journal(path)
    j.append(1, b"x")
    j.close()
    with open(path + ".new", "wb") as f:
        f.write(b"PJNL half a file")
    j = Journal(path)
    assert j.pending() == [(1, b"x")] and not os.path.exists(path + ".new")
