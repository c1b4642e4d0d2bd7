"""A test terminal made of the protocol package itself (a real peer, not a mock).

It speaks the handshake (protocol.session.TerminalHandshake) and seals its
messages like the firmware does. Wire it to an ingest connection directly
(`Terminal.direct(ingest, ...)`) or over a serial line through
`PtyLink` (protocol.arq.Link on a pty master fd).
"""

import json
import os
import queue
import selectors
import sqlite3
import threading
import time

from protocol import PROTOCOL_VERSION
from protocol.arq import Link, boot_nonce
from protocol.catalogue import DOWN, acked_seqs
from protocol.crypto import hmac_sha256
from protocol.errors import REPLAYED, ProtocolError
from protocol.session import Session, TerminalHandshake, hello_hash, open_plain, split

def session_keys(key, dn, hn):
    """(K_up, K_down, tag) from the device key and both nonces, as PROTOCOL.md
    §5.3 defines them: what a terminal that skips the hub's checks (a forged
    handshake) or seals what the codec would refuse needs, written from the
    spec rather than taken from protocol.session's internals."""
    salt = dn + hn
    return (hmac_sha256(key, b"pingjia up" + salt), hmac_sha256(key, b"pingjia down" + salt),
            hn.hex()[:8])


def seal_raw(send_key, tag, body, counter=None):
    """BODY sealed as-is, without the codec (PROTOCOL.md §5.5): version 1
    (COUNTER None) body ~ tag mac with the mac over the body; version 2
    body ~ tag ctr mac with the mac over everything before it."""
    if counter is None:
        return body + b"~" + tag.encode() + hmac_sha256(send_key, body)[:8].hex().encode()
    head = body + ("~%s%08x" % (tag, counter)).encode()
    return head + hmac_sha256(send_key, head)[:8].hex().encode()


def committed(db_path, sql, params=()):
    """Rows of a query through a separate connection: only committed data is
    visible, which is what an ack promises."""
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


INFO = {"fw": "1.2.0", "board": "sim", "jd": 0, "caps": ["uart", "printer"]}


class Terminal:
    """VERSION is the highest protocol version it offers in hello.pv: 1 makes
    an old terminal (seals without a counter), as firmware before v2 did."""

    def __init__(self, device_id, key, out=None, info=None, version=PROTOCOL_VERSION):
        self.device_id = device_id
        self.version = version
        self.key = bytes.fromhex(key) if isinstance(key, str) else key
        self.info = dict(INFO if info is None else info)
        self.out = out                 # function(packet) towards the hub
        self.inbox = queue.Queue()     # packets from the hub
        self.session = None
        self.up_key = None             # K_up of this session, for send_unchecked
        self.seen = []                 # messages received and not yet waited for
        self.replayed = 0              # copies of packets already taken, dropped
        self._mid = 0
        self.seq = 0

    @classmethod
    def direct(cls, ingest, device_id, key, transport="mqtt", **kw):
        t = cls(device_id, key, **kw)
        t.conn = ingest.attach(transport, device_id, t.inbox.put)
        t.out = t.conn.receive
        return t

    @classmethod
    def on_line_of(cls, other, device_id, key):
        """Another terminal (or the same one rebooted) on OTHER's line: it
        sends where OTHER sent and reads what OTHER's line receives."""
        t = cls(device_id, key, out=other.out)
        t.inbox = other.inbox
        return t

    def mid(self):
        self._mid += 1
        return self._mid

    def recv(self, timeout=5.0):
        end = time.monotonic() + timeout
        while True:
            packet = self.inbox.get(timeout=max(0.0, end - time.monotonic()))
            tag = split(packet)[1]
            if tag is None:
                return open_plain(packet, DOWN)
            if self.session is None or tag != self.session.tag:
                # Sealed for a session this terminal no longer has (the hub
                # answered an old one late): a terminal drops it, as the
                # firmware does, instead of failing.
                continue
            try:
                return self.session.open(packet)
            except ProtocolError as e:
                if e.code != REPLAYED:
                    raise
                # A copy of a packet already taken: MQTT delivers a QoS 1 packet
                # again after a broker restart. Dropped, as the firmware does.
                self.replayed += 1

    def wait_for(self, pred, timeout=5.0):
        """The first message (already seen or arriving) that pred accepts."""
        for i, m in enumerate(self.seen):
            if pred(m):
                return self.seen.pop(i)
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError("no matching message within %ss; seen %r" % (timeout, self.seen))
            try:
                got = _one_per_record(self.recv(left))
            except queue.Empty:
                continue
            for i, m in enumerate(got):
                if pred(m):
                    self.seen.extend(got[i + 1:])
                    return m
                self.seen.append(m)

    def handshake(self, timeout=5.0, expect_ok=True):
        hs = TerminalHandshake(self.device_id, self.key, os.urandom(8), self.info, self.version)
        hello_mid = self.mid()
        self.out(hs.hello(hello_mid))
        chal = self.wait_for(lambda m: m.get("re") == hello_mid, timeout)
        if chal["t"] != "chal":
            return chal                       # a nack: unknown device, version ...
        session, auth = hs.accept(chal, self.mid())
        self.session = session
        self.up_key = session_keys(self.key, hs.nonce, bytes.fromhex(chal["hn"]))[0]
        self.out(auth)
        answer = self.wait_for(lambda m: m["t"] in ("ack", "nack") and
                               m.get("re") in (hs.hello_msg["mid"] + 1, 0), timeout)
        if answer["t"] == "nack":
            self.session = None
        return answer

    def forged_handshake(self, timeout=5.0):
        """Handshake with a wrong key that skips checking the hub's proof, as
        an impostor would: -> the hub's answer to the auth (a nack)."""
        hs = TerminalHandshake(self.device_id, self.key, os.urandom(8), self.info, self.version)
        hello = hs.hello(self.mid())
        self.out(hello)
        chal = self.wait_for(lambda m: m["t"] == "chal", timeout)
        up, down, tag = session_keys(self.key, hs.nonce, bytes.fromhex(chal["hn"]))
        self.session, self.up_key = Session("terminal", up, down, tag, chal["pv"]), up
        self.out(self.session.seal({"t": "auth", "mid": self.mid(), "hh": hello_hash(hello)}))
        return self.wait_for(lambda m: m["t"] == "nack", timeout)

    def send(self, msg):
        self.out(self.session.seal(msg))

    def send_unchecked(self, msg):
        """Seal a message the codec would refuse to write (a faulty terminal)."""
        body = json.dumps(msg, separators=(",", ":"), ensure_ascii=False).encode()
        counter = self.session.take_counter() if self.session.version >= 2 else None
        self.out(seal_raw(self.up_key, self.session.tag, body, counter))

    def rating(self, eid, cs, lv=5, seq=None, unchecked=False, **kw):
        if seq is None:
            self.seq += 1
            seq = self.seq
        m = {"t": "rating", "seq": seq, "eid": eid, "cs": cs, "lv": lv, "dp": 2500,
             "mt": 1000 * seq, "org": "live"}
        m.update(kw)
        (self.send_unchecked if unchecked else self.send)(m)
        return seq

    def answer_for(self, seq, timeout=5.0):
        return self.wait_for(lambda m: m["t"] in ("ack", "nack") and m.get("seq") == seq, timeout)


class PtyLink:
    """The terminal's UART: protocol.arq.Link over a pty master fd, in a thread.

    `bytes_per_s` paces writes like a real line at that rate (ptys ignore
    baud rates); None writes as fast as the pty takes them. `link_version`
    1 makes it a terminal built before link version 2 (no boot nonce).
    """

    def __init__(self, fd, deliver, incarnation=None, bytes_per_s=None, window=8, rto_ms=250,
                 link_version=2):
        self.fd = fd
        self.deliver = deliver
        self.link = Link(incarnation or (int.from_bytes(os.urandom(2), "big") | 1),
                         window=window, rto_ms=rto_ms, max_queue=4096,
                         nonce=boot_nonce(os.urandom(4)) if link_version == 2 else None)
        self.bytes_per_s = bytes_per_s
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        self.bytes_out = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def send(self, packet):
        with self._lock:
            if not self.link.send(packet):
                raise RuntimeError("terminal link queue full")
        os.write(self._wake_w, b"x")

    def stop(self):
        if self._stop.is_set():
            return
        self._stop.set()
        os.write(self._wake_w, b"x")
        self._thread.join(5)
        os.close(self._wake_r)
        os.close(self._wake_w)

    def _now(self):
        return int(time.monotonic() * 1000)

    def _write(self, data):
        if self.bytes_per_s:
            # Pace chunk by chunk so the line never carries more than its rate.
            start = time.monotonic()
            for i in range(0, len(data), 64):
                chunk = data[i:i + 64]
                os.write(self.fd, chunk)
                self.bytes_out += len(chunk)
                due = start + (i + len(chunk)) / self.bytes_per_s
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
        else:
            os.write(self.fd, data)
            self.bytes_out += len(data)

    def _run(self):
        sel = selectors.DefaultSelector()
        sel.register(self.fd, selectors.EVENT_READ, "line")
        sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        with self._lock:
            self.link.start(self._now())
        while not self._stop.is_set():
            with self._lock:
                out = self.link.outgoing()
            if out:
                try:
                    self._write(out)
                except OSError:
                    return
            with self._lock:
                nt = self.link.next_timeout(self._now())
            for key, _ in sel.select(0.05 if nt is None else min(nt / 1000, 0.05)):
                if key.data == "wake":
                    os.read(self._wake_r, 4096)
                    continue
                try:
                    data = os.read(self.fd, 4096)
                except OSError:
                    return
                with self._lock:
                    self.link.receive(data, self._now())
            with self._lock:
                self.link.poll(self._now())
                delivered = self.link.take_delivered()
                self.link.take_events()
            for p in delivered:
                self.deliver(p)


def _one_per_record(m):
    """An ack naming several journal records (seq + more, one group commit)
    -> one ack per record, as the firmware takes it: tests wait per seq."""
    if m.get("t") != "ack" or "more" not in m:
        return [m]
    return [{"t": "ack", "seq": s} for s in acked_seqs(m)]
