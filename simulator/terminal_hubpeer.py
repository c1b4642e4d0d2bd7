"""A small hub side for simulated terminals, built only from the protocol package.

It opens a serial port with pyserial (the pty a SimTerminal offers, or a real
one), runs protocol.arq.Link and protocol.session.HubHandshake, and keeps what
a hub must: ratings and timeouts stored once per (device, seq), answered with
`ack` (dup=true for a repeat). It is the peer the firmware tests talk to
before and besides the real hub (hub.ingest); developers can use it to poke a
terminal by hand:

    peer = HubPeer(term.port, {"T1": key})
    peer.invite("T1", eid="e1", cs="2024-0001", mn="个体工商户登记", to=30)
    peer.wait(lambda: peer.events, 5)

One device per port (a serial line is point to point). A background thread
does the I/O; every public method is thread-safe.
"""

import os
import threading
import time

import serial

from protocol.arq import Link
from protocol.codec import encode
from protocol.errors import ProtocolError
from protocol.session import HubHandshake, open_plain, split


class HubPeer:
    def __init__(self, port, keys, auto_ack=True, baud=115200):
        self.keys = keys
        self.auto_ack = auto_ack
        self.events = {}          # seq -> first copy of each rating/timeout
        self.deliveries = []      # (seq, org) of every copy received
        self.heartbeats = []
        self.acks = []            # `re` of acks the terminal sent
        self.nacks = []
        self.hellos = []
        self.sessions = 0
        self.device = None
        self._port_path = port
        self._baud = baud
        self._lock = threading.RLock()
        self._session = None
        self._hs = None
        self._mid = 0
        self._stop = False
        self._ser = serial.Serial(port, baudrate=baud, timeout=0)
        self._new_link()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    # -- control ------------------------------------------------------------

    def _new_link(self):
        inc = int.from_bytes(os.urandom(2), "big") or 1
        self.link = Link(inc)
        self.link.start(self._now())
        self._session = None
        self._hs = None

    def restart(self):
        """As if the hub process was killed and started again: new link, no session."""
        with self._lock:
            self._new_link()

    def close(self):
        self._stop = True
        self._thread.join(2)
        self._ser.close()

    def wait(self, predicate, timeout=10.0):
        """Poll PREDICATE until true; -> its value; raises TimeoutError."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                v = predicate()
            if v:
                return v
            time.sleep(0.01)
        raise TimeoutError("condition not met within %.1f s" % timeout)

    @property
    def online(self):
        return self._session is not None

    def send(self, msg):
        """Seal and send a hub message (mid added if missing); -> its mid."""
        with self._lock:
            if self._session is None:
                raise RuntimeError("no session with the terminal yet")
            if "mid" not in msg and msg["t"] not in ("time", "ack", "nack"):
                self._mid += 1
                msg["mid"] = self._mid
            self.link.send(self._session.seal(msg))
            return msg.get("mid")

    def invite(self, eid, cs="CS-0001", mn="个体工商户设立登记", to=30, **extra):
        msg = {"t": "inv", "eid": eid, "win": "A01", "cs": cs, "mc": "M-001", "mn": mn,
               "stf": "1001", "stn": "王芳", "to": to}
        msg.update(extra)
        return self.send(msg)

    def ack_all(self):
        """Ack every stored event again (after running with auto_ack off)."""
        with self._lock:
            for seq in sorted(self.events):
                self.send({"t": "ack", "seq": seq})

    # -- I/O thread -----------------------------------------------------------

    @staticmethod
    def _now():
        return int(time.monotonic() * 1000)

    def _loop(self):
        while not self._stop:
            try:
                data = self._ser.read(4096)
            except (serial.SerialException, OSError):
                data = b""
            with self._lock:
                now = self._now()
                if data:
                    self.link.receive(data, now)
                self.link.poll(now)
                for p in self.link.take_delivered():
                    self._packet(p)
                self.link.take_events()
                out = self.link.outgoing()
            if out:
                try:
                    self._ser.write(out)
                except (serial.SerialException, OSError):
                    pass
            if not data:
                time.sleep(0.003)

    def _packet(self, p):
        _body, tag, _mac = split(p)
        try:
            if tag is None:
                msg = open_plain(p, "up")
                if msg["t"] == "hello":
                    self._hello(msg, p)
                return
            if self._hs is not None and self._hs.session.tag == tag:
                self._session, _auth = self._hs.accept(p)
                self._hs = None
                self.sessions += 1
                return
            if self._session is None:
                self.link.send(encode({"t": "nack", "code": "no_session",
                                       "msg": "start with hello"}, "down"))
                return
            msg = self._session.open(p)
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
        self._session = None
        self._hs = HubHandshake(msg, packet, key, os.urandom(8))
        self.link.send(self._hs.challenge)

    def _message(self, msg):
        t = msg["t"]
        if t in ("rating", "timeout"):
            seq = msg["seq"]
            self.deliveries.append((seq, msg["org"]))
            dup = seq in self.events
            if not dup:
                self.events[seq] = msg
            if self.auto_ack:
                a = {"t": "ack", "seq": seq}
                if dup:
                    a["dup"] = True
                self.link.send(self._session.seal(a))
        elif t == "hb":
            self.heartbeats.append(msg)
        elif t == "ack":
            self.acks.append(msg.get("re"))
        elif t == "nack":
            self.nacks.append(msg)
