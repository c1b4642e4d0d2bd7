"""The protocol session with the hub, on top of any transport (UART or MQTT).

Sans-IO like the protocol package: the owner (app/main.py) feeds it the
transport's packets and events with the time, and sends what is in `outbox`
(oldest first; what the transport refuses stays for the next round).

Session. When the transport is up, `hello` goes out (journal depth `jd`,
config version `cv`, a fresh nonce from the board's random source); `chal`
is answered with the sealed `auth` and the session is open. No answer in
HELLO_WAIT_MS, or a nack of the hello/auth: a new hello after a backoff
(firmware/net/timing.Backoff: steps doubling from 1 s to 60 s, each delay
drawn between half and all of its step, so the terminals of a hall that the
hub turned away together do not all say hello again in one burst). A
transport reset, or the hub saying `no_session`, drops the session and
starts a new handshake at once.

Journal delivery. When a session opens, every record of the journal not yet
acked is sent again in seq order with org="replay"; records appended while
the session is open go out at once with org="live". The journal keeps the
event's own fields; each send adds seq, org and a new mid (app/record.py).
At most WINDOW records are in flight; one not answered in RESEND_MS is sent
again (same seq, new mid): the hub's idempotent key (device, seq) absorbs
repeats.
- `ack {seq}` (with or without dup): the hub has committed it; the record
  leaves the journal.
- `nack {seq, perm: true}`: the hub has stored the refusal (e.g. not_invited,
  duplicate_visit, bad_label) and resending cannot help; the record leaves
  the journal and is counted in stats["refused"]. This is the only way a
  record leaves the journal without an ack.
- `nack {seq}` without perm (busy, rate_limited, ...): kept, sent again
  after BUSY_MS.
- `nack no_session`: new handshake; the record goes again in the new session.

Messages from the hub (inv, cancel, cfg, time, duty, print, reboot) are
handed to the owner; it answers those with a `mid` through answer().
Packets that do not open (bad seal, another session, malformed) are
counted and dropped; a malformed message with a mid is nacked with the
decoder's code, so the hub's log names what it sent wrong. A replayed
packet (protocol v2: its counter was taken before) is counted in
stats["replayed"] and dropped unanswered: a captured `time` or `reboot`
sent again does nothing.
"""

from protocol.catalogue import acked_seqs
from protocol.errors import ProtocolError, NO_SESSION, BAD_SEAL, REPLAYED
from protocol.session import TerminalHandshake, open_plain, split

from firmware.app import record
from firmware.net.timing import Backoff

WINDOW = 8
RESEND_MS = 30000
BUSY_MS = 2000
HELLO_WAIT_MS = 5000
BACKOFF_MIN_MS = 1000
BACKOFF_MAX_MS = 60000
HUB_TYPES = ("inv", "cancel", "cfg", "time", "duty", "print", "reboot")


class HubLink:
    def __init__(self, device_id, key, info, journal, random_bytes):
        self.device_id = device_id
        self._key = key
        self._info = info            # hello fields: fw, board, caps, cv (updated by owner)
        self.journal = journal
        self._random = random_bytes
        self.session = None
        self.outbox = []
        self._hs = None
        self._hs_at = None           # when the hello went out
        self._hs_retry = None        # next hello at, after a failure
        self._backoff = Backoff(BACKOFF_MIN_MS, BACKOFF_MAX_MS)
        self._mid = 0
        self._live_from = None       # seq >= this: created during this session
        self._inflight = {}          # seq -> ms sent
        self._hold_until = 0         # after a busy nack
        self._transport_up = False
        self.stats = {"sessions": 0, "acked": 0, "refused": 0, "resent": 0,
                      "bad_packets": 0, "replayed": 0, "nacks": 0}

    @property
    def online(self):
        return self.session is not None

    def set_info(self, key, value):
        """Change a field the next hello carries (e.g. cv after a new config)."""
        self._info[key] = value

    def _next_mid(self):
        self._mid = (self._mid + 1) & 0x7FFFFFFF or 1
        return self._mid

    # -- transport events -------------------------------------------------

    def transport_up(self, now):
        self._transport_up = True
        if self.session is None and self._hs is None:
            self._hello(now)

    def transport_reset(self, now):
        self._drop()
        if self._transport_up:
            self._hello(now)

    def transport_down(self):
        self._transport_up = False
        self._drop()

    def _drop(self):
        self.session = None
        self._hs = None
        self._inflight = {}

    def _hello(self, now):
        self.session = None
        self._inflight = {}
        self._hs = TerminalHandshake(self.device_id, self._key, self._random(8),
                                     dict(self._info, jd=self.journal.depth()))
        self.outbox.append(self._hs.hello(self._next_mid()))
        self._hs_at = now
        self._hs_retry = None

    def _failed(self, now):
        self._hs = None
        self.session = None
        self._hs_retry = now + self._backoff.next_ms()

    # -- incoming ---------------------------------------------------------

    def receive(self, packet, now):
        """One packet from the transport -> list of hub messages for the owner."""
        try:
            _body, tag, _mac = split(packet)
            if tag is None:
                self._plain(open_plain(packet, "down"), now)
                return []
            if self.session is None:
                self.stats["bad_packets"] += 1
                return []
            msg = self.session.open(packet)
        except ProtocolError as e:
            if e.code == REPLAYED:           # a captured packet sent again: never act, never answer
                self.stats["replayed"] += 1
                return []
            self.stats["bad_packets"] += 1
            if e.mid is not None and e.code not in (BAD_SEAL, NO_SESSION) and self.session:
                self._send({"t": "nack", "re": e.mid, "code": e.code, "msg": e.detail[:160]})
            return []
        t = msg["t"]
        if t == "ack":
            for seq in acked_seqs(msg):         # seq, and more stored by the same commit
                self._acked(seq)
            return []
        if t == "nack":
            self._nacked(msg, now)
            return []
        if t in HUB_TYPES:
            return [msg]
        if "mid" in msg:
            self._send({"t": "nack", "re": msg["mid"], "code": "unknown_type"})
        return []

    def _plain(self, msg, now):
        if msg["t"] == "chal":
            if self._hs is None:
                return
            try:
                session, auth = self._hs.accept(msg, self._next_mid())
            except ProtocolError:
                self.stats["bad_packets"] += 1
                return              # a stray or forged chal: wait for the right one
            self._hs = None
            self.session = session
            self._backoff.reset()
            self.stats["sessions"] += 1
            self.outbox.append(auth)
            self._live_from = self.journal.next_seq()
            self._inflight = {}
            self._pump(now)
        elif msg["t"] == "nack":
            self.stats["nacks"] += 1
            if msg.get("code") == NO_SESSION and self.session is not None:
                self._hello(now)
            elif self._hs is not None or self.session is not None:
                self._failed(now)   # auth_failed, unknown_device, version: try later

    def _acked(self, seq):
        self._inflight.pop(seq, None)
        self.journal.ack(seq)
        self.stats["acked"] += 1

    def _nacked(self, msg, now):
        self.stats["nacks"] += 1
        if msg["code"] == NO_SESSION:
            self._hello(now)
            return
        seq = msg.get("seq")
        if seq is None:
            return
        self._inflight.pop(seq, None)
        if msg.get("perm"):
            self.journal.ack(seq)
            self.stats["refused"] += 1
        else:
            self._hold_until = now + BUSY_MS

    # -- outgoing ---------------------------------------------------------

    def _send(self, msg):
        if self.session is None:
            return False
        if "mid" not in msg and msg["t"] not in ("ack", "nack", "hb"):
            msg["mid"] = self._next_mid()
        self.outbox.append(self.session.seal(msg))
        return True

    def answer(self, mid, code=None, text=None):
        """Ack (code None) or nack a hub message that carried `mid`."""
        if code is None:
            return self._send({"t": "ack", "re": mid})
        m = {"t": "nack", "re": mid, "code": code}
        if text:
            m["msg"] = text[:160]
        return self._send(m)

    def heartbeat(self, fields):
        m = {"t": "hb"}
        for k in fields:
            m[k] = fields[k]
        return self._send(m)

    def recorded(self, now):
        """A record was appended to the journal: send it if we can."""
        self._pump(now)

    def _pump(self, now):
        if self.session is None or now < self._hold_until or len(self._inflight) >= WINDOW:
            return
        for seq, payload in self.journal.pending(limit=WINDOW + len(self._inflight)):
            if len(self._inflight) >= WINDOW:
                break
            if seq in self._inflight:
                continue
            self._send_record(seq, payload, now)

    def _send_record(self, seq, payload, now):
        org = "live" if seq >= self._live_from else "replay"
        msg = record.message(payload, seq, org, self._next_mid())
        self._inflight[seq] = now
        self.outbox.append(self.session.seal(msg))

    def poll(self, now):
        if self._hs is not None and now - self._hs_at >= HELLO_WAIT_MS:
            self._failed(now)
        if self._hs_retry is not None and now >= self._hs_retry and self._transport_up:
            self._hello(now)
        if self.session is None:
            return
        for seq in list(self._inflight):
            if now - self._inflight[seq] >= RESEND_MS:
                del self._inflight[seq]
                self.stats["resent"] += 1
        self._pump(now)
