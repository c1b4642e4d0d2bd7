"""A case replaced on the terminal by a newer one is `superseded`, not
`timed_out`: the firmware on the simulated board against the real hub
(serial transport over a pty, SQLite), as in test_serial_hub.py."""

import time

import pytest

from hub.services import invitations
from simulator.terminal import SimTerminal
from tests.support.fw import query, real_hub
from tests.support.poll import wait


@pytest.fixture
def hall(tmp_path):
    with real_hub(tmp_path, lambda key: SimTerminal("T1", key, str(tmp_path / "flash"))) as h:
        wait(lambda: "评价系统连接正常" in h.term.texts())
        yield h
    assert h.term.crashed is None


def invite(hall, cs, timeout_s=20):
    inv = invitations.create(hall.db, "A01", cs, "M1", "社会保障卡补办", staff_id="S1",
                             staff_name="王五", timeout_s=timeout_s)
    hall.notify()
    return inv["eid"]


def state(hall, eid):
    return invitations.get(hall.db, eid)["state"]


def settled(hall, eid, expected):
    wait(lambda: state(hall, eid) == expected)
    return invitations.get(hall.db, eid)


def timeouts(hall):
    return query(hall.db_path, "SELECT COUNT(*) FROM timeouts")


def test_a_case_replaced_after_3_s_is_superseded_and_the_new_one_shown(hall):
    a = invite(hall, "CASE-A")
    settled(hall, a, "shown")
    wait(lambda: "CASE-A" in hall.term.texts())
    hall.term.advance(3000)                      # 3 s of its 20 s on the screen
    b = invite(hall, "CASE-B")
    wait(lambda: "CASE-B" in hall.term.texts())
    settled(hall, b, "shown")
    assert settled(hall, a, "superseded")["shown_at"] is not None
    wait(lambda: hall.term.journal_depth() == 0)
    assert timeouts(hall) == 1                   # the terminal's event is kept as it came


def test_a_case_nobody_rates_in_its_time_is_still_timed_out(hall):
    a = invite(hall, "CASE-A", timeout_s=20)
    settled(hall, a, "shown")
    wait(lambda: "CASE-A" in hall.term.texts())
    hall.term.advance(21000)
    settled(hall, a, "timed_out")
    wait(lambda: "CASE-A" not in hall.term.texts())


def test_after_a_link_gap_the_newest_case_is_shown_and_the_older_never_were(hall):
    term = hall.term
    term.unplug()
    eids = [invite(hall, "CASE-%d" % n) for n in range(3)]
    time.sleep(0.3)
    term.plug()
    wait(lambda: "CASE-2" in term.texts())
    settled(hall, eids[2], "shown")
    for n, eid in enumerate(eids[:2]):
        inv = settled(hall, eid, "superseded")
        assert inv["shown_at"] is None and inv["note"].split()[2] in eids[n + 1:]
    time.sleep(0.5)                              # no flurry of events comes later either
    assert timeouts(hall) == 0 and term.journal_depth() == 0
    assert not any("CASE-0" in t or "CASE-1" in t for t in term.texts())
