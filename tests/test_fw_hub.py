"""The firmware on the simulated board against the real hub: hub.ingest with its
serial transport opening the terminal's pty (through a ttyUSB-like link, so
the hub does not know it is a pty), a real SQLite store, invitations made by
the hub's own service."""

import os
import sqlite3
import time

import pytest

from hub.ingest import Ingest
from hub.services import invitations, terminals
from hub.store import open_db
from hub.transports.serial_manager import SerialManager
from simulator.terminal import SimTerminal


def wait(cond, timeout=15.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.02)
    raise AssertionError("condition not met within %s s" % timeout)


def count(db_path, sql):
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
    term = SimTerminal("T1", key, str(tmp_path / "flash"))
    os.symlink(term.port, str(tmp_path / "ttyUSB0"))
    mgr = SerialManager(ingest, discover=[str(tmp_path / "ttyUSB*")], rescan_s=0.2,
                        backoff_min=0.05, backoff_max=0.2).start()
    ingest.db, ingest.term = db, term
    yield ingest
    term.close()
    mgr.stop()
    ingest.stop()
    db.conn.close()
    assert term.crashed is None


def invite(hall, cs):
    inv = invitations.create(hall.db, "A01", cs, "M1", "社会保障卡补办", staff_id="S1",
                             staff_name="王五")
    hall.notify()
    return inv


def test_real_hub_invite_press_ack_and_bad_rating(hall):
    term = hall.term
    wait(lambda: "评价系统连接正常" in term.texts())
    invite(hall, "C1")
    wait(lambda: "社会保障卡补办" in term.texts())
    term.advance(2000)
    term.press(0)
    wait(lambda: count(hall.db_path, "SELECT COUNT(*) FROM ratings WHERE level = 5") == 1)
    wait(lambda: term.journal_depth() == 0)
    term.advance(4000)
    invite(hall, "C2")
    wait(lambda: "C2" in term.texts())
    term.advance(2000)
    term.press(4)
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
