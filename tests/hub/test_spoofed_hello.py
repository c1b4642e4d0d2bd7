"""A hello proves nothing: whoever says hello with a terminal's device id and
without its key must not cut the terminal off. The live session stays
until a new handshake of that device completes (its auth verified), and a
real reboot (a new hello and auth) still takes over at once.

Over MQTT with the real broker, MQTT link and ingest (tests/hub/test_mqtt_ingest.py's
Hall), the spoofer a plain paho client publishing on the terminal's up
topic; on a serial connection of the ingest the same, by a second device id.
"""

import os
import threading
import time

from hub.services import terminals
from protocol import topics
from protocol.codec import encode
from tests.hub.test_mqtt_ingest import HALL, hall_factory  # noqa: F401 - the fixture
from tests.hub.test_ingest import hub, invite  # noqa: F401 - the fixture
from tests.support.hub_peer import Terminal
from tests.support.mqtt_observer import Observer


def spoofed_hello(dev, mid):
    return encode({"t": "hello", "mid": mid, "dev": dev, "fw": "6.6.6", "board": "laptop",
                   "pv": 1, "jd": 0, "dn": os.urandom(8).hex()}, "up")


class Spoofer:
    """Says hello as DEV every PERIOD s, with a fresh nonce, never answering a chal."""

    def __init__(self, send, dev, period=0.1):
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(send, dev, period), daemon=True)
        self._thread.start()

    def _run(self, send, dev, period):
        while not self._stop.is_set():
            # mids far from the terminal's own, as they would be: the real
            # terminal matches a chal by its hello's mid and nonce.
            send(spoofed_hello(dev, 100000 + self.sent))
            self.sent += 1
            self._stop.wait(period)

    def stop(self):
        self._stop.set()
        self._thread.join(5)


def serve_one_case(hall, t, cs):
    """The hub invites case CS; the terminal shows it (ack), the citizen rates
    it, the hub acks the rating -> the seq."""
    hall.invite(t.device_id, cs)
    inv = t.wait_for(lambda m: m["t"] == "inv" and m["cs"] == cs)
    t.send({"t": "ack", "re": inv["mid"]})
    seq = t.rating(inv["eid"], cs, lv=5)
    assert t.answer_for(seq) == {"t": "ack", "seq": seq}
    return seq


def test_hellos_without_the_key_do_not_cut_the_terminal_off_over_mqtt(hall_factory, mosquitto):
    hall = hall_factory(["W1"])
    t = hall.fleet.terminal("W1", hall.keys["W1"])
    assert t.handshake() == {"t": "ack", "re": 2}
    spy = Observer(mosquitto, [])
    spoofer = Spoofer(lambda p: spy.publish(topics.up(HALL, "W1"), p), "W1")
    try:
        end = time.monotonic() + 3.0
        served = []
        while time.monotonic() < end or len(served) < 3:
            served.append(serve_one_case(hall, t, "C-%d" % len(served)))
        assert spoofer.sent >= 20
        t.send({"t": "hb", "up": 9, "heap": 90000, "jd": 0, "mid": 77})
        assert t.wait_for(lambda m: m["t"] == "ack" and m.get("re") == 77)
    finally:
        spoofer.stop()
        spy.close()
    assert not [m for m in t.seen if m["t"] == "nack"], t.seen
    assert hall.ingest.online() == ["W1"]
    rows = hall.rows("SELECT case_serial FROM ratings ORDER BY seq")
    assert rows == [("C-%d" % i,) for i in range(len(served))]


def test_a_real_reboot_takes_over_at_once_while_the_spoofer_goes_on(hall_factory, mosquitto):
    hall = hall_factory(["W1"])
    before = hall.fleet.terminal("W1", hall.keys["W1"])
    assert before.handshake()["t"] == "ack"
    spy = Observer(mosquitto, [])
    spoofer = Spoofer(lambda p: spy.publish(topics.up(HALL, "W1"), p), "W1")
    try:
        time.sleep(0.5)
        # The terminal reboots: the same MQTT client, a new protocol state.
        after = Terminal.on_line_of(before, "W1", hall.keys["W1"])
        started = time.monotonic()
        assert after.handshake(timeout=2.0)["t"] == "ack"
        assert time.monotonic() - started < 2.0
        serve_one_case(hall, after, "C-after")
        # What the old session sends now is refused: the new one replaced it.
        before.send({"t": "hb", "up": 1, "heap": 1, "jd": 0})
        assert after.wait_for(lambda m: m["t"] == "nack")["code"] == "no_session"
        serve_one_case(hall, after, "C-after-2")
    finally:
        spoofer.stop()
        spy.close()
    assert hall.ingest.online() == ["W1"]


def test_a_hello_naming_another_device_on_a_serial_line_leaves_its_terminal_online(hub):
    t1 = Terminal.direct(hub, "T1", hub.keys["T1"], transport="serial")
    assert t1.handshake()["t"] == "ack" and hub.online() == ["T1"]
    t1.wait_for(lambda m: m["t"] == "duty")        # the last of T1's session downlink
    for i in range(5):         # T2 is provisioned, but whoever says so has not its key
        t1.conn.receive(spoofed_hello("T2", 100000 + i))
        t1.conn.receive(spoofed_hello("T1", 200000 + i))
    assert hub.online() == ["T1"]
    inv = invite(hub, "C1")
    got = t1.wait_for(lambda m: m["t"] == "inv")
    assert got["eid"] == inv["eid"]
    seq = t1.rating(inv["eid"], "C1")
    assert t1.answer_for(seq) == {"t": "ack", "seq": seq}
    # The real T2 plugged into the line takes it over once its auth verifies.
    t2 = Terminal.on_line_of(t1, "T2", hub.keys["T2"])
    assert t2.handshake()["t"] == "ack"
    assert hub.online() == ["T2"]


def test_a_spoofer_beside_a_live_session_is_not_blamed_on_the_terminals_key(hub):
    t = Terminal.direct(hub, "T1", hub.keys["T1"])
    assert t.handshake()["t"] == "ack"
    for i in range(3):
        t.conn.receive(spoofed_hello("T1", 100000 + i))
    t.conn.challenge_unanswered(5.0)          # what liveness says 5 s later
    hub._flush_counters()                     # what the housekeeping does every second
    hub.writer.call(lambda db: None)
    problem = terminals.get(hub.db, "T1")["problem"]
    assert problem["code"] == "auth_failed"
    assert "online in a session" in problem["detail"] and "rekey" not in problem["detail"]
