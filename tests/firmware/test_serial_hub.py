"""The firmware on the simulated board against the real hub: hub.ingest with its
serial transport opening the terminal's pty (through a ttyUSB-like link, so
the hub does not know it is a pty), a real SQLite store, invitations made by
the hub's own service."""

import time

import pytest

from tests.support.fw import invite, invite_and_press, query as count, real_hub
from tests.support.poll import wait
from simulator.terminal import SimTerminal


@pytest.fixture
def hall(tmp_path):
    with real_hub(tmp_path, lambda key: SimTerminal("T1", key, str(tmp_path / "flash"))) as h:
        yield h
    assert h.term.crashed is None


def test_real_hub_invite_press_ack_and_bad_rating(hall):
    term = hall.term
    wait(lambda: "评价系统连接正常" in term.texts())
    invite_and_press(hall, "C1", 0)
    wait(lambda: count(hall.db_path, "SELECT COUNT(*) FROM ratings WHERE level = 5") == 1)
    wait(lambda: term.journal_depth() == 0)
    term.advance(4000)
    invite_and_press(hall, "C2", 4)
    wait(lambda: "请选择非常不满意的原因" in term.texts())
    term.advance(300)
    term.press(2)                                   # 108
    wait(lambda: "已选 1 项" in term.texts())
    term.advance(300)
    term.press(3)
    wait(lambda: count(hall.db_path, "SELECT COUNT(*) FROM ratings WHERE level = 1") == 1)
    wait(lambda: term.journal_depth() == 0)
    assert count(hall.db_path, "SELECT COUNT(*) FROM ratings") == 2


def test_real_hub_reboot_with_a_rating_owed_delivers_it_once(hall):
    term = hall.term
    wait(lambda: "评价系统连接正常" in term.texts())
    invite(hall, "C3")
    wait(lambda: "C3" in term.texts())
    term.unplug()
    term.advance(2000)
    term.press(1)
    wait(lambda: "谢谢您的评价" in term.texts())
    assert term.journal_depth() == 1
    term.reboot()                                   # power cut with the rating owed
    wait(lambda: term.terminal is not None and term.terminal.boot == 2)
    assert term.journal_depth() == 1
    term.plug()
    wait(lambda: term.journal_depth() == 0)
    assert count(hall.db_path, "SELECT COUNT(*) FROM ratings") == 1
    term.reboot()                                   # and again: nothing left to send
    wait(lambda: "评价系统连接正常" in term.texts())
    time.sleep(0.5)
    assert count(hall.db_path, "SELECT COUNT(*) FROM ratings") == 1
