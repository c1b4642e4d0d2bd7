"""The terminal's MQTT client (firmware/net) on CPython against a real mosquitto.

What a hub (here: a paho observer) sees: packets on the up topic with the
right QoS, the online/offline state (never retained), the last will after an abrupt
drop; and what the terminal sees: packets the hub sends on its down topic.
Broker restarts, a frozen (half-open) link and reconnect with resend too.
"""

import asyncio
import time

from firmware.net.mqtt_client import MQTTClient
from protocol import topics
from tests.support.mqtt_observer import Observer

HALL, DEV = "hall-1", "T0001"
UP, DOWN, STATE = topics.up(HALL, DEV), topics.down(HALL, DEV), topics.state(HALL, DEV)


def make_client(broker, port=None, **kw):
    got, links = [], []
    kw.setdefault("backoff_min_ms", 50)
    kw.setdefault("backoff_max_ms", 400)
    kw.setdefault("log", lambda *a: None)
    kw.update(broker.terminal_login(HALL, DEV))
    client = MQTTClient(HALL, DEV, broker.host, port or broker.port, on_packet=got.append,
                        on_link=links.append, **kw)
    return client, got, links


async def until(predicate, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        await asyncio.sleep(0.01)


def states(obs):
    return obs.payloads(STATE)


def test_publish_subscribe_and_online_state(mosquitto):
    obs = Observer(mosquitto, [UP, STATE])

    async def scenario():
        client, got, links = make_client(mosquitto)
        task = asyncio.create_task(client.run())
        await until(lambda: client.connected, what="connect")
        await until(lambda: states(obs)[-1:] == [topics.ONLINE], what="online state")
        assert client.send(b'{"t":"rating","seq":1}', "rating")
        assert client.send(b'{"t":"hb","up":1}', "hb")
        await until(lambda: len(obs.payloads(UP)) == 2, what="uplinks at the observer")
        await until(lambda: client.pending() == 0, what="PUBACK")
        obs.publish(DOWN, b'{"t":"inv"}', qos=1)
        obs.publish(DOWN, b'{"t":"time"}', qos=0)
        await until(lambda: len(got) == 2, what="downlinks at the terminal")
        await client.stop()
        await task
        return got, links, client

    got, links, client = asyncio.run(scenario())
    ups = [(m[1], m[2]) for m in obs.messages if m[0] == UP]
    assert ups == [(b'{"t":"rating","seq":1}', 1), (b'{"t":"hb","up":1}', 0)]
    assert got == [b'{"t":"inv"}', b'{"t":"time"}']
    assert links == [True, False]
    # A clean stop says "offline" itself; nothing the terminal sent is retained
    # (PROTOCOL.md §7): a later subscriber gets nothing.
    obs.wait_for(lambda m: states(obs)[-1:] == [topics.OFFLINE])
    assert not [m for m in obs.messages if m[3]]
    late = Observer(mosquitto, [STATE, UP])
    time.sleep(0.3)
    assert late.messages == []
    assert client.counters["acked"] == 1 and client.counters["link_losses"] == 0
    obs.close()
    late.close()


def test_qos0_dropped_and_outbox_bounded_while_offline(mosquitto):
    async def scenario():
        client, _got, _links = make_client(mosquitto, port=1, max_outbox=3)
        assert not client.send(b'{"t":"hb"}', "hb")
        assert [client.send(b'{"t":"rating","seq":%d}' % i, "rating") for i in range(4)] == \
            [True, True, True, False]
        assert not client.send(b"x" * 3000, "rating")
        return client.counters

    counters = asyncio.run(scenario())
    assert counters["qos0_dropped"] == 1
    assert counters["outbox_full"] == 1
    assert counters["too_large"] == 1


def test_last_will_on_abrupt_drop_then_back_online(mosquitto):
    obs = Observer(mosquitto, [STATE])

    async def scenario():
        client, _got, links = make_client(mosquitto, backoff_min_ms=1500, backoff_max_ms=1500)
        task = asyncio.create_task(client.run())
        await until(lambda: client.connected)
        await until(lambda: states(obs)[-1:] == [topics.ONLINE], what="online")
        client.abort()        # no DISCONNECT: the broker must publish the will
        await until(lambda: states(obs)[-1:] == [topics.OFFLINE], what="last will")
        await until(lambda: client.connected, what="reconnect")
        await until(lambda: states(obs)[-1:] == [topics.ONLINE], what="online again")
        await client.stop()
        await task
        return links, client.counters

    links, counters = asyncio.run(scenario())
    assert links == [True, False, True, False]
    assert counters["connects"] == 2 and counters["link_losses"] == 1
    obs.close()


def test_broker_restart_reconnects_and_resends_until_puback(mosquitto):
    """A persistent subscriber (the hub) gets every QoS 1 packet sent while
    the broker went down and came back: what the broker acked before its
    clean shutdown is in its persistence, the rest is resent with DUP."""
    hub = Observer(mosquitto, [UP], client_id="hub-test", clean=False)

    async def scenario():
        client, _got, links = make_client(mosquitto, max_outbox=64)
        task = asyncio.create_task(client.run())
        await until(lambda: client.connected)
        sent = []
        for i in range(1, 301):
            payload = b'{"t":"rating","seq":%d}' % i
            while not client.send(payload, "rating"):
                await asyncio.sleep(0.005)
            sent.append(payload)
            if i == 150:
                await asyncio.to_thread(mosquitto.restart, 0.3)
            await asyncio.sleep(0.001)
        await until(lambda: client.pending() == 0, timeout=20, what="all PUBACKed")
        await client.stop()
        await task
        return sent, links, client.counters

    sent, links, counters = asyncio.run(scenario())
    hub.wait_for(lambda m: set(sent) <= {x[1] for x in m}, timeout=20)
    assert links[:3] == [True, False, True]
    assert counters["connects"] >= 2
    assert counters["acked"] == len(sent)
    hub.close()


def test_half_open_link_detected_by_keepalive(mosquitto):
    """The Wi-Fi goes silent without a reset: no PINGRESP within the
    keepalive makes the client drop the link and connect again."""
    async def scenario():
        proxy = await FreezableProxy.start(mosquitto.host, mosquitto.port)
        client, _got, links = make_client(mosquitto, port=proxy.port, keepalive=1)
        task = asyncio.create_task(client.run())
        await until(lambda: client.connected)
        await asyncio.sleep(2.5)            # idle, but PINGREQ keeps it alive
        assert links == [True] and client.counters["link_losses"] == 0
        proxy.freeze()
        await until(lambda: links == [True, False, True], timeout=6, what="drop and reconnect")
        assert "no answer from the broker" in client.last_error
        await client.stop()
        await task
        proxy.close()

    asyncio.run(scenario())


class FreezableProxy:
    """TCP forwarder whose existing connections can be made to swallow bytes."""

    @classmethod
    async def start(cls, host, port):
        self = cls()
        self.target = (host, port)
        self.frozen = []
        self.conns = []
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def _serve(self, reader, writer):
        up_r, up_w = await asyncio.open_connection(*self.target)
        flag = [False]
        self.conns.append((flag, writer, up_w))
        await asyncio.gather(self._pipe(reader, up_w, flag), self._pipe(up_r, writer, flag),
                             return_exceptions=True)

    async def _pipe(self, reader, writer, flag):
        while True:
            data = await reader.read(4096)
            if not data:
                writer.close()
                return
            if not flag[0]:
                writer.write(data)
                await writer.drain()

    def freeze(self):
        for flag, _w1, _w2 in self.conns:
            flag[0] = True

    def close(self):
        for _flag, w1, w2 in self.conns:
            w1.close()
            w2.close()
        self.server.close()
