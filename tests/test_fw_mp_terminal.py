"""The done-when of issue 3: a simulated terminal running on real MicroPython
(WebAssembly port, simulator/micropython/terminal.mjs) on a pty takes an
invitation from the real hub, shows it in Chinese, takes a press, survives a
reboot with the rating still owed, and delivers it exactly once."""

import os
import sqlite3
import time

import pytest

from hub.ingest import Ingest
from hub.services import invitations, terminals
from hub.store import open_db
from hub.transports.serial_manager import SerialManager
from simulator.terminal_mp import MpTerminal


def wait(cond, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("condition not met within %s s" % timeout)


def ratings(db_path, sql="SELECT COUNT(*) FROM ratings"):
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def hall(tmp_path):
    path = str(tmp_path / "hub.db")
    db = open_db(path)
    key = bytes.fromhex(terminals.provision(db, "T1", "A01"))
    ingest = Ingest(path, hall="政务服务大厅")
    ingest.start()
    term = MpTerminal("T1", key)
    os.symlink(term.port, str(tmp_path / "ttyUSB0"))
    mgr = SerialManager(ingest, discover=[str(tmp_path / "ttyUSB*")], rescan_s=0.2,
                        backoff_min=0.05, backoff_max=0.2).start()
    ingest.db, ingest.term = db, term
    yield ingest
    log = term.log
    term.close()
    mgr.stop()
    ingest.stop()
    db.conn.close()
    assert not [line for line in log if "Traceback" in line or "stopped" in line], log


def test_micropython_terminal_rates_survives_reboot_delivers_once(hall, tmp_path):
    term = hall.term
    wait(lambda: "评价系统连接正常" in term.texts())
    invitations.create(hall.db, "A01", "2024-000777", "M1", "不动产登记资料查询", staff_id="S9",
                       staff_name="李娜")
    hall.notify()
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
