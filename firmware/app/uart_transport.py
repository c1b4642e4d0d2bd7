"""The hub link over a serial byte stream: protocol.arq.Link on the board's UART.

One transport interface, shared with the MQTT transport, for app/hub_link:
  start(now)        begin (the link's SYN)
  poll(now)         -> (packets, events): does the I/O; events are "up"
                    (a session may start) and "reset" (the peer restarted:
                    whatever was in flight is gone, start a new session)
  send(packet)      -> False when the queue is full (offer it again later)
  connected, quality() (percent of frames that went through the first time)

Link settings follow PROTOCOL.md §6.4: the incarnation comes from the boot
counter (next_incarnation), which the terminal has already incremented and
written to flash before it makes this transport, so a reboot never reuses
the last boot's incarnation; the retransmission timeout comes from the
line speed (rto_for), so a window of 2 KB frames at the board's baud rate is
not sent again before it can have been acked. The link speaks version 2
with a boot nonce from the board's random source (boot_nonce), so a hub's
SYNACK for this terminal's previous boot never brings it up, and meets a
hub that speaks only version 1 on version 1.
"""

from protocol import framing
from protocol.arq import Link
from protocol.linkparams import boot_nonce, next_incarnation, rto_for


def random16(random_bytes):
    """16 random bits from the board's source (board.random_bytes)."""
    b = random_bytes(2)
    return b[0] << 8 | b[1]


class UartTransport:
    def __init__(self, stream, boot, rnd16, rnd4, window=8, max_payload=framing.MAX_PAYLOAD):
        """stream: the board's link (read/write, .baud its line speed in bit/s);
        boot: this boot's number from the flash counter; rnd16: 16 random
        bits; rnd4: 4 random bytes, the boot nonce."""
        self._stream = stream
        self.link = Link(next_incarnation(boot, rnd16), window=window,
                         rto_ms=rto_for(stream.baud, window, max_payload),
                         max_payload=max_payload, nonce=boot_nonce(rnd4))

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
