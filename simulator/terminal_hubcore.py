"""The hub side of one serial line, sans-IO, built only from the protocol package.

Runs on CPython and on MicroPython (the firmware tests on the WebAssembly
port run it in the same interpreter as the terminal). It speaks the link
(protocol.arq.Link), the handshake (protocol.session.HubHandshake) and
keeps what a hub must: every rating and timeout stored once per seq and
answered with `ack` (dup=true for a repeat) when auto_ack is on. It does no
I/O: the owner feeds it bytes with the time and writes out what it returns
(simulator/terminal_hubpeer.py does that over a pty with pyserial).
"""

from protocol.arq import Link
from protocol.catalogue import ack_messages
from protocol.codec import encode
from protocol.errors import ProtocolError
from protocol.session import HubHandshake, open_plain, split


class HubCore:
    def __init__(self, keys, random_bytes, now, auto_ack=True):
        self.keys = keys              # device id -> 32-byte key
        self.random_bytes = random_bytes
        self.auto_ack = auto_ack
        self.events = {}              # seq -> first copy of each rating/timeout
        self.deliveries = []          # (seq, org) of every copy received
        self.heartbeats = []
        self.acks = []                # `re` of acks the terminal sent
        self.nacks = []
        self.hellos = []
        self.sessions = 0
        self.device = None
        self._mid = 0
        self.restart(now)

    def restart(self, now):
        """As if the hub process was killed and started again: new link, no session."""
        inc = self.random_bytes(2)
        self.link = Link((inc[0] << 8 | inc[1]) or 1)
        self.link.start(now)
        self.session = None
        self._hs = None

    def lose_session(self):
        """As if the hub forgot the session but kept the line (its app restarted
        behind a link that stayed up): the next sealed packet gets no_session."""
        self.session = None
        self._hs = None

    @property
    def online(self):
        return self.session is not None

    # -- bytes in and out ---------------------------------------------------

    def feed(self, data, now):
        if data:
            self.link.receive(data, now)
        self.link.poll(now)
        for p in self.link.take_delivered():
            self._packet(p)
        self.link.take_events()

    def outgoing(self):
        return self.link.outgoing()

    # -- what a hub sends ----------------------------------------------------

    def send(self, msg):
        """Seal and queue a hub message (mid added when it needs one); -> its mid."""
        if self.session is None:
            raise RuntimeError("no session with the terminal yet")
        if "mid" not in msg and msg["t"] not in ("time", "ack", "nack"):
            self._mid += 1
            msg["mid"] = self._mid
        self.link.send(self.session.seal(msg))
        return msg.get("mid")

    def seal(self, msg):
        """A sealed packet of the session, not sent (to send again later: a replay)."""
        return self.session.seal(msg)

    def send_packet(self, packet):
        """Queue PACKET as it is (a captured one sent again, a faulty hub's)."""
        self.link.send(packet)

    def invite(self, eid, cs="CS-0001", mn="个体工商户设立登记", to=30, **extra):
        msg = {"t": "inv", "eid": eid, "win": "A01", "cs": cs, "mc": "M-001", "mn": mn,
               "stf": "1001", "stn": "王芳", "to": to}
        for k in extra:
            msg[k] = extra[k]
        return self.send(msg)

    def ack_all(self):
        """Ack every stored event again (after running with auto_ack off), as
        the hub answers a group commit: seq + more, several per ack.
        -> the number of ack packets sent."""
        acks = ack_messages(sorted(self.events))
        for msg in acks:
            self.send(msg)
        return len(acks)

    # -- what arrives ----------------------------------------------------------

    def _packet(self, p):
        _body, tag, _mac = split(p)
        try:
            if tag is None:
                msg = open_plain(p, "up")
                if msg["t"] == "hello":
                    self._hello(msg, p)
                return
            if self._hs is not None and self._hs.session.tag == tag:
                self.session, _auth = self._hs.accept(p)
                self._hs = None
                self.sessions += 1
                return
            if self.session is None:
                self.link.send(encode({"t": "nack", "re": 0, "code": "no_session",
                                       "msg": "start with hello"}, "down"))
                return
            msg = self.session.open(p)
        except ProtocolError as e:
            self.nacks.append(("bad", str(e)))
            return
        self._message(msg)

    def _hello(self, msg, packet):
        self.hellos.append(msg)
        key = self.keys.get(msg["dev"])
        if key is None:
            self.link.send(encode({"t": "nack", "re": msg["mid"], "code": "unknown_device",
                                   "perm": True}, "down"))
            return
        self.device = msg["dev"]
        self.session = None
        self._hs = HubHandshake(msg, packet, key, self.random_bytes(8))
        self.link.send(self._hs.challenge)

    def _message(self, msg):
        t = msg["t"]
        if t == "rating" or t == "timeout":
            seq = msg["seq"]
            self.deliveries.append((seq, msg["org"]))
            dup = seq in self.events
            if not dup:
                self.events[seq] = msg
            if self.auto_ack:
                a = {"t": "ack", "seq": seq}
                if dup:
                    a["dup"] = True
                self.link.send(self.session.seal(a))
        elif t == "hb":
            self.heartbeats.append(msg)
        elif t == "ack":
            self.acks.append(msg.get("re"))
        elif t == "nack":
            self.nacks.append(msg)
