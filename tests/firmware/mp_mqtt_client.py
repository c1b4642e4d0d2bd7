# The firmware MQTT client (firmware/net) on real MicroPython (WebAssembly port).
#
# The WebAssembly port has no sockets, so the client gets an in-memory opener
# (the shape stream.py documents) whose far end is a small MQTT peer built from
# mqtt_wire itself. The real-broker tests run on CPython (test_mqtt_client.py);
# this script proves the same code runs on MicroPython's asyncio: connect with
# last will, online state, subscribe, QoS 1/0 publish, PUBACK, downlink,
# keepalive PINGREQ, link loss -> reconnect -> resend with DUP, clean stop.
# Prints "MQTT-OK" and the client's counters as JSON.

import asyncio
import json

from firmware.net import mqtt_wire as wire
from firmware.net.mqtt_client import MQTTClient


class End:
    """One end of an in-memory byte pipe (the opener's stream shape)."""

    def __init__(self):
        self.buf = b""
        self.ev = asyncio.Event()
        self.peer = None
        self.closed = False

    async def read(self, n):
        while not self.buf and not self.closed:
            self.ev.clear()
            await self.ev.wait()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def write(self, data):
        if not self.peer.closed and not self.closed:
            self.peer.buf += bytes(data)
            self.peer.ev.set()

    async def drain(self):
        pass

    def close(self):
        for e in (self, self.peer):
            e.closed = True
            e.ev.set()


class Peer:
    """The broker side: answers like a broker, records what the client sent."""

    def __init__(self):
        self.got = []
        self.end = None
        self.ack_publishes = True

    async def serve(self, end):
        self.end = end
        parser = wire.Parser()
        while True:
            data = await end.read(512)
            if not data:
                return
            for ptype, flags, body, _t in parser.feed(data):
                self.got.append((ptype, flags, body))
                if ptype == wire.CONNECT:
                    end.write(b"\x20\x02\x00\x00")
                elif ptype == wire.SUBSCRIBE:
                    end.write(b"\x90\x04" + body[:2] + b"\x01\x01")
                elif ptype == wire.PUBLISH and flags & 6 and self.ack_publishes:
                    end.write(wire.puback(wire.parse_publish(flags, body)[3]))
                elif ptype == wire.PINGREQ:
                    end.write(b"\xd0\x00")

    def publishes(self):
        return [wire.parse_publish(f, b) for p, f, b in self.got if p == wire.PUBLISH]

    def count(self, ptype):
        return len([1 for p, _f, _b in self.got if p == ptype])


def check(cond, what):
    if not cond:
        raise AssertionError(what)


async def until(pred, what, ms=3000):
    for _ in range(ms // 10):
        if pred():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out: " + what)


async def main():
    peer = Peer()

    async def opener(host, port):
        a, b = End(), End()
        a.peer, b.peer = b, a
        asyncio.create_task(peer.serve(b))
        return a

    got, links = [], []
    c = MQTTClient("hall-1", "T1", "sim", 1883, on_packet=got.append, on_link=links.append,
                   keepalive=1, opener=opener, backoff_min_ms=20, backoff_max_ms=100,
                   log=lambda *a: None, username="T1", password="pw-of-T1")
    task = asyncio.create_task(c.run())
    await until(lambda: c.connected and peer.count(wire.SUBSCRIBE), "connect")
    connect_body = peer.got[0][2]
    check(b"pingjia/hall-1/dev/T1/state" in connect_body and b"offline" in connect_body,
          "CONNECT carries the last will")
    flags = connect_body[7]
    check(flags & 0xC0 == 0xC0 and connect_body.endswith(b"\x00\x02T1\x00\x08pw-of-T1"),
          "CONNECT carries the broker user and password")
    check(flags & 0x04 and not flags & 0x20, "the last will is not retained")
    await until(lambda: peer.publishes(), "online state")
    topic, payload, qos, _pid, retain, _dup = peer.publishes()[0]
    check((topic, payload, qos, retain) == ("pingjia/hall-1/dev/T1/state", b"online", 1, False),
          "online state, not retained")
    subscribe_body = [p for p in peer.got if p[0] == wire.SUBSCRIBE][0][2]
    check(b"/down" in subscribe_body and b"/state" not in subscribe_body,
          "subscribes to its down topic only")

    check(c.send(b'{"t":"rating","seq":1}', "rating"), "rating taken")
    check(c.send(b'{"t":"hb","up":1}', "hb"), "heartbeat taken")
    await until(lambda: len(peer.publishes()) == 3 and c.pending() == 0, "uplinks and PUBACK")
    ups = [(p[1], p[2]) for p in peer.publishes()[1:]]
    check(ups == [(b'{"t":"rating","seq":1}', 1), (b'{"t":"hb","up":1}', 0)], "uplink QoS")

    peer.end.write(wire.publish("pingjia/hall-1/dev/T1/down", b'{"t":"inv"}', 1, False, 77))
    await until(lambda: got == [b'{"t":"inv"}'] and peer.count(wire.PUBACK) == 1, "downlink")

    await until(lambda: peer.count(wire.PINGREQ) >= 1, "keepalive PINGREQ", 2000)

    # No PUBACK, then the link drops: the rating is resent with DUP after reconnect.
    peer.ack_publishes = False
    c.send(b'{"t":"rating","seq":2}', "rating")
    await until(lambda: len(peer.publishes()) == 4, "rating 2 sent")
    pid2 = peer.publishes()[-1][3]
    peer.ack_publishes = True
    peer.end.close()
    await until(lambda: c.counters["connects"] == 2 and c.pending() == 0, "reconnect and resend")
    resent = [p for p in peer.publishes() if p[1] == b'{"t":"rating","seq":2}']
    check(len(resent) == 2 and resent[1][3] == pid2 and resent[1][5], "resent with DUP, same id")
    check(links == [True, False, True], "link events %r" % (links,))

    await c.stop()
    await task
    check(peer.publishes()[-1][:2] == ("pingjia/hall-1/dev/T1/state", b"offline"), "goodbye state")
    check(not [p for p in peer.publishes() if p[4]], "nothing published retained")
    check(peer.count(wire.DISCONNECT) == 1, "clean DISCONNECT")
    print("MQTT-OK " + json.dumps(c.counters))


async def guarded(box):
    try:
        await main()
        box.append(None)
    except Exception as e:
        import sys
        sys.print_exception(e)
        box.append(e)


# The top-level coroutine of the WebAssembly runner cannot receive exceptions
# from tasks it awaits, so main runs as a task and the top level only polls.
_box = []
asyncio.create_task(guarded(_box))
while not _box:
    await asyncio.sleep(0.01)  # noqa: F704 (the runner allows top-level await)
if _box[0] is not None:
    raise SystemExit(1)
