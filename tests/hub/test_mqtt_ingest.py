"""The MQTT transport with the real ingest, SQLite file and mosquitto.

Terminals are protocol peers (tests/support/hub_peer.py) speaking through the
firmware's MQTT client (tests/support/mqtt_terminals.py); the hub is hub.ingest.Ingest
behind hub.transports.mqtt_link.MqttLink, as in a hall.
"""

import threading
import time

import pytest

from hub.ingest import Ingest
from hub.services import invitations, terminals
from hub.store import open_db
from hub.transports.mqtt_link import MqttLink
from protocol import topics
from tests.support.mqtt_observer import Observer
from tests.support.poll import wait
from tests.support.hub_peer import committed
from tests.support.mqtt_terminals import MqttFleet

HALL = "hall-1"


class Hall:
    def __init__(self, tmp_path, broker, devices):
        self.path = str(tmp_path / "hub.db")
        self.db = open_db(self.path)
        self.keys = {d: terminals.provision(self.db, d, "W%s" % d) for d in devices}
        self.ingest = Ingest(self.path, hall=HALL)
        self.ingest.start()
        self.link = MqttLink(self.ingest, HALL, broker.host, broker.port, **broker.hub_login(HALL),
                             client_id="hub-it",
                             retry_s=0.5)
        self.link.start()
        assert self.link.wait_connected(10)
        self.fleet = MqttFleet(broker, HALL)

    def invite(self, device, cs):
        inv = invitations.create(self.db, "W%s" % device, cs, "M1", "个体工商户登记",
                                 staff_id="S01", staff_name="张三")
        self.ingest.deliver_pending(device)
        return inv

    def rows(self, sql, params=()):
        return committed(self.path, sql, params)

    def close(self):
        self.fleet.close()
        self.link.stop()
        self.ingest.stop()
        self.db.conn.close()


@pytest.fixture
def hall_factory(tmp_path, mosquitto):
    made = []

    def make(devices):
        h = Hall(tmp_path, mosquitto, devices)
        made.append(h)
        return h
    yield make
    for h in made:
        h.close()


def test_fifty_terminals_invited_rate_and_are_acked_after_commit(hall_factory):
    devices = ["T%02d" % i for i in range(50)]
    hall = hall_factory(devices)
    terms = {}
    for d in devices:
        t = terms[d] = hall.fleet.terminal(d, hall.keys[d])
        assert t.handshake() == {"t": "ack", "re": 2}
    for d in devices:
        hall.invite(d, "C-" + d)
    for d, t in terms.items():
        inv = t.wait_for(lambda m: m["t"] == "inv")
        t.send({"t": "ack", "re": inv["mid"]})
        seq = t.rating(inv["eid"], inv["cs"], lv=4)
        terms[d] = (t, seq)
    for d, (t, seq) in terms.items():
        assert t.answer_for(seq) == {"t": "ack", "seq": seq}
    rows = hall.rows("SELECT device_id, case_serial, level FROM ratings ORDER BY device_id")
    assert rows == [(d, "C-" + d, 4) for d in devices]
    assert hall.ingest.online() == devices


def rate_until_acked(t, eid, cs, seqs, timeout=80.0):
    """A terminal's journal: each rating is resent until the hub acks it (or
    refuses it for good, perm: a made-up eid is not_invited, stored all the
    same); a
    no_session nack (the hub lost the session; it names no seq, since it
    cannot open the packet) means a new handshake, as firmware/app/hub_link
    does."""
    deadline = time.monotonic() + timeout
    for seq in seqs:
        while True:
            if time.monotonic() > deadline:
                raise AssertionError("%s: rating %d never acked" % (t.device_id, seq))
            try:
                if t.session is None:
                    t.handshake(timeout=1.0)
                    continue
                t.rating(eid, "%s-%d" % (cs, seq), seq=seq)
                answer = t.wait_for(lambda m: m["t"] in ("ack", "nack") and (
                    m.get("seq") == seq or m.get("code") == "no_session"), timeout=1.0)
            except AssertionError:          # no answer in time, or client offline
                time.sleep(0.05)
                continue
            if answer["t"] == "ack" or answer.get("perm"):
                break
            if answer.get("code") == "no_session":
                t.session = None


def test_broker_killed_mid_stream_every_rating_stored_once(hall_factory, mosquitto):
    N = 40
    devices = ["K%d" % i for i in range(8)]
    hall = hall_factory(devices)
    terms = [hall.fleet.terminal(d, hall.keys[d]) for d in devices]
    for t in terms:
        t.handshake()
    errors = []

    def work(t):
        try:
            rate_until_acked(t, "made-up-" + t.device_id, "C" + t.device_id, range(1, N + 1))
        except AssertionError as e:
            errors.append(e)
    threads = [threading.Thread(target=work, args=(t,)) for t in terms]
    for th in threads:
        th.start()
    # Kill the broker mid-stream: after some ratings are stored, long before all.
    wait(lambda: hall.rows("SELECT COUNT(*) FROM ratings")[0][0] >= 20, 30, "first ratings")
    mosquitto.restart(0.5, kill=True)
    for th in threads:
        th.join(90)
    assert not errors
    for d in devices:
        stored = hall.rows("SELECT seq FROM ratings WHERE device_id = ? ORDER BY seq", (d,))
        assert stored == [(s,) for s in range(1, N + 1)]
    wait(lambda: hall.link.connects >= 2, 10, "the hub back on the broker")


def test_last_will_marks_the_terminal_offline(hall_factory):
    hall = hall_factory(["W1", "W2"])
    t1 = hall.fleet.terminal("W1", hall.keys["W1"])
    t2 = hall.fleet.terminal("W2", hall.keys["W2"])
    t1.handshake()
    t2.handshake()
    wait(lambda: hall.ingest.online() == ["W1", "W2"])
    c = hall.fleet.client("W1")
    hall.fleet.call(c._stopped.set)       # stay away after the drop
    hall.fleet.call(c.abort)
    wait(lambda: hall.ingest.online() == ["W2"], what="W1 offline from its last will")
    hall.ingest.writer.call(lambda db: None)
    assert not terminals.get(hall.db, "W1")["online"]
    assert terminals.get(hall.db, "W2")["online"]


def test_garbage_and_oversized_counted_per_device_others_served(hall_factory, mosquitto):
    hall = hall_factory(["G1", "B1"])
    good = hall.fleet.terminal("G1", hall.keys["G1"])
    good.handshake()
    bad = Observer(mosquitto, [])
    bad.publish(topics.up(HALL, "B1"), b"\x00garbage" * 10)
    bad.publish(topics.up(HALL, "B1"), b'{"t":"rating"' + b" " * 3000 + b"}")
    bad.publish(topics.up(HALL, "X9"), b'{"t":"hello","mid":1}')
    seq = good.rating("made-up", "C1")
    assert good.answer_for(seq)["code"] == "not_invited"         # served, and kept for review
    wait(lambda: hall.ingest.counters.of("mqtt:B1"), what="ingest counts the garbage")
    assert hall.link.status()["errors"]["B1"] == {"too_large": 1}
    assert sum(hall.ingest.counters.of("mqtt:B1").values()) == 1
    assert hall.rows("SELECT COUNT(*) FROM ratings") == [(1,)]
    bad.close()
