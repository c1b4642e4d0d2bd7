"""Terminals seen over MQTT: their ingest connections, availability and errors.

No MQTT here: MqttLink (mqtt_link.py) feeds this table what arrives on the
topics, so the rules can be read (and tested) in one place.

- First packet from a device on its up topic: `ingest.attach("mqtt", device,
  send)`, cached until the device goes offline; every payload then goes to
  `conn.receive(payload)` in arrival order.
- Availability: any uplink marks the device seen; "offline" on its state
  topic (its last will, published by the broker when the connection drops
  without DISCONNECT, or its own goodbye), or silence for longer than
  `stale_after_s` (default 120 s), closes the ingest connection
  (`conn.close(why)`: the ingest logs the terminal offline with the reason);
  the next uplink attaches a new one. Only a live message counts: a retained
  one (the broker replays it on every SUBSCRIBE, with the retain flag set)
  is never availability. Terminals publish nothing retained, their will
  included, so a retained packet on a device topic is stale or forged: it is
  counted ("retained") and the link clears it (PROTOCOL.md §7). Why a live
  "offline" can be trusted: the broker's ACL lets only the terminal's own
  user publish on its state topic, and checks the will's topic against the
  same rules at CONNECT (hub/services/broker_access.py).
  Whether a terminal in a session is alive is the ingest's rule, the same
  on serial: offline after two and a half heartbeat periods without an
  authenticated packet (hub/ingest/liveness.py), which comes first; this
  sweep then releases the connections of devices gone for good.
- Bad input is counted per device and logged with the device name (throttled
  as the ingest's problems are: hub/ingest/problems.py), never raised: payloads over protocol.MAX_PACKET ("too_large"), retained packets
  ("retained", above), empty payloads ("empty"), state payloads other than
  online/offline ("bad_state"), a hello on one device's up topic naming
  another device ("dev_mismatch": dropped, and noted as the device's
  problem; the terminal's device id and its topic, i.e. its broker user,
  disagree, which no answer of the hub could mend). Topics outside the layout are counted under
  the pseudo-device BAD_TOPIC with the topic in the log. What the payload
  means (malformed JSON, bad seal, unknown device) is the ingest's to judge.
- Bounded: device ids come from topics, and on an open broker anyone can make
  up millions. Past `max_devices` entries the least recently heard tenth of
  those not in an authenticated session is forgotten (their connections
  closed; a real terminal among them just attaches again on its next packet).
"""

import logging
import threading
import time

from hub.ingest.problems import ProblemBook
from hub.services.problems import DEV_MISMATCH
from protocol import MAX_PACKET, topics
from protocol.catalogue import UP
from protocol.errors import ProtocolError
from protocol.session import open_plain, split

BAD_TOPIC = "(bad topic)"
log = logging.getLogger("pingjia.mqtt")


class Device:
    __slots__ = ("online", "last_seen", "conn", "errors", "packets")

    def __init__(self):
        self.online = False
        self.last_seen = None
        self.conn = None
        self.errors = {}
        self.packets = 0


MAX_DEVICES = 4096     # a hall has hundreds of terminals


class DeviceTable:
    def __init__(self, ingest, send_for, stale_after_s=120.0, clock=time.monotonic,
                 max_devices=MAX_DEVICES):
        self.max_devices = max_devices
        self.forgotten = 0
        self._ingest = ingest
        self._send_for = send_for          # device id -> send(packet) for the ingest
        self.stale_after_s = stale_after_s
        self._clock = clock
        self._lock = threading.Lock()
        self._devices = {}
        self._log = ProblemBook(log)    # only its throttled log (hub/ingest/problems.py)

    def _ms(self):
        return int(self._clock() * 1000)

    def _device(self, device_id):
        d = self._devices.get(device_id)
        if d is None:
            d = self._devices[device_id] = Device()
        return d

    def _make_room(self, device_id):
        """Before a new device id gets an entry: forget the least recently
        heard tenth of the entries not in a session when the table is full."""
        with self._lock:
            if device_id in self._devices or len(self._devices) < self.max_devices:
                return
            idle = sorted((d.last_seen or 0.0, dev) for dev, d in self._devices.items()
                          if d.conn is None or d.conn.session is None)
            drop = [dev for _seen, dev in idle[:max(1, self.max_devices // 10)]]
            conns = [c for c in (self._devices.pop(dev).conn for dev in drop) if c is not None]
            self.forgotten += len(drop)
        for conn in conns:
            conn.close("forgotten: over %d MQTT device ids seen" % self.max_devices)
        if drop:    # once a minute at most
            self._log.warn("(mqtt)", "forgotten", "MQTT: over %d device ids seen; forgot %d "
                           "without a session (%d so far); an open broker lets anyone make "
                           "them up: require credentials"
                           % (self.max_devices, len(drop), self.forgotten), None, self._ms())

    def count(self, device_id, kind, detail):
        self._make_room(device_id)
        with self._lock:
            errors = self._device(device_id).errors
            errors[kind] = errors.get(kind, 0) + 1
        # Anyone on the broker can send these: a throttled log, not a line each.
        self._log.warn(device_id, kind, "MQTT: " + detail, "mqtt:%s" % device_id, self._ms())

    def uplink(self, device_id, payload, retained=False):
        """One payload from a device's up topic (called by the MQTT thread).
        -> True when it is retained (dropped; the caller clears it)."""
        if len(payload) > MAX_PACKET:
            return self.count(device_id, "too_large", "sent a %d-byte packet, the limit is %d: dropped"
                              % (len(payload), MAX_PACKET))
        if not payload:
            return self.count(device_id, "empty", "sent an empty packet: dropped")
        if retained:
            return self._retained(device_id, "up")
        named = _hello_dev(payload)
        if named is not None and named != device_id:
            text = ("a hello naming device %s came on the up topic of %s: dropped; the device id "
                    "in the terminal's config must be the one it was provisioned (and its broker "
                    "user made) for" % (named, device_id))
            self._ingest.problem(device_id, DEV_MISMATCH, text, "mqtt:%s" % device_id)
            return self.count(device_id, DEV_MISMATCH, text)
        self._make_room(device_id)
        with self._lock:
            d = self._device(device_id)
            d.online = True
            d.last_seen = self._clock()
            d.packets += 1
            conn = d.conn
        if conn is None:
            conn = self._ingest.attach("mqtt", device_id, self._send_for(device_id))
            with self._lock:
                d.conn = conn
        conn.receive(payload)

    def _retained(self, device_id, kind):
        self.count(device_id, "retained", "a retained packet sits on its %s topic (terminals "
                   "publish nothing retained; stale or forged): ignored, and cleared" % kind)
        return True

    def state(self, device_id, payload, retained=False):
        """An availability message from a device's state topic. -> True when
        it is retained (ignored; the caller clears it)."""
        if retained:
            return self._retained(device_id, "state")
        if payload == topics.ONLINE:
            self._make_room(device_id)
            with self._lock:
                d = self._device(device_id)
                d.online = True
                d.last_seen = self._clock()
        elif payload == topics.OFFLINE:
            self._offline(device_id, "its last will or its own goodbye says offline")
        elif payload:
            self.count(device_id, "bad_state", "state topic holds %r, expected online or offline"
                       % bytes(payload[:40]))

    def _offline(self, device_id, why):
        with self._lock:
            d = self._devices.get(device_id)
            if d is None:
                return                  # never heard: nothing to close, nothing to keep
            was = d.online or d.conn is not None
            d.online = False
            conn, d.conn = d.conn, None
        if conn is not None:
            conn.close(why)             # the ingest logs the terminal going offline
        elif was:   # never in a session: debug only, as anyone can publish a state
            log.debug("MQTT terminal %s is offline: %s", device_id, why)

    def sweep(self):
        """Close the connections of devices silent for longer than stale_after_s."""
        now = self._clock()
        with self._lock:
            silent = [dev for dev, d in self._devices.items()
                      if d.online and d.last_seen is not None
                      and now - d.last_seen > self.stale_after_s]
        for dev in silent:
            self._offline(dev, "nothing heard over MQTT for over %g s" % self.stale_after_s)
        self._log.summarise(self._ms())
        return silent

    def close_all(self):
        with self._lock:
            conns = [d.conn for d in self._devices.values() if d.conn is not None]
            for d in self._devices.values():
                d.conn = None
                d.online = False
        for conn in conns:
            conn.close("the hub's MQTT link stops", logging.INFO)

    def snapshot(self):
        """device id -> {online, last_seen (clock), attached, packets, errors}."""
        with self._lock:
            return {dev: {"online": d.online, "last_seen": d.last_seen,
                          "attached": d.conn is not None, "packets": d.packets,
                          "errors": dict(d.errors)}
                    for dev, d in self._devices.items()}

    def online(self):
        with self._lock:
            return sorted(dev for dev, d in self._devices.items() if d.online)


def _hello_dev(payload):
    """The `dev` of an unsealed hello, else None (the ingest judges the rest)."""
    if topics.message_type(payload) != "hello":
        return None
    try:
        if split(payload)[1] is not None:
            return None
        return open_plain(bytes(payload), UP).get("dev")
    except ProtocolError:
        return None
