"""A keyed terminal rating a case it was never sent: another window's
invitation, or an eid the hub never issued. The hub answers the permanent
nack not_invited, keeps the rating for review (status refused, flag no_case)
and never forwards it; the firmware drops the record from its journal on that
nack, and the case's own terminal still rates it.

Real parts: protocol terminals over ptys opened by the hub's serial transport
(tests/hub/test_serial.py), the firmware on the simulated board against the real
hub (tests/support/fw.py), SQLite."""

from hub.services import invitations, windows
from tests.hub.test_serial import hall, invite  # noqa: F401  (the fixture: two lines)
from tests.support.fw import invite as fw_invite, query, real_hub
from tests.support.hub_peer import committed
from tests.support.poll import wait
from simulator.terminal import SimTerminal


def stored(hall, rid):
    return committed(hall.db_path, "SELECT status, fraud_hub FROM ratings WHERE rating_id = ?",
                     (rid,))


def forwarded(hall, rid):
    return committed(hall.db_path, "SELECT COUNT(*) FROM outbox WHERE kind = 'rating' AND ref = ?",
                     (rid,))[0][0]


def test_another_windows_case_is_nacked_kept_and_never_forwarded(hall):
    other = invite(hall, "C-A02", "A02")                 # T2's window
    t1 = hall.terminal("T1")
    assert t1.handshake()["t"] == "ack"
    seq = t1.rating(other["eid"], "C-A02", lv=5)
    answer = t1.answer_for(seq)
    assert (answer["t"], answer["code"], answer["perm"]) == ("nack", "not_invited", True)
    assert stored(hall, "T1:%d" % seq) == [("refused", '["no_case"]')]
    assert forwarded(hall, "T1:%d" % seq) == 0
    # Sent again (a replay after a lost answer): the same refusal, still one row.
    t1.rating(other["eid"], "C-A02", lv=5, seq=seq, org="replay")
    assert t1.answer_for(seq)["code"] == "not_invited"
    assert committed(hall.db_path, "SELECT COUNT(*) FROM ratings") == [(1,)]
    # The case is untouched: its own terminal rates it, and that one is forwarded.
    assert invitations.get(hall.db, other["eid"])["state"] in ("queued", "shown")
    t2 = hall.terminal("T2")
    assert t2.handshake()["t"] == "ack"
    seq2 = t2.rating(other["eid"], "C-A02", lv=4)
    assert t2.answer_for(seq2) == {"t": "ack", "seq": seq2}
    assert forwarded(hall, "T2:%d" % seq2) == 1
    assert invitations.get(hall.db, other["eid"])["state"] == "rated"


def test_an_eid_the_hub_never_issued_is_refused_the_same_way(hall):
    t1 = hall.terminal("T1")
    assert t1.handshake()["t"] == "ack"
    seq = t1.rating("never-issued", "C-0", lv=1, oth=True)
    answer = t1.answer_for(seq)
    assert (answer["code"], answer["perm"]) == ("not_invited", True)
    assert stored(hall, "T1:%d" % seq) == [("refused", '["no_case"]')]
    assert committed(hall.db_path, "SELECT kind FROM outbox") == []
    assert committed(hall.db_path, "SELECT action, subject FROM audit WHERE action LIKE "
                     "'rating.%'") == [("rating.refused", "T1:%d" % seq)]


def test_the_firmware_drops_a_not_invited_record_from_its_journal(tmp_path):
    with real_hub(tmp_path, lambda key: SimTerminal("T1", key, str(tmp_path / "flash"))) as hub:
        term = hub.term
        wait(lambda: "评价系统连接正常" in term.texts())
        inv = fw_invite(hub, "C1")
        wait(lambda: "C1" in term.texts())
        # The hub marks it shown on the terminal's ack, which may come after the screen.
        wait(lambda: query(hub.db_path, "SELECT state FROM invitations") == "shown")
        # Meanwhile the case moved to another window (or the terminal is lying):
        # the invitation is no longer this terminal's.
        windows.add(hub.db, "A02")
        hub.db.execute("UPDATE invitations SET window = 'A02', device_id = NULL WHERE eid = ?",
                       (inv["eid"],))
        term.advance(2000)
        term.press(0)
        wait(lambda: query(hub.db_path, "SELECT COUNT(*) FROM ratings") == 1)
        wait(lambda: term.journal_depth() == 0)
        assert term.terminal.link.stats["refused"] == 1, term.terminal.link.stats
        assert query(hub.db_path, "SELECT status FROM ratings") == "refused"
        assert query(hub.db_path, "SELECT COUNT(*) FROM outbox WHERE kind = 'rating'") == 0
        assert term.crashed is None
