"""The hub link over a serial byte stream: protocol.arq.Link on the board's UART.

One transport interface, shared with the MQTT transport, for app/hub_link:
  start(now)        begin (the link's SYN)
  poll(now)         -> (packets, events): does the I/O; events are "up"
                    (a session may start) and "reset" (the peer restarted:
                    whatever was in flight is gone, start a new session)
  send(packet)      -> False when the queue is full (offer it again later)
  connected, quality() (percent of frames that went through the first time)
"""

from protocol.arq import Link


def incarnation(boot_count, rnd):
    """The link's incarnation: new at every boot, as protocol/arq.py asks.

    The high byte is the boot counter's low byte, so two consecutive boots
    never share an incarnation even with a weak random source; the low byte
    is random, so two terminals booted alike rarely match.
    """
    inc = ((boot_count & 0xFF) << 8) | (rnd & 0xFF)
    return inc or 1


class UartTransport:
    def __init__(self, stream, inc, window=8, rto_ms=250):
        self._stream = stream
        self.link = Link(inc, window=window, rto_ms=rto_ms)

    @property
    def connected(self):
        return self.link.connected

    def start(self, now):
        self.link.start(now)
        self._flush()

    def poll(self, now):
        data = self._stream.read()
        if data:
            self.link.receive(data, now)
        self.link.poll(now)
        self._flush()
        events = []
        for kind, _peer in self.link.take_events():
            events.append("up" if kind == "up" else "reset")
        return self.link.take_delivered(), events

    def send(self, packet):
        ok = self.link.send(packet)
        self._flush()
        return ok

    def _flush(self):
        out = self.link.outgoing()
        if out:
            self._stream.write(out)

    def quality(self):
        s = self.link.stats
        sent = s["sent"]
        if not sent:
            return 100
        return sent * 100 // (sent + s["retransmits"])
