"""Attacks on the hall's broker and, through it, on the hub: what a stranger
on the hall's Wi-Fi, a terminal's stolen credentials, or someone who got
past the broker's ACL can send.

    mqtt = MqttAttacks(hall, counts, rnd)    # counts: attack name -> Counter of outcomes
    mqtt.round(targets)                      # one of each, aimed at TARGETS
    mqtt.hello_flood(n, target)
    mqtt.settle(); mqtt.close()

Two layers, each attacked on its own:
- the broker (the shipped config: no anonymous access, a user per
  terminal, an ACL): anonymous and wrong-password logins, the hub's client
  id taken with a terminal's credentials, a terminal's user publishing on
  another terminal's up and state topics, retained. Outcomes are CONNACK
  codes and what an observer on every topic saw arrive (must be nothing);
- the hub, as if the ACL had been bypassed (the test's all-topics user):
  wrong MACs, unknown devices, a hello with another terminal's id on its
  topic, a hello naming another device, retained packets on up and state
  topics, garbage, and sealed uplinks captured from the real terminals and
  published again. Outcomes are the hub's plain answers on the down topics
  (nack codes) and what stayed retained.
"""

import collections
import os
import threading
import time

from protocol import topics
from protocol.catalogue import DOWN
from protocol.session import TerminalHandshake, open_plain, split
from tests.support.hub_peer import INFO
from tests.support.mqtt_observer import Observer

FORGED_PREFIX = "X"          # device ids the attacker makes up start with it (no real one does)


def forged_hello(device, mid=1):
    """A hello for DEVICE under a key nobody holds."""
    return TerminalHandshake(device, os.urandom(32), os.urandom(8), INFO).hello(mid)


class MqttAttacks:
    def __init__(self, hall, counts, rnd):
        self.hall = hall
        self.hall_code = hall.hall_code
        self.broker = hall.broker
        self.counts = counts
        self.rnd = rnd
        self._n = 0
        self._lock = threading.Lock()
        root = "%s/%s/dev/" % (topics.ROOT, self.hall_code)
        self.eyes = Observer(self.broker, [root + "+/up", root + "+/down", root + "+/state",
                                           topics.hub_state(self.hall_code)])
        self.hands = Observer(self.broker, [])
        self.markers = {}            # payload -> attack name: what must never arrive

    def _id(self, kind):
        with self._lock:
            self._n += 1
            return "%s%s%05d" % (FORGED_PREFIX, kind, self._n)

    def _count(self, attack, outcome, n=1):
        self.counts[attack][outcome] += n

    def _publish(self, attack, topic, payload, retain=False):
        try:
            self.hands.publish(topic, payload, qos=1, retain=retain)
            self._count(attack, "sent")
        except Exception as e:  # noqa: BLE001 - the broker is restarting: counted, tried again later
            self._count(attack, "not sent (%s)" % type(e).__name__)

    def captured(self, device):
        """Sealed packets DEVICE published on its up topic, as the eyes saw them."""
        topic = topics.up(self.hall_code, device)
        return [m[1] for m in list(self.eyes.messages) if m[0] == topic and split(m[1])[1] is not None]

    # ------------------------------------------------------------- the broker
    def broker_round(self, targets):
        hub_id = self._hub_client_id()
        stolen = self._stolen_login(targets)
        for attack, user, password, cid in (
                ("broker.anonymous", None, None, None),
                ("broker.wrong_password", targets[-1], "not-the-password", None),
                ("broker.hub_client_id", stolen[0], stolen[1], hub_id)):
            try:
                rc = self.broker.connack(user, password, client_id=cid)
            except OSError as e:
                self._count(attack, "not sent (%s)" % type(e).__name__)
                continue
            self._count(attack, "sent")
            if rc:
                self._count(attack, "connack %d" % rc)
            elif cid is not None:
                # The user is a real one: it may log in. Whether the hub
                # was dropped shows on the hub's state topic (settle).
                self._count(attack, "connack 0 (as its own user)")
            else:
                self._count(attack, "ACCEPTED")
        self._as_stolen_terminal(stolen, targets[-1])

    def _hub_client_id(self):
        with open(os.path.join(self.hall.data, "mqtt-client-id"), encoding="utf-8") as f:
            return f.read().strip()

    def _stolen_login(self, targets):
        """The credentials of a terminal that is not the target: read off its
        flash by someone with a screwdriver."""
        other = next(t.device_id for t in self.hall.terminals
                     if not t.port and t.device_id not in targets)
        return other, self.broker.passwords[other]

    def _as_stolen_terminal(self, stolen, victim):
        """With another terminal's user: publish on the victim's up and state
        topics (retained too). The ACL must drop them: the eyes watch."""
        import paho.mqtt.client as mqtt
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="intruder-" + os.urandom(3).hex())
        c.username_pw_set(*stolen)
        try:
            c.connect(self.broker.host, self.broker.port, keepalive=10)
        except OSError as e:
            self._count("broker.other_terminals_topic", "not sent (%s)" % type(e).__name__)
            return
        c.loop_start()
        try:
            marker = forged_hello(victim, mid=self.rnd.randrange(1, 60000))
            self.markers[marker] = "broker.other_terminals_topic"
            offline = b"offline"
            for topic, payload, retain in ((topics.up(self.hall_code, victim), marker, False),
                                           (topics.up(self.hall_code, victim), marker, True),
                                           (topics.state(self.hall_code, victim), offline, True)):
                info = c.publish(topic, payload, qos=1, retain=retain)
                try:
                    info.wait_for_publish(5)
                    self._count("broker.other_terminals_topic", "sent")
                except (RuntimeError, ValueError):
                    self._count("broker.other_terminals_topic", "not sent (offline)")
        finally:
            c.disconnect()
            c.loop_stop()

    # ------------------------------------------------------------- the hub
    def hub_round(self, target):
        up, state = topics.up(self.hall_code, target), topics.state(self.hall_code, target)
        unknown = self._id("U")
        self._publish("hub.unknown_device", topics.up(self.hall_code, unknown), forged_hello(unknown))
        self._publish("hub.spoofed_hello", up, forged_hello(target))
        self._publish("hub.hello_naming_another", up, forged_hello(self._id("M")))
        self._publish("hub.garbage", up, os.urandom(self.rnd.randrange(1, 300)))
        sealed = self.captured(target)
        if sealed:
            p = bytearray(self.rnd.choice(sealed))
            p[-1] = ord("0") if p[-1] != ord("0") else ord("1")      # one hex digit of the MAC
            self._publish("hub.wrong_mac", up, bytes(p))
            self._publish("hub.retained_uplink", up, self.rnd.choice(sealed), retain=True)
        self._publish("hub.retained_offline", state, topics.OFFLINE, retain=True)

    def replay(self, target, n=3):
        sealed = self.captured(target)
        for p in sealed[-n:]:
            self._publish("hub.replayed_uplink", topics.up(self.hall_code, target), p)

    def hello_flood(self, n, target):
        """N hellos from made-up ids and N/10 on the target's own topic, back to back."""
        info = []
        for i in range(n):
            dev = self._id("F")
            info.append(self.hands.client.publish(topics.up(self.hall_code, dev), forged_hello(dev), qos=0))
            if i % 10 == 0:
                info.append(self.hands.client.publish(topics.up(self.hall_code, target),
                                                      forged_hello(target), qos=0))
        self._count("flood.mqtt_hello", "sent", len(info))

    # ------------------------------------------------------------- the result
    def settle(self):
        """After the attacks: what the hub answered, what got through the
        broker, what stayed retained -> counts."""
        answers = collections.Counter()
        real = {t.device_id for t in self.hall.terminals}
        for topic, payload, _qos, _retain in list(self.eyes.messages):
            _root, _hall, kind, device = _parts(topic)
            if kind == "down":
                if split(payload)[1] is not None:
                    continue                        # sealed: a real session's traffic
                try:
                    m = open_plain(payload, DOWN)
                except Exception:  # noqa: BLE001 - not ours to judge here
                    continue
                who = "made-up ids" if device not in real else device
                answers["%s: %s %s" % (who, m.get("t"), m.get("code", ""))] += 1
            elif payload in self.markers:
                self._count(self.markers[payload], "ARRIVED at the hub's topic")
        self.counts["hub answers (plain, on down topics)"].update(answers)
        hub_state = topics.hub_state(self.hall_code)
        live = [m for m in list(self.eyes.messages)
                if m[0] == hub_state and m[1] == topics.ONLINE and not m[3]]
        self.counts["hub's connects to the broker, seen live"]["n"] = len(live)
        self._retained_left()

    def _retained_left(self):
        """A fresh subscriber to every device topic: retained packets the
        hub should have cleared arrive at once."""
        root = "%s/%s/dev/#" % (topics.ROOT, self.hall_code)
        fresh = Observer(self.broker, [root])
        time.sleep(1.0)
        left = [m for m in fresh.messages if m[3]]
        fresh.close()
        self.counts["retained left on device topics"]["topics"] = len(left)
        for topic, payload, _q, _r in left:
            self.counts["retained left on device topics"]["%s %r" % (topic, payload[:40])] += 1
        return left

    def close(self):
        self.eyes.close()
        self.hands.close()


def _parts(topic):
    parts = topic.split("/")
    if len(parts) == 5:
        return parts[0], parts[1], parts[4], parts[3]
    return parts[0], parts[1] if len(parts) > 1 else "", "", ""
