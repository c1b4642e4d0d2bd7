"""Hostile clients on the hall's broker (the shipped mosquitto.conf: no
anonymous access, a password file and an ACL written by the hub).

Real mosquitto, the hub's MqttLink with a stand-in ingest
(test_mqtt_link.py), terminals as the firmware's MQTT client and paho.
"""

import asyncio
import logging
import time

import paho.mqtt.client as mqtt

from firmware.net.mqtt_client import MQTTClient
from hub.transports.mqtt_link import MqttLink
from protocol import topics
from tests.hub.test_mqtt_link import HALL, StandInIngest, assert_no_retained
from tests.support.mqtt_observer import Observer
from tests.support.poll import wait

REFUSED = 5     # CONNACK "not authorised"


def start_link(broker, client_id="hub-acl", **kw):
    ingest = StandInIngest()
    link = MqttLink(ingest, HALL, broker.host, broker.port, client_id=client_id,
                    **broker.hub_login(HALL), **kw).start()
    assert link.wait_connected(10)
    return link, ingest


def paho_client(broker, login, client_id=""):
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
    c.username_pw_set(login["username"], login["password"])
    c.connect(broker.host, broker.port, keepalive=10)
    c.loop_start()
    return c


def test_the_broker_refuses_a_client_without_a_known_user(mosquitto):
    mosquitto.terminal_login(HALL, "T1")
    assert mosquitto.connack(None, None) == REFUSED
    assert mosquitto.connack("T1", "not its password") == REFUSED
    assert mosquitto.connack("stranger", "anything") == REFUSED

    async def connect_without_login():
        c = MQTTClient(HALL, "T1", mosquitto.host, mosquitto.port, log=lambda *a: None,
                       backoff_min_ms=50, backoff_max_ms=100)
        task = asyncio.create_task(c.run())
        while not c.counters["connect_failures"]:
            await asyncio.sleep(0.02)
        await c.stop()
        await task
        return c
    c = asyncio.run(connect_without_login())
    assert not c.counters["connects"] and "refused the connection (5)" in c.last_error


def test_a_terminal_cannot_publish_on_another_terminals_topics(mosquitto):
    """T2, logged in as itself, publishes on T1's up and state topics: the
    broker drops both; what T2 sends on its own topic arrives."""
    link, ingest = start_link(mosquitto)
    intruder = paho_client(mosquitto, mosquitto.terminal_login(HALL, "T2"))
    try:
        intruder.publish(topics.up(HALL, "T1"), b'{"t":"rating","seq":1}', qos=1).wait_for_publish(5)
        intruder.publish(topics.state(HALL, "T1"), topics.OFFLINE, qos=1).wait_for_publish(5)
        intruder.publish(topics.up(HALL, "T2"), b'{"t":"rating","seq":2}', qos=1).wait_for_publish(5)
        wait(lambda: ingest.stored.get("T2") == {2}, what="T2's own uplink")
        time.sleep(0.3)
        assert "T1" not in ingest.stored and "T1" not in link.devices.snapshot()
        assert "Denied PUBLISH" in mosquitto.log()
    finally:
        intruder.loop_stop()
        intruder.disconnect()
        link.stop()


def test_a_forged_offline_does_not_close_a_live_terminal(mosquitto):
    """The attack of the first hostile run: `offline` (retained) on a live
    terminal's state topic. Another terminal cannot put it there (ACL); one
    left retained there (by anyone who could) is replayed to a hub that
    subscribes, and ignored, and cleared."""
    state = topics.state(HALL, "T1")
    planted = Observer(mosquitto, [])
    planted.publish(state, topics.OFFLINE, retain=True)      # before the hub subscribes
    link, ingest = start_link(mosquitto)
    forger = paho_client(mosquitto, mosquitto.terminal_login(HALL, "T2"))
    t1 = paho_client(mosquitto, mosquitto.terminal_login(HALL, "T1"), client_id="t1")
    try:
        t1.publish(topics.up(HALL, "T1"), b'{"t":"rating","seq":1}', qos=1).wait_for_publish(5)
        wait(lambda: ingest.stored.get("T1") == {1}, what="T1 attached")
        forger.publish(state, topics.OFFLINE, qos=1, retain=True).wait_for_publish(5)
        forger.publish(state, topics.OFFLINE, qos=1).wait_for_publish(5)
        assert_no_retained(mosquitto, state)
        conn = ingest.conns_of("T1")[0]
        assert not conn.closed and link.status()["online"] == ["T1"]
        assert link.status()["errors"]["T1"] == {"retained": 1}
        t1.publish(topics.up(HALL, "T1"), b'{"t":"rating","seq":2}', qos=1).wait_for_publish(5)
        wait(lambda: ingest.stored["T1"] == {1, 2}, what="T1 still served")
        assert len(ingest.conns_of("T1")) == 1
    finally:
        for c in (forger, t1):
            c.loop_stop()
            c.disconnect()
        planted.close()
        link.stop()


def test_the_terminals_own_last_will_still_takes_it_offline(mosquitto):
    link, ingest = start_link(mosquitto)

    async def scenario():
        c = MQTTClient(HALL, "W1", mosquitto.host, mosquitto.port, log=lambda *a: None,
                       **mosquitto.terminal_login(HALL, "W1"))
        task = asyncio.create_task(c.run())
        while not c.connected:
            await asyncio.sleep(0.02)
        c.send(b'{"t":"rating","seq":1}', "rating")
        await asyncio.to_thread(wait, lambda: ingest.conns_of("W1"), 10, "W1 attached")
        c._stopped.set()
        c.abort()                       # no DISCONNECT: the broker publishes the will
        await asyncio.to_thread(wait, lambda: ingest.conns_of("W1")[0].closed, 10, "the will")
        await task
    try:
        asyncio.run(scenario())
        assert "retained" not in link.status()["errors"].get("W1", {})
    finally:
        link.stop()


def test_removing_a_terminals_user_ends_its_connection_at_the_reload(mosquitto):
    link, ingest = start_link(mosquitto)

    async def scenario():
        c = MQTTClient(HALL, "R1", mosquitto.host, mosquitto.port, log=lambda *a: None,
                       backoff_min_ms=50, backoff_max_ms=100,
                       **mosquitto.terminal_login(HALL, "R1"))
        task = asyncio.create_task(c.run())
        while not c.connected:
            await asyncio.sleep(0.02)
        await asyncio.to_thread(mosquitto.remove_user, "R1")
        deadline = time.monotonic() + 10
        while c.connected or not c.counters["connect_failures"]:
            assert time.monotonic() < deadline, "R1 still connected after the reload"
            await asyncio.sleep(0.05)
        await c.stop()
        await task
        return c
    try:
        c = asyncio.run(scenario())
        assert "refused the connection (5)" in c.last_error
    finally:
        link.stop()


def test_a_terminals_user_cannot_take_the_hubs_client_id(mosquitto):
    """The combined attack run (docs/ATTACKS.md): a terminal's credentials,
    read off its flash, with the hub's client id, kicked the hub off the
    broker every time and wiped its persistent session (a clean-session
    connect with its id). The broker ties the client id to the user
    (use_username_as_clientid): the intruder gets its own id, the hub stays."""
    link, _ingest = start_link(mosquitto, client_id="hub-acl", retry_s=0.5)
    login = mosquitto.terminal_login(HALL, "T2")
    try:
        for _ in range(3):
            assert mosquitto.connack(login["username"], login["password"],
                                     client_id="hub-acl") == 0     # T2 may log in, as itself
        time.sleep(1.0)
        assert link.connects == 1 and not link.takeovers
    finally:
        link.stop()


def test_a_second_hub_with_the_same_user_is_logged(mosquitto, caplog):
    """Two hubs configured with one broker user take one client id from the
    broker: each drops the other, and the hub says so."""
    caplog.set_level(logging.ERROR, "pingjia.mqtt")
    link, _ingest = start_link(mosquitto, client_id="hub-taken", retry_s=0.5)
    intruder = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="hub-taken",
                           clean_session=False)
    login = mosquitto.hub_login(HALL)
    intruder.username_pw_set(login["username"], login["password"])
    intruder.reconnect_delay_set(0.2, 0.5)
    intruder.connect(mosquitto.host, mosquitto.port)
    intruder.loop_start()
    try:
        wait(lambda: link.takeovers, 30, "the takeover noticed")
        assert "another client is using the hub's client id 'hub-taken'" in caplog.text
    finally:
        intruder.loop_stop()
        intruder.disconnect()
        link.stop()
