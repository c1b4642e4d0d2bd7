"""Protocol terminals (tests/support/hub_peer.Terminal) over the firmware MQTT client.

One asyncio loop in a background thread runs the firmware's MQTTClient for
every terminal; the test thread drives each terminal with hub_peer's
blocking API (handshake, rating, answer_for):

    fleet = MqttFleet(broker, "hall-1")
    t = fleet.terminal("T1", key_hex)     # connected, online state published
    t.handshake(); seq = t.rating(eid, cs); t.answer_for(seq)
    fleet.client("T1").abort()            # drop without DISCONNECT (last will)
    fleet.close()                         # clean stop of every client

Packets go up with the QoS of their type (hb at QoS 0) exactly as the
firmware sends them. Each terminal logs in as its own broker user
(broker.terminal_login), made on its first connect.
"""

import asyncio
import threading
import time

from firmware.net.mqtt_client import MQTTClient
from hub.transports.mqtt_link import message_type
from tests.support.hub_peer import Terminal


class MqttFleet:
    def __init__(self, broker, hall, **client_kw):
        self.broker = broker
        self.hall = hall
        self.client_kw = dict(backoff_min_ms=50, backoff_max_ms=500, max_outbox=64,
                              log=lambda *a: None)
        self.client_kw.update(client_kw)
        self.clients = {}
        self._tasks = {}
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="mqtt-fleet", daemon=True)
        self._thread.start()

    def call(self, fn, *args):
        """Run fn(*args) on the fleet's loop and return its result."""
        async def run():
            return fn(*args)
        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(10)

    def client(self, device_id):
        return self.clients[device_id]

    def connect(self, device_id, on_packet, timeout=10.0):
        login = self.broker.terminal_login(self.hall, device_id)

        def make():
            c = MQTTClient(self.hall, device_id, self.broker.host, self.broker.port,
                           on_packet=on_packet, **login, **self.client_kw)
            self.clients[device_id] = c
            self._tasks[device_id] = self.loop.create_task(c.run())
            return c
        client = self.call(make)
        deadline = time.monotonic() + timeout
        while not client.connected:
            if time.monotonic() > deadline:
                raise AssertionError("terminal %s could not connect: %s" % (device_id, client.last_error))
            time.sleep(0.005)
        return client

    def send(self, device_id, packet):
        """Hand a packet to the terminal's MQTT client; False if it refused it."""
        c = self.clients[device_id]
        return self.call(c.send, packet, message_type(packet))

    def terminal(self, device_id, key, **kw):
        t = Terminal(device_id, key, **kw)
        self.connect(device_id, t.inbox.put)
        t.out = lambda packet: self._send_or_fail(device_id, packet)
        return t

    def _send_or_fail(self, device_id, packet):
        if not self.send(device_id, packet):
            raise AssertionError("MQTT client of %s refused a packet (outbox full or offline)" % device_id)

    def close(self):
        async def stop_all():
            await asyncio.gather(*(c.stop() for c in self.clients.values()))
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        if self.clients:
            asyncio.run_coroutine_threadsafe(stop_all(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()
