"""A simulated terminal running on real MicroPython
(WebAssembly port, simulator/micropython/terminal.mjs) on a pty takes an
invitation from the real hub, shows it in Chinese, takes a press, survives a
reboot with the rating still owed, and delivers it exactly once."""

import time

import pytest

from tests.support.fw import invite, query, real_hub
from tests.support.poll import wait
from simulator.terminal_mp import MpTerminal


@pytest.fixture
def hall(tmp_path):
    with real_hub(tmp_path, lambda key: MpTerminal("T1", key)) as h:
        log = h.term.log
        yield h
    assert not [line for line in log if "Traceback" in line or "stopped" in line], log


def ratings(db_path, sql="SELECT COUNT(*) FROM ratings"):
    return query(db_path, sql)


def test_micropython_terminal_rates_survives_reboot_delivers_once(hall, tmp_path):
    term = hall.term
    wait(lambda: "评价系统连接正常" in term.texts())
    invite(hall, "2024-000777", "不动产登记资料查询", "李娜")
    wait(lambda: "不动产登记资料查询" in term.texts())
    on = term.texts()
    assert "请您对本次服务进行评价" in on and "2024-000777" in on and "李娜" in on
    assert term.png(str(tmp_path / "mp_invitation.png"))
    assert (tmp_path / "mp_invitation.png").read_bytes()[:4] == b"\x89PNG"
    term.unplug()
    term.advance(2500)
    term.press(2)                                   # 基本满意
    wait(lambda: "谢谢您的评价" in term.texts())
    assert term.journal_depth() == 1
    term.reboot()                                   # power cut with the rating owed
    wait(lambda: term.status().get("boot") == 2)
    assert term.journal_depth() == 1 and ratings(hall.db_path) == 0
    term.plug()
    wait(lambda: term.journal_depth() == 0)
    assert ratings(hall.db_path) == 1
    assert ratings(hall.db_path, "SELECT level FROM ratings") == 3
    term.reboot()                                   # nothing owed any more
    wait(lambda: term.status().get("boot") == 3 and term.status().get("online"))
    time.sleep(0.5)
    assert ratings(hall.db_path) == 1 and term.journal_depth() == 0
