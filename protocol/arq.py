"""Reliable, ordered message link over a serial byte stream (Go-Back-N, sans-IO).

The line (UART, RS-485 point to point, USB serial) may lose, corrupt,
duplicate and delay bytes, but does not reorder them. Link turns it into an
ordered message channel. It does no I/O and reads no clock: the owner feeds
it bytes and the time, and writes out what it returns:

    link = Link(next_incarnation(boot_counter, random16),   # new at every boot
                rto_ms=rto_for(baud, window, max_payload),
                nonce=boot_nonce(random_bytes(4)))           # link version 2
    link.start(now_ms)
    loop:
        link.receive(uart.read(), now_ms)   # whatever arrived, any size
        link.poll(now_ms)                   # timers; next_timeout() says when
        link.send(msg)                      # False: queue full, retry later
        uart.write(link.outgoing())
        for msg in link.take_delivered(): ...
        for ev in link.take_events(): ...   # ("up", peer), ("peer_reset", peer)

Frames are described in protocol/framing.py, the handshake and the
version negotiation in protocol/arq_handshake.py. The rules:

Incarnations. Each end picks a new non-zero incarnation at boot (from a
boot counter kept on flash: next_incarnation) and names it in src of every
frame; dst names the peer's incarnation as known. An end given a boot nonce
(4 random bytes, new at every boot) speaks link version 2: its SYN carries
the nonce, the peer's SYNACK echoes it, and only an echo of this boot's
nonce brings the link up, so a boot that repeats the last one's
incarnation is never taken for it. Without a nonce an end speaks version 1
only (what ends built before version 2 do); a version 2 end meets such a
peer on version 1.
DATA and ACK are taken only with src == known peer and dst == own
incarnation (version 2: and echo == this boot's nonce, every version 2
frame names the receiver's boot); anything else (a peer that rebooted, or one still talking to our
previous boot) is dropped, counted as stale, and answered with a SYN (at
most one SYN per rto_ms), so numbering never mixes across boots.

Handshake. start() sends SYN(src=me, dst=known peer or 0), repeated every
rto_ms until the link is connected. A SYN is always answered with a SYNACK
(src=me, dst=its src). A SYN or SYNACK of another peer boot makes it the
peer: receive numbering restarts (expect seq 0), send numbering restarts
(every message not yet acked is sent again from seq 0, in its original
order), the event ("peer_reset", new) is emitted if there was a peer
before, and the link is not connected until the peer proves it knows us.
Adopting a peer by its SYN therefore also starts our own SYN. Connecting
emits ("up", peer). Any other SYN or SYNACK from the known peer changes no
numbering.

Data. At most `window` DATA frames are unacked (window < 128, so cumulative
acks are unambiguous mod 256). Each DATA carries the cumulative ack. A
receiver delivers the expected seq only, counts and drops duplicates and
out-of-order frames, and acks in every receive() call that brought DATA
(piggybacked on DATA it sends in that call, or one ACK). If the oldest unacked
frame has waited the current timeout, all unacked frames are sent again (go
back N) and the timeout doubles, up to rto_max_ms (16 x rto_ms unless given);
progress brings it back to rto_ms. This goes on for as long as it takes:
the queue (max_queue messages) is the back-pressure.
Messages queued before the link is up go once it is up. A receiver whose
upper layer has not taken max_queue delivered messages stops accepting new
DATA (the sender retransmits later), so no buffer here grows without bound.

Guarantee. With both ends running, every message given to send() on one end
is delivered exactly once and in order to the other end. After a reboot of
the sender, everything sent by the new incarnation is delivered exactly once
and in order (what the old one had not got acked is the upper layer's to
send again, from its journal). After a reboot of the receiver, the sender's
unacknowledged messages are delivered again to the new incarnation: at least
once across a receiver reboot, exactly once per receiver incarnation; the
upper layer's idempotent message ids absorb the repeats. "Delivered" means
handed to take_delivered(): a link ack is not a durable commit, so the upper
layer acks what it has committed in its own messages.

Bytes out. outgoing() returns whole frames; each batch it returns starts
with an extra 0x00, so line noise picked up while the line was idle (or the
half frame a rebooting peer left) cannot swallow the first frame. If the
owner does not drain outgoing(), at most a window of largest frames is kept
and the rest is skipped (counted as tx_overflow; timers send it again).

Nothing here raises on received bytes; bad frames are counted in stats:
sent, retransmits (DATA frames), delivered, duplicates, out_of_order,
stale (frames for another incarnation), acks_sent, syns_sent, peer_resets,
offers (version 1 SYNs/SYNACKs of a version 2 peer, see arq_handshake),
rx_full (DATA refused while the upper layer did not take deliveries),
tx_overflow, events_dropped (only if take_events() is never called), and
the Deframer's counters (protocol/framing.py).
"""

from protocol import framing
from protocol.arq_handshake import Handshake
from protocol.framing import DATA, ACK, SYN, SYNACK, V1, V2, NO_NONCE, Deframer, build_frame
# Re-exported: the owner picks them before building a Link.
from protocol.linkparams import boot_nonce, next_incarnation, rto_for  # noqa: F401

_EVENTS_MAX = 16
RTO_BACKOFF_MAX = 16   # default rto_max_ms, in multiples of rto_ms


class Link(Handshake):
    def __init__(self, incarnation, window=8, rto_ms=250, max_queue=64,
                 max_payload=framing.MAX_PAYLOAD, rto_max_ms=None, nonce=None):
        """nonce: this boot's 4 random bytes (boot_nonce): the link speaks
        version 2, and 1 with a version 1 peer; None: version 1 only."""
        self._init_handshake(incarnation, nonce)
        if type(window) is not int or not 0 < window < 128:
            raise ValueError("window must be 1..127 (acks are mod 256)")
        if type(rto_ms) is not int or rto_ms <= 0:
            raise ValueError("rto_ms must be a positive int")
        if type(max_queue) is not int or max_queue <= 0:
            raise ValueError("max_queue must be a positive int")
        if type(max_payload) is not int or not 0 <= max_payload <= framing.MAX_PAYLOAD:
            raise ValueError("max_payload must be 0..%d" % framing.MAX_PAYLOAD)
        if rto_max_ms is None:
            rto_max_ms = RTO_BACKOFF_MAX * rto_ms
        if type(rto_max_ms) is not int or rto_max_ms < rto_ms:
            raise ValueError("rto_max_ms must be an int >= rto_ms")
        self.window = window
        self.rto_ms = rto_ms
        self.rto_max_ms = rto_max_ms
        self._rto = rto_ms    # current timeout: doubles on expiry, base on progress
        self.max_queue = max_queue
        self.max_payload = max_payload
        self._deframer = Deframer(max_payload, self._versions)
        # Bytes waiting for outgoing(): room for one full window plus control
        # frames; beyond that frames are skipped (timers send them again).
        self._out_max = window * framing.max_wire_len(max_payload) + 256
        self._out = bytearray()
        # Send side: _queue[0] has seq _base; _queue[:_nsent] are in flight.
        self._queue = []
        self._base = 0
        self._nsent = 0
        self._rto_at = None   # retransmission deadline; -1: arm at next clock
        # Receive side.
        self._expect = 0
        self._ack_owed = False
        self._delivered = []
        self._events = []
        self._stats = {"sent": 0, "retransmits": 0, "delivered": 0, "duplicates": 0,
                       "out_of_order": 0, "stale": 0, "acks_sent": 0, "syns_sent": 0,
                       "peer_resets": 0, "offers": 0, "rx_full": 0, "tx_overflow": 0,
                       "events_dropped": 0}

    # -- public ---------------------------------------------------------

    @property
    def pending(self):
        """Messages queued or sent but not yet acked."""
        return len(self._queue)

    @property
    def stats(self):
        d = dict(self._stats)
        d.update(self._deframer.stats)
        return d

    def send(self, payload):
        """Queue one message; -> False if the queue is full (try again later).

        If the link is up and the window open, the frame is ready in
        outgoing() at once; its timer starts at the next call given a time.
        Raises ValueError for a message over max_payload.
        """
        payload = bytes(payload)
        if len(payload) > self.max_payload:
            raise ValueError("message of %d bytes exceeds %d" % (len(payload), self.max_payload))
        if len(self._queue) >= self.max_queue:
            return False
        self._queue.append(payload)
        self._pump()
        return True

    def receive(self, data, now_ms):
        """Take bytes read from the line, any amount, whatever they are."""
        self._clock(now_ms)
        for f in self._deframer.feed(data):
            self._on_frame(f, now_ms)
        self._pump()
        if self._ack_owed:
            self._emit(ACK, 0, self._expect)
            self._stats["acks_sent"] += 1
            self._ack_owed = False

    def poll(self, now_ms):
        """Run the timers: SYN retry, go-back-N retransmission."""
        self._clock(now_ms)
        if not self._connected:
            if self._syn_at is not None and now_ms >= self._syn_at:
                self._send_syn(now_ms)
                self._syn_at = now_ms + self.rto_ms
            return
        if self._nsent and now_ms >= self._rto_at:
            # Go back N: everything unacked, oldest first.
            for i in range(self._nsent):
                self._emit_data(i)
            self._stats["retransmits"] += self._nsent
            # Back off: a peer that is gone or slow is not flooded with copies.
            self._rto = min(2 * self._rto, self.rto_max_ms)
            self._rto_at = now_ms + self._rto
        self._pump()

    def next_timeout(self, now_ms):
        """-> ms until poll() has work (0: now), or None if only input can wake us."""
        self._clock(now_ms)
        if not self._connected:
            at = self._syn_at
        elif self._nsent:
            at = self._rto_at
        else:
            return None
        if at is None:
            return None
        return at - now_ms if at > now_ms else 0

    def outgoing(self):
        """-> the bytes to write to the line (and forget them)."""
        out = bytes(self._out)
        self._out = bytearray()
        return out

    def take_delivered(self):
        d = self._delivered
        self._delivered = []
        return d

    def take_events(self):
        e = self._events
        self._events = []
        return e

    # -- receiving ------------------------------------------------------

    def _on_frame(self, f, now):
        if f.ftype in (SYN, SYNACK):
            self._on_control(f, now)
            return
        if not self._takes(f):
            self._stale(now)
            return
        self._known = True
        self._on_ack(f.ack, now)
        if f.ftype == DATA:
            self._on_data(f)

    def _on_ack(self, ack, now):
        n = (ack - self._base) & 0xFF
        # n > _nsent: an ack for frames never sent, or an old one; ignore.
        if n == 0 or n > self._nsent:
            return
        del self._queue[:n]
        self._base = ack
        self._nsent -= n
        self._rto = self.rto_ms
        self._rto_at = now + self.rto_ms if self._nsent else None

    def _on_data(self, f):
        self._ack_owed = True
        d = (f.seq - self._expect) & 0xFF
        if d == 0:
            if len(self._delivered) >= self.max_queue:
                self._stats["rx_full"] += 1
                return
            self._delivered.append(f.payload)
            self._expect = (self._expect + 1) & 0xFF
            self._stats["delivered"] += 1
        elif d < 128:
            self._stats["out_of_order"] += 1
        else:
            self._stats["duplicates"] += 1

    def _restart_numbering(self):
        """A new peer boot: both numberings from 0, nothing in flight."""
        self._expect = 0
        self._ack_owed = False
        self._base = 0
        self._nsent = 0
        self._rto_at = None
        self._rto = self.rto_ms

    def _event(self, kind, peer):
        if len(self._events) >= _EVENTS_MAX:
            self._events.pop(0)
            self._stats["events_dropped"] += 1
        self._events.append((kind, peer))

    # -- sending --------------------------------------------------------

    def _clock(self, now):
        if self._rto_at == -1:
            self._rto_at = now + self.rto_ms

    def _pump(self):
        if not self._connected:
            return
        n = min(self.window, len(self._queue))
        while self._nsent < n:
            if not self._nsent and self._rto_at is None:
                self._rto_at = -1
            self._emit_data(self._nsent)
            self._nsent += 1
            self._stats["sent"] += 1

    def _emit_data(self, i):
        self._emit(DATA, (self._base + i) & 0xFF, self._expect, self._queue[i])
        self._ack_owed = False

    def _emit(self, ftype, seq, ack, payload=b"", version=None, offer=0):
        if version is None:
            version = V2 if self._peer_ver == V2 else V1
        echo = nonce = None
        if version == V2:
            # Every version 2 frame names the peer's boot; a SYN/SYNACK ours.
            echo = self._peer_nonce or NO_NONCE
            if ftype in (SYN, SYNACK):
                nonce = self._nonce
        w = build_frame(ftype, self.incarnation, self._peer, seq, ack, payload,
                        self.max_payload, version, offer, echo, nonce)
        if len(self._out) + len(w) + 1 > self._out_max:
            self._stats["tx_overflow"] += 1
            return
        if not self._out:
            # A delimiter first cuts off any noise the line picked up while idle.
            self._out.append(0)
        self._out += w
