"""The hub link over Wi-Fi: firmware/net/mqtt_client.MQTTClient as a transport.

Same interface as uart_transport.UartTransport, for app/hub_link:
start(now) starts the client's task (it connects, and reconnects with capped
backoff, forever); poll(now) -> (packets, events) with events "up" when the
broker session starts and "down" when it ends (the hub link then drops its
session and says hello again on the next "up"); send(packet) -> False when
the client's QoS 1 outbox is full (the record stays in the journal).
What arrived is collected by the client's callbacks and handed over at the
next poll, so the app sees packets in its own task, never inside the client's.

from_board(board.mqtt, device_id) makes one from what a board read (its
/wifi.json on the reference board): (hall, host, port[, user, password]),
the user defaulting to the device id, as `pingjia provision` names it.
"""

import asyncio

from protocol.topics import message_type


def from_board(mq, device_id):
    from firmware.net.mqtt_client import MQTTClient
    password = mq[4] if len(mq) > 4 else None
    user = (mq[3] if len(mq) > 3 else None) or (device_id if password else None)
    return MqttTransport(MQTTClient(mq[0], device_id, mq[1], mq[2], username=user,
                                    password=password))


class MqttTransport:
    def __init__(self, client):
        self.client = client
        client.on_packet = self._packet
        client.on_link = self._link
        self._packets = []
        self._events = []
        self._task = None

    @property
    def connected(self):
        return self.client.connected

    def _packet(self, payload):
        self._packets.append(bytes(payload))

    def _link(self, up):
        self._events.append("up" if up else "down")

    def start(self, now):
        if self._task is None:
            self._task = asyncio.create_task(self.client.run())

    def poll(self, now):
        p, e = self._packets, self._events
        if p:
            self._packets = []
        if e:
            self._events = []
        return p, e

    def send(self, packet):
        return self.client.send(packet, message_type(packet))

    def quality(self):
        c = self.client.counters
        sent = c["sent"]
        if not sent:
            return 100
        return max(0, min(100, 100 - c["resent"] * 100 // sent))

    def close(self):
        """Power cut (a simulator's host): the connection drops with no
        DISCONNECT, so the broker publishes the last will, and the task ends."""
        self.client.abort()
        if self._task is not None:
            self._task.cancel()
            self._task = None
