"""Terminals on serial lines: real pseudo-terminals opened by the hub with
pyserial (through a /dev/ttyUSB-like link, so the hub does not know it is a
pty), and on the other end a terminal made of the protocol package running
protocol.arq.Link over the pty master."""

import os
import signal
import subprocess
import sys
import time
import tty

import pytest

from hub.ingest import Ingest
from hub.services import invitations, terminals
from hub.store import open_db
from hub.transports.serial_manager import SerialManager
from tests.support.hub_peer import PtyLink, Terminal, committed
from protocol.errors import ProtocolError
from simulator.mpy import REPO_ROOT


class Line:
    """A pty pair with a stable name, as udev gives a USB adapter."""

    def __init__(self, folder, name):
        self.path = os.path.join(folder, name)
        self.master = self.slave = None
        self.plug()

    def plug(self):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        if os.path.lexists(self.path):
            os.unlink(self.path)
        os.symlink(os.ttyname(self.slave), self.path)

    def unplug(self):
        os.unlink(self.path)
        os.close(self.master)
        os.close(self.slave)


def serial_terminal(line, dev, key, **kw):
    t = Terminal(dev, key)
    t.link = PtyLink(line.master, t.inbox.put, **kw)
    t.out = t.link.send
    return t


@pytest.fixture
def hall(tmp_path):
    path = str(tmp_path / "data" / "hub.db")
    db = open_db(path)
    keys = {d: terminals.provision(db, d, w) for d, w in (("T1", "A01"), ("T2", "A02"))}
    ingest = Ingest(path, hall="串口大厅", flood_rate=100, flood_burst=100)
    ingest.start()
    lines = {n: Line(str(tmp_path), "ttyUSB%d" % i) for i, n in enumerate(("T1", "T2"))}
    mgr = SerialManager(ingest, discover=[str(tmp_path / "ttyUSB*")], rescan_s=0.2,
                        backoff_min=0.05, backoff_max=0.2).start()
    ingest.keys, ingest.db, ingest.lines, ingest.mgr = keys, db, lines, mgr
    made = []

    def terminal(dev, key=None, **kw):
        t = serial_terminal(lines[dev], dev, key or keys[dev], **kw)
        made.append(t)
        return t

    ingest.terminal = terminal
    yield ingest
    for t in made:
        t.link.stop()
    mgr.stop()
    ingest.stop()
    db.conn.close()


def invite(hall, cs, window="A01"):
    inv = invitations.create(hall.db, window, cs, "M1", "社保卡补办", staff_id="S1", staff_name="王五")
    hall.notify()
    return inv


def count(db_path, sql):
    return committed(db_path, sql)[0][0]


def test_handshake_invite_rate_ack_over_a_serial_line(hall):
    t = hall.terminal("T1")
    assert t.handshake() == {"t": "ack", "re": 2}
    inv = invite(hall, "C1")
    assert t.wait_for(lambda m: m["t"] == "inv")["eid"] == inv["eid"]
    seq = t.rating(inv["eid"], "C1", lv=1, lb=[115])
    assert t.answer_for(seq) == {"t": "ack", "seq": seq}
    assert count(hall.db_path, "SELECT COUNT(*) FROM ratings WHERE level = 1") == 1
    t.rating(inv["eid"], "C1", lv=1, lb=[115], seq=seq)          # resent after a lost ack
    assert t.answer_for(seq) == {"t": "ack", "seq": seq, "dup": True}
    assert count(hall.db_path, "SELECT COUNT(*) FROM ratings") == 1
    assert terminals.get(hall.db, "T1")["transport"].startswith("serial:")


def test_terminals_of_both_link_versions_rate_once_with_the_hub(hall):
    """PROTOCOL.md §6.4: the hub speaks link version 2 and meets a terminal
    built before it (link version 1 only) on version 1; a new terminal on
    the other line gets version 2."""
    old, new = hall.terminal("T1", link_version=1), hall.terminal("T2")
    for t in (old, new):
        t.handshake()
    assert (old.link.link.version, new.link.link.version) == (1, 2)
    assert old.link.link.stats["bad_header"] >= 1        # the hub's version 2 offer, dropped unread
    inv = invite(hall, "C1")
    assert old.wait_for(lambda m: m["t"] == "inv")["eid"] == inv["eid"]
    seq = old.rating(inv["eid"], "C1", lv=5, lb=[])
    assert old.answer_for(seq) == {"t": "ack", "seq": seq}
    inv2 = invite(hall, "C2", window="A02")
    assert new.wait_for(lambda m: m["t"] == "inv")["eid"] == inv2["eid"]
    seq2 = new.rating(inv2["eid"], "C2", lv=4, lb=[])
    assert new.answer_for(seq2) == {"t": "ack", "seq": seq2}
    assert committed(hall.db_path, "SELECT case_serial, level FROM ratings ORDER BY case_serial") == \
        [("C1", 5), ("C2", 4)]


def test_bad_label_over_serial_is_nacked_and_not_stored(hall):
    t = hall.terminal("T1")
    t.handshake()
    t.rating("e1", "C1", lv=4, lb=[115], seq=1, unchecked=True)
    answer = t.answer_for(1)
    assert answer["code"] == "bad_label" and answer["perm"]
    assert count(hall.db_path, "SELECT COUNT(*) FROM ratings") == 0


def test_wrong_key_and_unknown_device_over_serial(hall):
    from tests.support.hub_peer import Terminal as T
    bad = hall.terminal("T1", key=bytes(32))
    with pytest.raises(ProtocolError) as e:      # the hub's proof does not verify
        bad.handshake()
    assert e.value.code == "auth_failed"
    answer = bad.forged_handshake(timeout=10)     # an impostor ignoring that check
    assert answer["code"] == "auth_failed" and not answer["perm"]
    assert hall.counters.of("T1")["auth_failed"] == 1
    bad.link.stop()
    hall.lines["T1"].unplug()        # re-plug to start clean
    hall.lines["T1"].plug()
    stranger = T("X1", bytes(32))
    stranger.link = PtyLink(hall.lines["T1"].master, stranger.inbox.put)
    stranger.out = stranger.link.send
    try:
        answer = stranger.handshake(timeout=10)
        assert answer["code"] == "unknown_device" and answer["perm"]
        assert hall.unknown_devices == {"X1": 1}
    finally:
        stranger.link.stop()


def test_flood_on_one_line_while_another_keeps_rating(hall):
    noisy, calm = hall.terminal("T1"), hall.terminal("T2")
    noisy.handshake()
    calm.handshake()
    hb = noisy.session.seal({"t": "hb", "up": 1, "heap": 1, "jd": 0})
    for _ in range(600):
        noisy.out(hb)
    acked = 0
    for i in range(5):
        inv = invite(hall, "K%d" % i, "A02")
        seq = calm.rating(inv["eid"], "K%d" % i)
        acked += calm.answer_for(seq, timeout=10)["t"] == "ack"
    assert acked == 5
    noisy.wait_for(lambda m: m.get("code") == "rate_limited", timeout=10)
    assert hall.counters.of("T1")["rate_limited"] > 0


def test_port_that_vanishes_is_reopened_when_it_returns(hall):
    t = hall.terminal("T1")
    t.handshake()
    other = hall.terminal("T2")
    other.handshake()
    t.link.stop()
    hall.lines["T1"].unplug()
    deadline = time.monotonic() + 5
    while hall.connection("T1") is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hall.connection("T1") is None                      # seen offline
    seq = other.rating(invite(hall, "C9", "A02")["eid"], "C9")  # the other line is unaffected
    assert other.answer_for(seq)["t"] == "ack"
    time.sleep(0.5)                                            # a few failed reopens
    hall.lines["T1"].plug()
    back = serial_terminal(hall.lines["T1"], "T1", hall.keys["T1"])
    try:
        assert back.handshake(timeout=10) == {"t": "ack", "re": 2}
        seq = back.rating(invite(hall, "C10")["eid"], "C10", seq=50)
        assert back.answer_for(seq)["t"] == "ack"
    finally:
        back.link.stop()
    status = hall.mgr.status()[hall.lines["T1"].path]
    assert status["opens"] >= 2 and status["vanished"] + status["open_failures"] >= 1


def test_kill_9_loses_nothing_that_was_acked(tmp_path):
    path = str(tmp_path / "data" / "hub.db")
    db = open_db(path)
    key = terminals.provision(db, "T1", "A01")
    eids = [invitations.create(db, "A01", "C%d" % i, "M1", "事项", staff_id="S1",
                               staff_name="甲")["eid"] for i in range(150)]
    db.conn.close()
    line = Line(str(tmp_path), "ttyUSB0")
    child = subprocess.Popen([sys.executable, "-m", "tests.hub.serial_child", path,
                              str(tmp_path / "ttyUSB*")], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    t = None
    try:
        assert child.stdout.readline().strip() == "ready"
        t = serial_terminal(line, "T1", key)
        t.handshake(timeout=10)
        for i, eid in enumerate(eids):
            t.rating(eid, "C%d" % i, seq=i + 1)
        acked = set()
        while len(acked) < 60:
            m = t.wait_for(lambda m: m["t"] == "ack" and "seq" in m, timeout=10)
            acked.add(m["seq"])
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
        if t is not None:
            t.link.stop()
    db = open_db(path)
    stored = {r["seq"] for r in db.query("SELECT seq FROM ratings WHERE device_id = 'T1'")}
    assert acked <= stored, "acked but lost: %s" % sorted(acked - stored)
    assert len(stored) == len({r["rating_id"] for r in db.query("SELECT rating_id FROM ratings")})


def test_serial_part_from_config_reports_ports(tmp_path):
    from types import SimpleNamespace
    from hub.transports.serial_ports import start_for_config
    path = str(tmp_path / "data" / "hub.db")
    open_db(path).conn.close()
    ingest = Ingest(path)
    ingest.start()
    line = Line(str(tmp_path), "ttyACM0")
    health = SimpleNamespace(state=None, detail=None)
    health.set = lambda state, detail="": health.__dict__.update(state=state, detail=detail)
    cfg = SimpleNamespace(serial=SimpleNamespace(ports=[str(tmp_path / "ttyS9")],
                                                 discover=[str(tmp_path / "ttyACM*")],
                                                 baudrate=115200, rescan_s=1))
    part = start_for_config(cfg, ingest, health)
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            status = part.report()
            if status.get(line.path, {}).get("state") == "open":
                break
            time.sleep(0.05)
        assert status[line.path]["state"] == "open"
        assert status[str(tmp_path / "ttyS9")]["state"] == "retrying"    # listed, absent
        assert health.state == "degraded" and "ttyS9" in health.detail
    finally:
        part.stop()
        ingest.stop()
        line.unplug()
