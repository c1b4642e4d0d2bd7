"""The terminal's MQTT 3.1.1 client: asyncio, never blocking, MicroPython and CPython.

    client = MQTTClient("hall-1", "T0001", "192.168.1.10", 1883,
                        on_packet=app.on_packet, on_link=app.on_link)
    asyncio.create_task(client.run())      # connects, and reconnects forever
    client.send(packet, "rating")          # -> True if taken; never waits
    await client.stop()                    # "offline", DISCONNECT, close

What the app gets:
- `on_packet(payload: bytes)` for every packet the hub sends on the device's
  down topic, in order, called from the client's reader task. It must not
  block (hand the packet to the app's own task); an exception in it is
  counted in `counters["callback_errors"]`, printed, and the link goes on.
- `on_link(up: bool)` when the session to the broker starts or ends. After
  `True` the app starts its handshake (hello) and replays its journal.
- `connected`, `pending()` (QoS 1 packets not yet PUBACKed by the broker),
  `counters` (dict of ints, for heartbeats and tests).

`send(packet, mtype=None, qos=None)`: publishes on the device's up topic
with the QoS protocol.topics gives the message type (QoS 1 when the type is
not named; heartbeats `hb` are QoS 0). It returns at once:
- QoS 0 while disconnected: dropped, returns False (a heartbeat is superseded
  by the next one anyway);
- QoS 1: kept in a bounded outbox (`max_outbox`) until the broker's PUBACK,
  resent with DUP and the same packet id after a reconnect; returns False
  when the outbox is full — the app keeps the record in its journal and
  offers it again later.
A broker PUBACK is not the hub's ack: a rating stays in the journal until the
hub's own `ack` (after its durable commit) arrives through `on_packet`.

Availability: the CONNECT carries a last will "offline" on the device's
state topic; after CONNACK the client publishes "online" there. Nothing is
ever published retained, the will included (PROTOCOL.md §7): a retained
packet would be replayed to the hub on every subscribe, long after it was
true, so the hub ignores and clears any it finds. The client subscribes to
its down topic only: the broker's ACL lets a terminal read nothing else.
`stop()` publishes "offline" itself and disconnects cleanly.
`username` / `password`: the terminal's broker login (its user is its
device id; `pingjia provision` prints the password).

Liveness: PINGREQ every keepalive/2 seconds; no bytes from the broker for a
whole keepalive means the link is dead (half-open Wi-Fi): the client closes
it and reconnects, with capped exponential backoff and jitter (timing.py).
The network is reached only through the opener (stream.py), so a board
without sockets supplies its own.
"""

import asyncio

from protocol import MAX_PACKET, topics
from firmware.net import mqtt_wire as wire
from firmware.net.stream import open_stream
from firmware.net.timing import Backoff, now_ms, since_ms

_NEW, _SENT, _RESEND = 0, 1, 2
COUNTERS = ("connects", "connect_failures", "link_losses", "sent", "acked", "resent",
            "received", "oversized", "callback_errors", "qos0_dropped", "outbox_full",
            "too_large", "subscribe_failed")


class MQTTClient:
    def __init__(self, hall, device_id, host, port=1883, on_packet=None, on_link=None,
                 keepalive=30, clean_session=False, client_id=None, username=None,
                 password=None, max_outbox=16, backoff_min_ms=500, backoff_max_ms=30000,
                 connect_timeout=10, opener=open_stream, log=print):
        self.up_topic = topics.up(hall, device_id)
        self.down_topic = topics.down(hall, device_id)
        self.state_topic = topics.state(hall, device_id)
        self.host = host
        self.port = port
        self.on_packet = on_packet
        self.on_link = on_link
        self.keepalive = keepalive
        self.clean_session = clean_session
        self.client_id = client_id or "pingjia-%s-%s" % (hall, device_id)
        self.username = username
        self.password = password
        self.max_outbox = max_outbox
        self.connect_timeout = connect_timeout
        self.backoff = Backoff(backoff_min_ms, backoff_max_ms)
        self._opener = opener
        self._log = log
        self.connected = False
        self.last_error = None
        self.counters = {}
        for name in COUNTERS:
            self.counters[name] = 0
        self._outbox = []           # [pid, payload, qos, state], in send order
        self._pid = 0
        self._stream = None
        self._wake = asyncio.Event()
        self._dead = asyncio.Event()
        self._stopped = asyncio.Event()
        self._last_rx = 0
        self._last_ping = 0

    # ---------------------------------------------------------------- app side
    def send(self, packet, mtype=None, qos=None):
        if qos is None:
            qos = topics.qos_for(mtype) if mtype else 1
        if len(packet) > MAX_PACKET:
            self.counters["too_large"] += 1
            return False
        if qos == 0:
            if not self.connected:
                self.counters["qos0_dropped"] += 1
                return False
            self._outbox.append([0, packet, 0, _NEW])
        else:
            if self.pending() >= self.max_outbox:
                self.counters["outbox_full"] += 1
                return False
            self._outbox.append([self._next_pid(), packet, 1, _NEW])
        self._wake.set()
        return True

    def pending(self):
        n = 0
        for e in self._outbox:
            if e[2]:
                n += 1
        return n

    async def stop(self, timeout=2):
        """Say "offline", disconnect cleanly (no last will), stop reconnecting."""
        self._stopped.set()
        stream = self._stream
        if self.connected and stream is not None:
            self.connected = False
            try:
                stream.write(wire.publish(self.state_topic, topics.OFFLINE, 1, False,
                                          self._next_pid()))
                stream.write(wire.DISCONNECT_PACKET)
                await asyncio.wait_for(stream.drain(), timeout)
            except (OSError, asyncio.TimeoutError):
                pass
        self._dead.set()

    def abort(self):
        """Drop the connection at once with no DISCONNECT, as a power cut or a
        Wi-Fi loss would: the broker publishes the last will; run() reconnects."""
        if self._stream is not None:
            self._stream.close()
        self._dead_reason = OSError("link aborted")
        self._dead.set()

    # ---------------------------------------------------------------- loop
    async def run(self):
        while not self._stopped.is_set():
            try:
                await self._session()
            except (OSError, ValueError, asyncio.TimeoutError) as e:
                self._fail(e)
            self._set_link(False)
            if self._stream is not None:
                self._stream.close()
                self._stream = None
            if self._stopped.is_set():
                break
            try:
                await asyncio.wait_for(self._stopped.wait(), self.backoff.next_ms() / 1000)
            except asyncio.TimeoutError:
                pass

    def _fail(self, e):
        self.last_error = "%s: %s" % (type(e).__name__, e)
        self.counters["link_losses" if self.connected else "connect_failures"] += 1
        self._log("mqtt %s: %s" % (self.client_id, self.last_error))

    async def _session(self):
        self._dead = asyncio.Event()
        self._dead_reason = None
        stream = await asyncio.wait_for(self._opener(self.host, self.port), self.connect_timeout)
        self._stream = stream
        parser = wire.Parser(MAX_PACKET + 256)
        will = (self.state_topic, topics.OFFLINE, 1, False)
        stream.write(wire.connect(self.client_id, self.keepalive, self.clean_session, will,
                                  self.username, self.password))
        await asyncio.wait_for(stream.drain(), self.connect_timeout)
        early = await asyncio.wait_for(self._connack(stream, parser), self.connect_timeout)
        self.counters["connects"] += 1
        self.backoff.reset()
        if self._stopped.is_set():
            return
        self._last_rx = self._last_ping = now_ms()
        stream.write(wire.publish(self.state_topic, topics.ONLINE, 1, False, self._next_pid()))
        stream.write(wire.subscribe(self._next_pid(), [(self.down_topic, 1)]))
        for e in self._outbox:
            if e[3] == _SENT:
                e[3] = _RESEND
        self._outbox = [e for e in self._outbox if e[2] or e[3] == _NEW]
        self.connected = True
        self._set_link(True)
        for p in early:
            self._handle(p)
        self._wake.set()
        tasks = [asyncio.create_task(self._guard(self._reader(stream, parser))),
                 asyncio.create_task(self._guard(self._writer(stream))),
                 asyncio.create_task(self._guard(self._pinger(stream)))]
        try:
            await self._dead.wait()
        finally:
            for t in tasks:
                t.cancel()
        if isinstance(self._dead_reason, Exception) and not self._stopped.is_set():
            raise self._dead_reason

    async def _connack(self, stream, parser):
        while True:
            data = await stream.read(512)
            if not data:
                raise OSError("broker closed the connection before CONNACK")
            packets = parser.feed(data)
            if packets:
                ptype, _flags, body, _trunc = packets[0]
                if ptype != wire.CONNACK:
                    raise ValueError("broker sent packet type %d before CONNACK" % ptype)
                _present, rc = wire.parse_connack(body)
                if rc:
                    raise OSError("broker refused the connection (%d): %s"
                                  % (rc, wire.CONNACK_REASONS.get(rc, "unknown reason")))
                return packets[1:]

    async def _guard(self, coro):
        try:
            await coro
        except (OSError, ValueError) as e:
            self._dead_reason = e
            self._dead.set()

    _dead_reason = None
    _link_up = False

    def _set_link(self, up):
        if not up:
            self.connected = False
            self._dead_reason = None
        if up == self._link_up:
            return
        self._link_up = up
        self._call(self.on_link, up)

    def _call(self, callback, arg):
        if callback is None:
            return
        try:
            callback(arg)
        except Exception as e:       # the app's bug must not stop the link
            self.counters["callback_errors"] += 1
            self._log("mqtt %s: app callback raised %r" % (self.client_id, e))

    def _next_pid(self):
        used = [e[0] for e in self._outbox]
        while True:
            self._pid = self._pid % 65535 + 1
            if self._pid not in used:
                return self._pid

    def _kick(self, data):
        self._stream.write(data)
        self._wake.set()

    # ---------------------------------------------------------------- tasks
    async def _reader(self, stream, parser):
        while True:
            data = await stream.read(1024)
            if not data:
                raise OSError("broker closed the connection")
            self._last_rx = now_ms()
            for p in parser.feed(data):
                self._handle(p)

    async def _writer(self, stream):
        while True:
            await self._wake.wait()
            self._wake.clear()
            keep = []
            for e in self._outbox:
                if e[3] != _SENT:
                    stream.write(wire.publish(self.up_topic, e[1], e[2], False, e[0],
                                              e[3] == _RESEND))
                    self.counters["resent" if e[3] == _RESEND else "sent"] += 1
                    e[3] = _SENT
                if e[2]:
                    keep.append(e)
            self._outbox = keep
            await stream.drain()

    async def _pinger(self, stream):
        if not self.keepalive:
            return
        ka_ms = self.keepalive * 1000
        while True:
            await asyncio.sleep(self.keepalive / 4)
            if since_ms(self._last_rx) > ka_ms:
                raise OSError("no answer from the broker for %d s: link lost" % self.keepalive)
            if since_ms(self._last_ping) >= ka_ms // 2:
                self._last_ping = now_ms()
                self._kick(wire.PINGREQ_PACKET)

    def _handle(self, packet):
        ptype, flags, body, truncated = packet
        if ptype == wire.PUBLISH:
            self._on_publish(flags, body, truncated)
        elif ptype == wire.PUBACK:
            pid = wire.parse_pid(body)
            for i in range(len(self._outbox)):
                e = self._outbox[i]
                if e[0] == pid and e[2] and e[3] == _SENT:
                    self._outbox.pop(i)
                    self.counters["acked"] += 1
                    break
        elif ptype == wire.SUBACK:
            if _refused(body):
                self.counters["subscribe_failed"] += 1
                self._log("mqtt %s: broker refused a subscription" % self.client_id)

    def _on_publish(self, flags, body, truncated):
        topic, payload, qos, pid, _retain, _dup = wire.parse_publish(flags, body)
        if qos:
            self._kick(wire.puback(pid))
        if truncated:
            self.counters["oversized"] += 1
            self._log("mqtt %s: dropped an oversized packet on %r" % (self.client_id, topic))
        elif topic == self.down_topic:
            self.counters["received"] += 1
            self._call(self.on_packet, payload)


def _refused(suback_body):
    for i in range(2, len(suback_body)):
        if suback_body[i] == 0x80:
            return True
    return False
