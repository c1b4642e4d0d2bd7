"""The hub's MQTT transport: every Wi-Fi terminal of the hall through one broker.

    link = MqttLink(ingest, "hall-1", host="127.0.0.1", port=1883)
    link.start()          # returns at once; connects (and reconnects) in the background
    link.status()         # for /api/v1/health and the CLI
    link.stop()           # retained "offline", clean disconnect, conn.close() for all

paho-mqtt 2.x (CallbackAPIVersion.VERSION2), MQTT 3.1.1, one client:
- subscribes to topics.hub_subscriptions(hall) (every terminal's up and
  state topic) at QoS 1, on every (re)connect;
- persistent session (clean_session False, the hub's own client id,
  hub/services/broker_users.client_id): QoS 1 uplinks that arrive while the
  hub is away (restart, broker restart) are queued by the broker and
  delivered when it is back; paho itself resends unacked downlinks with DUP.
  A second client with the same id makes the broker drop the hub (MQTT
  3.1.1 says nothing on the wire about why): connections lost within
  TAKEOVER_S of being made, TAKEOVER_STREAK times in a row, are logged as
  such;
- retained packets on device topics are never a terminal's (they publish
  nothing retained): counted by the device table, then cleared by
  publishing an empty retained message on the topic, so the broker stops
  replaying them on every subscribe; the echo of that clear is swallowed;
- the hub's availability: retained "online" on topics.hub_state(hall) after
  connecting, and a last will that sets it "offline";
- reconnects with exponential backoff from 0.5 s up to `retry_s` when the
  broker goes away (paho's own loop), and says so in the log and status();
- downlinks: the ingest's `send(packet)` publishes on the device's down
  topic with topics.qos_for(message type); thread-safe, never blocks (paho
  queues while disconnected).
Per-device rules (attach/receive/close, availability, bad input counters):
mqtt_devices.DeviceTable.

Acks: the broker's PUBACK (paho sends it when on_message returns) only means
the hub has the packet in RAM. This module never answers a rating: the
ingest's own `ack`, sent after its durable commit, is the only end-to-end ack,
and a terminal resends every journal record until it gets one.
"""

import logging
import socket
import threading
import time

import paho.mqtt.client as mqtt

from hub.periodic import Periodic
from hub.transports.mqtt_devices import BAD_TOPIC, DeviceTable
from protocol import topics
from protocol.topics import message_type  # tests and the test fleet import it from here too

log = logging.getLogger("pingjia.mqtt")

INTERNAL = "(internal)"
TAKEOVER_S = 5.0        # a connection lost this soon after it was made ...
TAKEOVER_STREAK = 3     # ... this many times in a row: someone else has our client id


class MqttLink:
    def __init__(self, ingest, hall, host="127.0.0.1", port=1883, client_id="pingjia-hub",
                 username="", password="", keepalive=30, retry_s=5.0, stale_after_s=120.0,
                 clock=time.monotonic):
        self.hall = topics.check_segment(hall, "hall id")
        self.host = host
        self.port = port
        self.keepalive = keepalive
        self.devices = DeviceTable(ingest, self._sender, stale_after_s, clock)
        self.connects = 0
        self.last_error = None
        self._connected = threading.Event()
        # Set once a connection attempt failed (or a connection was lost): before
        # that, "not connected" at start means "not yet", not "unreachable".
        self.failed = threading.Event()
        self._stopping = threading.Event()
        self._sweeper = None
        self._state_topic = topics.hub_state(hall)
        self.client_id = client_id
        self._clearing = set()          # topics whose retained packet we cleared
        self._connected_at = None
        self._quick_losses = 0
        self.takeovers = 0
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                        clean_session=False, protocol=mqtt.MQTTv311)
        if username:
            c.username_pw_set(username, password or None)
        c.will_set(self._state_topic, topics.OFFLINE, qos=1, retain=True)
        c.reconnect_delay_set(0.5, max(0.5, retry_s))
        c.max_inflight_messages_set(200)      # downlinks in flight before waiting for PUBACKs
        c.max_queued_messages_set(0)          # unbounded while the broker is away
        c.on_connect = self._on_connect
        c.on_connect_fail = self._on_connect_fail
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        c.on_subscribe = self._on_subscribe
        c.on_socket_open = self._on_socket_open
        self.client = c

    # ---------------------------------------------------------------- lifecycle
    def start(self):
        log.info("MQTT: connecting to %s:%d for hall %s", self.host, self.port, self.hall)
        self.client.connect_async(self.host, self.port, keepalive=self.keepalive)
        self.client.loop_start()
        # A quarter of the stale time, so a silent terminal is offline within
        # 1.25 stale periods.
        period = min(5.0, max(0.05, self.devices.stale_after_s / 4))
        self._sweeper = Periodic("mqtt-sweep", period, self.devices.sweep, log=log).start()
        return self

    def wait_connected(self, timeout=None):
        return self._connected.wait(timeout)

    @property
    def connected(self):
        return self._connected.is_set()

    def stop(self, timeout=5.0):
        self._stopping.set()
        if self._connected.is_set():
            info = self.client.publish(self._state_topic, topics.OFFLINE, qos=1, retain=True)
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError):
                pass
        self.client.disconnect()
        self.client.loop_stop()
        self._connected.clear()
        if self._sweeper is not None:
            self._sweeper.stop(timeout)
        self.devices.close_all()

    def status(self):
        devices = self.devices.snapshot()
        return {"connected": self.connected, "broker": "%s:%d" % (self.host, self.port),
                "connects": self.connects, "last_error": self.last_error,
                "online": sorted(d for d, s in devices.items() if s["online"]),
                "errors": {d: s["errors"] for d, s in devices.items() if s["errors"]}}

    # ---------------------------------------------------------------- downlink
    def _sender(self, device_id):
        topic = topics.down(self.hall, device_id)

        def send(packet):
            qos = topics.qos_for(message_type(packet))
            self.client.publish(topic, packet, qos=qos)
        return send

    # ---------------------------------------------------------------- paho callbacks
    def _on_socket_open(self, client, userdata, sock):
        # Acks are small and latency matters: no Nagle delay.
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (OSError, AttributeError):
            pass

    def _on_connect_fail(self, client, userdata):
        self.last_error = "cannot connect to the broker"
        self.failed.set()

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            self.failed.set()
            self.last_error = "broker refused the hub: %s" % reason_code
            log.error("MQTT: %s (check [broker] username/password in the hub config, and "
                      "that the broker has read the hub's password file since: reload it)",
                      self.last_error)
            return
        self.connects += 1
        self._connected_at = time.monotonic()
        client.subscribe([(t, 1) for t in topics.hub_subscriptions(self.hall)])
        client.publish(self._state_topic, topics.ONLINE, qos=1, retain=True)
        log.info("MQTT: connected to %s:%d (session %s)", self.host, self.port,
                 "resumed" if flags.session_present else "new")

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        refused = [rc for rc in reason_codes if rc.is_failure]
        if refused:
            self.failed.set()
            self.last_error = "broker refused the subscriptions: %s" % refused
            log.error("MQTT: %s (check the broker's ACL for the hub)", self.last_error)
            return
        self._connected.set()      # connected *and* subscribed: terminals are heard

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self.failed.set()
        self._connected.clear()
        if self._stopping.is_set():
            return
        self.last_error = "connection to the broker lost: %s" % reason_code
        log.warning("MQTT: %s; reconnecting (up to every few seconds)", self.last_error)
        made, self._connected_at = self._connected_at, None
        if made is None:
            return
        if time.monotonic() - made > TAKEOVER_S:
            self._quick_losses = 0
            return
        self._quick_losses += 1
        if self._quick_losses == TAKEOVER_STREAK:
            self.takeovers += 1
            self.last_error = ("the broker dropped the hub %d times within %g s of connecting: "
                               "another client is using the hub's client id %r"
                               % (self._quick_losses, TAKEOVER_S, self.client_id))
            log.error("MQTT: %s (the broker drops the older of two clients with one id; "
                      "see the broker's log for its address, and give every hub its own "
                      "[broker] client_id)", self.last_error)

    def _on_message(self, client, userdata, msg):
        # Runs in paho's network thread: an exception here would end that
        # thread and with it the whole transport, so none may escape.
        try:
            self._dispatch(msg)
        except Exception:
            self.devices.count(INTERNAL, "internal_error", "handling a packet failed; see the traceback")
            log.exception("MQTT: error handling a packet on %r", msg._topic)

    def _dispatch(self, msg):
        try:
            _hall, device, kind = topics.parse(msg.topic)
        except ValueError as e:      # UnicodeDecodeError is one
            self.devices.count(BAD_TOPIC, "bad_topic", str(e))
            return
        if device is None:
            return                      # the hub's own state, echoed
        if not msg.payload and msg.topic in self._clearing:
            self._clearing.discard(msg.topic)
            return                      # our own clear of a retained packet, echoed
        retained = bool(msg.retain)
        if kind == "up":
            clear = self.devices.uplink(device, msg.payload, retained=retained)
        elif kind == "state":
            clear = self.devices.state(device, msg.payload, retained=retained)
        else:
            return
        if clear and msg.payload:
            # An empty retained message deletes the retained one (MQTT 3.1.1 §3.3.1.3).
            if len(self._clearing) > 4096:     # echoes lost to a reconnect: start over
                self._clearing.clear()
            self._clearing.add(msg.topic)
            self.client.publish(msg.topic, b"", qos=1, retain=True)

