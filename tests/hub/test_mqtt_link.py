"""The hub's MQTT transport (hub/transports/mqtt_link.py) against a real mosquitto.

The ingest here is a stand-in that records what the transport hands it and
answers `{"t":"rating","seq":N}` with `{"t":"ack","seq":N}` the way the real
ingest acks after its commit; terminals are the firmware's MQTT client
(firmware/net) and paho. tests/hub/test_mqtt_ingest.py runs the real ingest.
"""

import asyncio
import json
import threading
import time

import pytest

from firmware.net.mqtt_client import MQTTClient
from hub.transports.mqtt_devices import BAD_TOPIC
from hub.transports.mqtt_link import MqttLink, message_type
from protocol import topics
from tests.support.mqtt_observer import Observer
from tests.support.poll import wait

HALL = "hall-1"


class StandInConn:
    def __init__(self, ingest, label, send):
        self.ingest, self.label, self.send = ingest, label, send
        self.packets = []
        self.closed = False

    def receive(self, packet):
        self.packets.append(bytes(packet))
        try:
            msg = json.loads(packet)
        except ValueError:
            self.ingest.garbage[self.label] = self.ingest.garbage.get(self.label, 0) + 1
            return
        if msg.get("t") == "rating":
            with self.ingest.lock:
                self.ingest.stored.setdefault(self.label, set()).add(msg["seq"])
            self.send(b'{"t":"ack","seq":%d}' % msg["seq"])

    def close(self, why=None, level=None):
        self.closed = True


class StandInIngest:
    def __init__(self):
        self.lock = threading.Lock()
        self.conns = []
        self.stored = {}
        self.garbage = {}

    def attach(self, transport, label, send):
        assert transport == "mqtt"
        conn = StandInConn(self, label, send)
        with self.lock:
            self.conns.append(conn)
        return conn

    def conns_of(self, label):
        with self.lock:
            return [c for c in self.conns if c.label == label]


@pytest.fixture
def hub(mosquitto):
    ingest = StandInIngest()
    link = MqttLink(ingest, HALL, mosquitto.host, mosquitto.port, **mosquitto.hub_login(HALL),
                    client_id="hub-test",
                    retry_s=0.5, stale_after_s=60)
    link.start()
    assert link.wait_connected(10)
    yield link, ingest
    link.stop()


def test_message_type_is_read_without_decoding():
    assert message_type(b'{"t":"hb","up":1}~0123abcd0123456789abcdef') == "hb"
    assert message_type(b'{"t":"ack","seq":3}') == "ack"
    assert message_type(b"garbage") is None
    assert message_type(b'{"t":"' + b"x" * 40) is None


class Terminal:
    """A terminal's journal over the firmware MQTT client: a rating stays
    until the hub's ack and is resent every `resend_s` until then."""

    def __init__(self, broker, device, resend_s=0.5):
        self.device = device
        self.owed = {}                 # seq -> time last sent
        self.acked = set()
        self.resend_s = resend_s
        self.client = MQTTClient(HALL, device, broker.host, broker.port, on_packet=self._down,
                                 backoff_min_ms=50, backoff_max_ms=500, max_outbox=64,
                                 log=lambda *a: None, **broker.terminal_login(HALL, device))

    def _down(self, packet):
        msg = json.loads(packet)
        if msg["t"] == "ack":
            self.owed.pop(msg["seq"], None)
            self.acked.add(msg["seq"])

    def rate(self, seq):
        self.owed[seq] = None

    def pump(self):
        now = time.monotonic()
        for seq, at in list(self.owed.items()):
            if (at is None or now - at > self.resend_s) and self.client.connected:
                if self.client.send(b'{"t":"rating","seq":%d}' % seq, "rating"):
                    self.owed[seq] = now


async def run_fleet(terminals, ratings_each, during=None, timeout=60):
    tasks = [asyncio.create_task(t.client.run()) for t in terminals]
    deadline = time.monotonic() + timeout
    for seq in range(1, ratings_each + 1):
        for t in terminals:
            t.rate(seq)
            t.pump()
        if during is not None and seq == ratings_each // 2:
            await asyncio.to_thread(during)
        await asyncio.sleep(0.005)
    while any(t.owed for t in terminals):
        if time.monotonic() > deadline:
            raise AssertionError("ratings still owed: %s"
                                 % {t.device: sorted(t.owed)[:5] for t in terminals if t.owed})
        for t in terminals:
            t.pump()
        await asyncio.sleep(0.02)
    for t in terminals:
        await t.client.stop()
    await asyncio.gather(*tasks)


def test_many_terminals_each_routed_to_its_own_connection(hub, mosquitto):
    link, ingest = hub
    terminals = [Terminal(mosquitto, "T%03d" % i) for i in range(60)]
    asyncio.run(run_fleet(terminals, 10))
    wait(lambda: link.status()["online"] == [], what="all offline")
    for t in terminals:
        assert t.acked == set(range(1, 11))
        assert ingest.stored[t.device] == set(range(1, 11))
        conns = ingest.conns_of(t.device)
        # attached once; closed when the terminal said offline at its stop()
        assert len(conns) == 1 and conns[0].closed


def test_broker_killed_mid_stream_loses_no_acked_rating(hub, mosquitto):
    """kill -9 of the broker: whatever it held in RAM is gone, but a terminal
    keeps each rating until the hub's ack, so every one arrives."""
    link, ingest = hub
    terminals = [Terminal(mosquitto, "K%02d" % i) for i in range(20)]
    asyncio.run(run_fleet(terminals, 40, during=lambda: mosquitto.restart(0.5, kill=True)))
    for t in terminals:
        assert t.acked == set(range(1, 41))
        assert ingest.stored[t.device] == set(range(1, 41))
    assert link.connects >= 2 and link.connected


def test_uplinks_queued_while_the_hub_was_away_are_delivered(mosquitto):
    ingest = StandInIngest()
    link = MqttLink(ingest, HALL, mosquitto.host, mosquitto.port, **mosquitto.hub_login(HALL),
                    client_id="hub-away")
    link.start()
    assert link.wait_connected(10)
    link.stop()
    up = Observer(mosquitto, [])
    for seq in range(1, 51):
        up.publish(topics.up(HALL, "T1"), b'{"t":"rating","seq":%d}' % seq, qos=1)
    link = MqttLink(ingest, HALL, mosquitto.host, mosquitto.port, **mosquitto.hub_login(HALL),
                    client_id="hub-away")
    link.start()
    try:
        wait(lambda: len(ingest.stored.get("T1", ())) == 50, what="queued uplinks")
    finally:
        link.stop()
        up.close()


def test_last_will_makes_the_terminal_offline_at_the_hub(hub, mosquitto):
    link, ingest = hub

    async def scenario():
        t = Terminal(mosquitto, "W1")
        task = asyncio.create_task(t.client.run())
        t.rate(1)
        while t.owed:
            t.pump()
            await asyncio.sleep(0.01)
        await asyncio.to_thread(wait, lambda: link.status()["online"] == ["W1"])
        conn = ingest.conns_of("W1")[0]
        t.client._stopped.set()      # no reconnect after the drop
        t.client.abort()             # no DISCONNECT: the broker sends the will
        await asyncio.to_thread(wait, lambda: conn.closed, 10, "conn.close() from the will")
        assert link.status()["online"] == []
        await task

    asyncio.run(scenario())


def test_silent_terminal_is_closed_after_stale_after_s(mosquitto):
    ingest = StandInIngest()
    link = MqttLink(ingest, HALL, mosquitto.host, mosquitto.port, **mosquitto.hub_login(HALL),
                    client_id="hub-stale",
                    stale_after_s=0.4)
    link.start()
    assert link.wait_connected(10)
    obs = Observer(mosquitto, [])
    try:
        obs.publish(topics.up(HALL, "S1"), b'{"t":"hb","up":1}', qos=0)
        wait(lambda: ingest.conns_of("S1"), what="attach")
        wait(lambda: ingest.conns_of("S1")[0].closed, 5, "close after silence")
        obs.publish(topics.up(HALL, "S1"), b'{"t":"hb","up":2}', qos=0)
        wait(lambda: len(ingest.conns_of("S1")) == 2, what="a new attach when heard again")
    finally:
        obs.close()
        link.stop()


def test_bad_input_is_counted_per_device_and_everyone_else_is_served(hub, mosquitto):
    link, ingest = hub
    bad = Observer(mosquitto, [])
    bad.publish(topics.up(HALL, "B1"), b"x" * 5000)                     # over MAX_PACKET
    bad.publish(topics.up(HALL, "B1"), b"\xff\xfe not json at all")      # the ingest's to judge
    bad.publish(topics.up(HALL, "B1"), b"")
    bad.publish("pingjia/%s/dev/bad device!/up" % HALL, b'{"t":"hb"}')
    bad.publish(topics.state(HALL, "B2"), b"maybe")
    bad.publish(topics.up(HALL, "B1"), b"y" * 100000)                   # the broker refuses it
    good = Observer(mosquitto, [topics.down(HALL, "G1")])
    good.publish(topics.up(HALL, "G1"), b'{"t":"rating","seq":1}')
    good.wait_for(lambda m: m and m[0][1] == b'{"t":"ack","seq":1}')
    wait(lambda: "B2" in link.status()["errors"])
    errors = link.status()["errors"]
    assert errors["B1"] == {"too_large": 1, "empty": 1}
    assert errors["B2"] == {"bad_state": 1}
    assert errors[BAD_TOPIC] == {"bad_topic": 1}
    assert ingest.garbage == {"B1": 1}
    assert link.connected
    bad.close()
    good.close()


def test_retained_uplink_replayed_on_subscribe_is_dropped_counted_and_cleared(mosquitto):
    """A retained packet on an up topic would be handed to the hub again on
    every subscribe: it is counted against the device, not ingested, and the
    hub deletes it from the broker."""
    bad = Observer(mosquitto, [])
    bad.publish(topics.up(HALL, "B3"), b'{"t":"rating","seq":9}', retain=True)
    ingest = StandInIngest()
    link = MqttLink(ingest, HALL, mosquitto.host, mosquitto.port, **mosquitto.hub_login(HALL),
                    client_id="hub-retained")
    link.start()
    try:
        wait(lambda: "B3" in link.status()["errors"], what="retained counted")
        assert link.status()["errors"]["B3"] == {"retained": 1}
        assert ingest.stored == {}
        assert_no_retained(mosquitto, topics.up(HALL, "B3"))
        assert link.status()["errors"]["B3"] == {"retained": 1}    # its echo is not "empty"
    finally:
        link.stop()
        bad.close()


def assert_no_retained(broker, topic):
    """A new subscriber gets nothing retained on TOPIC (the broker held it: gone)."""
    def retained():
        late = Observer(broker, [topic])
        time.sleep(0.3)
        late.close()
        return [m for m in late.messages if m[3]]
    wait(lambda: not retained(), 5, "the retained packet on %s cleared" % topic)


def test_hub_state_retained_online_and_offline(mosquitto):
    ingest = StandInIngest()
    link = MqttLink(ingest, HALL, mosquitto.host, mosquitto.port, **mosquitto.hub_login(HALL),
                    client_id="hub-state")
    link.start()
    assert link.wait_connected(10)
    obs = Observer(mosquitto, [topics.hub_state(HALL)])
    obs.wait_for(lambda m: m and m[-1][1] == topics.ONLINE)
    link.stop()
    obs.wait_for(lambda m: m[-1][1] == topics.OFFLINE)
    obs.close()
