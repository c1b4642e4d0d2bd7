"""The firmware on the MicroPython Unix port over a pty serial line to the real hub.

firmware/boards/unix.py opens one end of a pty cable as its hub UART (a
file, raw, VMIN=0); the hub's serial manager opens the other end through a
ttyUSB-like link. Code from .mpy, under the recorded hard heap cap."""

import time

import pytest

from tests.support.fw import invite, invite_and_press, query, real_hub, shows
from tests.support.poll import wait
from tests.support.unix_port import RECORDED_CAP, UnixTerminal

ONLINE = "评价系统连接正常"


@pytest.fixture
def hall(tmp_path, mpy_tree):
    with real_hub(tmp_path, lambda key: UnixTerminal("T1", key, tmp_path / "flash",
                                                     heap=RECORDED_CAP, tree=mpy_tree)) as h:
        yield h
    assert h.term.crashed is None, h.term.crashed


def test_good_and_bad_rating_with_labels_over_the_pty(hall):
    term = hall.term
    wait(shows(term, ONLINE))
    idle = term.frame()
    invite_and_press(hall, "U1", 0)
    wait(lambda: query(hall.db_path, "SELECT COUNT(*) FROM ratings WHERE level = 5") == 1)
    wait(lambda: term.journal_depth() == 0)
    term.advance(4000)
    invite(hall, "U2")
    wait(lambda: "U2" in term.texts())
    assert len(idle) == 320 * 240 // 8 and term.frame() != idle    # the framebuf, dumped
    term.advance(2000)
    term.press(3)                                   # 不满意
    wait(shows(term, "请选择不满意的原因"))
    for b in (2, 1, 2, 3):                          # choose, move down, choose, done
        term.advance(300)
        term.press(b)
    wait(lambda: query(hall.db_path, "SELECT COUNT(*) FROM ratings WHERE level = 2") == 1)
    labels = query(hall.db_path, "SELECT labels FROM ratings WHERE level = 2")
    assert labels.count(",") == 1, labels           # two labels
    wait(lambda: term.journal_depth() == 0)
    assert query(hall.db_path, "SELECT COUNT(*) FROM ratings") == 2


def test_power_cut_with_a_rating_owed_replays_it_once(hall):
    term = hall.term
    wait(shows(term, ONLINE))
    invite(hall, "U3")
    wait(lambda: "U3" in term.texts())
    term.unplug()                                   # the hub never hears the rating
    term.advance(2000)
    term.press(1)
    wait(shows(term, "谢谢您的评价"))
    assert term.journal_depth() == 1
    term.kill()                                     # power cut, the rating owed
    term.start()                                    # same flash directory
    st = term.state()
    assert st["boot"] == 2 and st["depth"] == 1
    term.plug()
    wait(lambda: term.journal_depth() == 0, 30)
    assert query(hall.db_path, "SELECT COUNT(*) FROM ratings WHERE case_serial = 'U3'") == 1
    term.reboot()                                   # and again: nothing left to send
    wait(shows(term, ONLINE))
    time.sleep(0.5)
    assert query(hall.db_path, "SELECT COUNT(*) FROM ratings") == 1
