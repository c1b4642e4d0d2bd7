"""A paho-mqtt client for tests: subscribes, records what arrives, publishes.

    obs = Observer(broker, ["pingjia/h/dev/+/up"], client_id="obs", clean=False)
                      # logs in as a broker user of its own that may touch every
                      # topic (broker.observer_login), or login=
    obs.wait_for(lambda msgs: len(msgs) >= 3, timeout=5)
    obs.messages      # list of (topic, payload, qos, retain), in arrival order
    obs.publish(topic, payload, qos=1, retain=False)
    obs.close()
"""

import itertools
import threading
import time

import paho.mqtt.client as mqtt


# The shipped broker config ties the client id to the user
# (use_username_as_clientid): two observers of one user would drop each other.
_NAMES = ("observer-%d" % n for n in itertools.count(1))


class Observer:
    def __init__(self, broker, subscriptions, client_id=None, clean=True, qos=1, login=None):
        self.messages = []
        self._cond = threading.Condition()
        self._subscriptions = list(subscriptions)
        self._qos = qos
        self._subscribed = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or "",
                                  clean_session=clean if client_id else True)
        login = login or broker.observer_login(next(_NAMES))
        self.client.username_pw_set(login["username"], login["password"])
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *a: self._subscribed.set()
        self.client.reconnect_delay_set(0.05, 0.5)
        self.client.connect(broker.host, broker.port, keepalive=10)
        self.client.loop_start()
        if self._subscriptions and not self._subscribed.wait(10):
            raise RuntimeError("observer could not subscribe to %s" % self._subscriptions)

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if self._subscriptions:
            client.subscribe([(t, self._qos) for t in self._subscriptions])

    def _on_message(self, client, userdata, msg):
        with self._cond:
            self.messages.append((msg.topic, bytes(msg.payload), msg.qos, bool(msg.retain)))
            self._cond.notify_all()

    def wait_for(self, predicate, timeout=10.0):
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self.messages):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out waiting; got %d messages, last: %r"
                                         % (len(self.messages), self.messages[-5:]))
                self._cond.wait(left)
            return list(self.messages)

    def payloads(self, topic):
        with self._cond:
            return [m[1] for m in self.messages if m[0] == topic]

    def publish(self, topic, payload, qos=1, retain=False):
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish(10)

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()
