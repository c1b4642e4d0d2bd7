"""One terminal connection after the transport: handshake, checks, dispatch.

A Connection is made by Ingest.attach() per serial port or per MQTT device.
receive(packet) takes one whole packet and never raises:

  unsealed hello  -> key lookup (unknown: nack unknown_device), chal out; a
                     pending handshake beside the live session, which it
                     does not touch (a hello proves nothing: anyone can send
                     one with any device id)
  sealed auth     -> HubHandshake.accept of the pending handshake it names
                     (fails: plain nack auth_failed "send a new hello"); on
                     success the new session replaces the old one, then
                     ack, time sync, cfg if the terminal's is older, and the
                     window's queued invitations (downlink.py)
  no auth at all  -> a terminal with a wrong key cannot verify the chal and
                     stays silent: auth_failed after liveness.HANDSHAKE_WAIT_S
  sealed, session -> Session.open -> handlers.dispatch (and the terminal is
                     heard: liveness.py; a silent one is online again)
  anything else   -> nack with the ProtocolError's code (no_session for a
                     packet before auth), counted per terminal

A nack is sealed when a session is open and it answers a sealed packet;
the answer to a plain packet (a hello above all: its sender has no session)
is plain. `perm` says that resending cannot help. A packet that names
neither a mid nor a seq is counted and dropped unanswered (PROTOCOL.md
§4.2), except no_session, which tells a terminal to say hello again. A terminal sending more than the flood limit gets its
packets dropped (nack rate_limited naming the record, at most
NACKS_PER_S a second, so the terminal resends it soon) while every
other connection keeps being served: each transport calls receive() from its
own thread, and storage goes through the shared group-commit writer.
"""

import collections
import json
import logging
import os
import threading

from hub import metrics
from hub.ingest import handlers
from hub.ingest.downlink import Downlink
from hub.ingest.limits import TokenBucket
from protocol import MAX_PACKET
from protocol.catalogue import DOWN, UP, ack_messages
from protocol.codec import JOURNAL_TYPES, encode
from protocol.errors import (
    AUTH_FAILED, BAD_VALUE, NO_SESSION, PERMANENT, RATE_LIMITED, TOO_LARGE, UNKNOWN_DEVICE,
    ProtocolError,
)
from protocol.errors import REPLAYED
from protocol.fields import I31
from protocol.session import HubHandshake, open_plain, split

log = logging.getLogger("hub.ingest")

MAX_NACK_TEXT = 160
REHELLO_S = 1.0      # a hello sooner than this after the last one is a duplicate, not a retry
NACKS_PER_S = 10     # rate_limited answers per second at most
# Handshakes waiting for their auth, per connection. More than one, because
# whoever says hello with a terminal's device id (a spoofer on the broker,
# every 100 ms) must not push the real terminal's handshake out before its
# auth arrives; bounded, because each costs memory.
MAX_PENDING = 8
AUTH_FAILED_PER_S = 1   # answers to failed auths: a forger gets no amplifier
# Codes answered even when the packet names no mid or seq (re: 0): the
# terminal must learn that its session is gone, or that it must slow down.
ANSWERED_ANYWAY = (NO_SESSION, RATE_LIMITED)


class Connection:
    def __init__(self, ingest, transport, label, send):
        self.ingest = ingest
        self.transport = transport
        self.label = label
        self._send = send
        self._lock = threading.RLock()
        self.device_id = None
        self.session = None
        self.hello = None
        self._pending = collections.OrderedDict()   # session tag -> (HubHandshake, hello)
        self._hs_at = None       # monotonic s of the newest hello, until noted or answered
        self._bucket = TokenBucket(ingest.flood_rate, ingest.flood_burst)
        # Answers to a flood are themselves limited.
        self._nack_bucket = TokenBucket(NACKS_PER_S, NACKS_PER_S)
        self._auth_nack_bucket = TokenBucket(AUTH_FAILED_PER_S, 3 * AUTH_FAILED_PER_S)
        self.closed = False
        self.heard_at = None     # monotonic s of its last authenticated packet (liveness)
        self.silent = False      # taken offline for silence, session kept
        self._acks = []          # seqs stored by the commit whose callbacks run now
        self.downlink = Downlink(self)

    def __repr__(self):
        return "Connection(%s %s dev=%s)" % (self.transport, self.label, self.device_id)

    @property
    def via(self):
        return "%s:%s" % (self.transport, self.label)

    @property
    def who(self):
        """Whom errors are counted against: the device once known."""
        return self.device_id or "%s:%s" % (self.transport, self.label)

    # -- in -------------------------------------------------------------

    def receive(self, packet):
        """One whole packet from the terminal. Never raises."""
        try:
            with self._lock:
                if self.closed:
                    return
                self._receive(bytes(packet))
        except Exception:  # a bug must cost one packet, not the transport thread
            log.exception("%r: packet handling failed", self)
            self.count("internal")

    def _receive(self, packet):
        now = self.ingest.now()
        if not self._bucket.take(now):
            self.count(RATE_LIMITED)
            if self._nack_bucket.take(now):
                # Name the journal record when there is one, so the terminal
                # holds back and sends it again soon instead of at its timeout.
                seq, mid, tag = _journal_ids(packet)
                if self.session is None:
                    seq = None
                self.nack(mid, RATE_LIMITED, "more than %d packets/s from this terminal; "
                          "slow down and send again" % self.ingest.flood_rate, seq=seq,
                          plain=tag is None, count=False)
            return
        tag = None
        try:
            if len(packet) > MAX_PACKET:
                raise ProtocolError(TOO_LARGE, "packet is %d bytes, the limit is %d"
                                    % (len(packet), MAX_PACKET))
            body, tag, _mac = split(packet)
            if tag is None:
                msg = open_plain(packet, UP)
                if msg["t"] == "hello":
                    self._on_hello(msg, packet)
                else:
                    self._plain_nack(msg)
            elif tag in self._pending:
                self._on_auth(packet, tag)
            elif self.session is not None and tag == self.session.tag:
                try:
                    msg = self.session.open(packet)
                except ProtocolError as e:
                    if e.code == REPLAYED:       # v2: a captured packet sent again
                        self.count(REPLAYED)     # counted, never acted on nor answered
                        return
                    e.seq = _journal_ids(packet)[0]   # the MAC verified: seq names the record
                    raise
                self._heard()
                handlers.dispatch(self, msg)
            else:
                raise ProtocolError(NO_SESSION, "no session %s on this hub; start a new "
                                    "handshake with hello" % tag)
        except ProtocolError as e:
            self.refuse(e, plain=tag is None)

    def _on_hello(self, msg, packet):
        dev = msg["dev"]
        if self.transport == "mqtt" and dev != self.label:
            # mqtt_devices.py drops such a hello before it gets here; this keeps a
            # session bound to its topic's device whoever calls.
            raise ProtocolError(BAD_VALUE, "hello names device %s on the topic of %s: the "
                                "topic and dev differ" % (dev, self.label), "dev", "hello",
                                msg.get("mid"))
        key = self.ingest.key_of(dev)
        if key is None:
            text = ("device %s is not provisioned on this hub; provision it (pingjia terminals "
                    "provision %s --window W) and put its key into the terminal" % (dev, dev))
            self.ingest.unknown_device(dev, self, text)
            raise ProtocolError(UNKNOWN_DEVICE, text, "dev", "hello", msg.get("mid"))
        # The live session stays until a new handshake completes (_on_auth):
        # a hello proves nothing, and dropping the session here let anyone
        # cut a terminal off by saying hello with its device id.
        now = self.ingest.monotonic()
        if self._pending and self._hs_at is not None and now - self._hs_at > REHELLO_S:
            # It gave up on our last chal (a duplicate hello comes at once).
            last = next(reversed(self._pending.values()))[1]
            self._auth_failed(last["dev"], "it said hello again after %d s without "
                              "answering the hub's challenge, which a terminal does when it "
                              "cannot verify the hub's proof" % (now - self._hs_at))
        hs = HubHandshake(msg, packet, key, os.urandom(8))
        self._pending[hs.session.tag] = (hs, msg)
        while len(self._pending) > MAX_PENDING:
            self._pending.popitem(last=False)
        self._hs_at = now
        self.ingest.challenged(self, now)
        self._transmit(hs.challenge)

    def _plain_nack(self, msg):
        """A plain nack: a terminal sends its nacks sealed, and anyone can
        send a plain one, so it answers nothing of the session (it must not
        void an invitation's mid): counted, and logged within the problem
        book's throttle."""
        code = "terminal_nack:%s" % msg["code"]
        self.count(code)
        self.ingest.problems.warn(self.who, code, "a plain nack (re %s): %s"
                                  % (msg.get("re"), msg.get("msg", "")), self.via,
                                  self.ingest.now_ms())

    def _on_auth(self, packet, tag):
        hs, hello = self._pending.pop(tag)
        try:
            session, auth = hs.accept(packet)
        except ProtocolError as e:
            # That handshake is spent; the live session (if any) and the
            # other pending ones stay.
            self._auth_failed(hello["dev"], "its auth does not verify (%s)" % e.detail)
            if self._auth_nack_bucket.take(self.ingest.now()):
                self.nack(e.mid, AUTH_FAILED, "authentication failed, this handshake is void: "
                          "send a new hello. If it fails again, the terminal's key is not the "
                          "one provisioned for %s" % hello["dev"], plain=True, count=False)
            return
        # The handshake is complete: it replaces the session of this
        # connection, and any other hello waiting here is void.
        self._pending.clear()
        self._hs_at = None
        self.ingest.challenged(self, None)
        if self.device_id is not None and self.device_id != hello["dev"]:
            self.ingest.unregister(self, "another device (%s) completed a handshake on its "
                                   "line" % hello["dev"])
        self.session = session
        self.device_id = hello["dev"]
        self.hello = hello
        self.ingest.register(self)
        self.send_msg({"t": "ack", "re": auth["mid"]})
        self.downlink.on_session(hello)

    def challenge_unanswered(self, waited_s):
        """Liveness: our chal got no auth in WAITED_S (see liveness.py)."""
        with self._lock:
            if not self._pending or self.closed:
                return
            dev = next(reversed(self._pending.values()))[1]["dev"]
            self._hs_at = None          # noted once per attempt
        self._auth_failed(dev, "it said hello but did not answer the hub's challenge within "
                          "%g s, which a terminal does when it cannot verify the hub's proof"
                          % waited_s)

    def _auth_failed(self, dev, how):
        self.ingest.counters.add(dev, AUTH_FAILED)
        if self.session is not None and self.device_id == dev:
            # Its terminal is in a session here: a new key would not help.
            self.ingest.problem(dev, AUTH_FAILED, "a handshake as %s failed while %s is online "
                                "in a session here: %s. Another device says it is %s, or "
                                "someone without its key does (on MQTT: require broker "
                                "credentials); the terminal itself is served" % (dev, dev, how,
                                                                                 dev), self.via)
            return
        self.ingest.problem(dev, AUTH_FAILED, "wrong key: %s. The key in the terminal is not the "
                            "one provisioned for %s on this hub: give it a new one with `pingjia "
                            "terminals rekey %s` and put that into the terminal's config (or the "
                            "line loses packets: see link errors)" % (how, dev, dev), self.via)

    def _heard(self):
        now = self.ingest.monotonic()
        before, self.heard_at = self.heard_at, now
        if self.silent:
            self.ingest.register(self, again=now - (before or now))
            self.downlink.deliver()

    # -- out ------------------------------------------------------------

    def _transmit(self, packet):
        try:
            self._send(packet)
        except Exception as e:  # the transport reports its own failures
            log.warning("%r: send failed: %s", self, e)

    def send_msg(self, msg):
        """Seal and send one message; False when there is no session.

        Called from any thread (the writer's callbacks, a service's notify):
        it takes no lock, because sealing needs none (its v2 counter is an
        atomic itertools.count) and reading self.session once is atomic; so
        no lock order exists to invert.
        """
        session = self.session
        if session is None or self.closed:
            return False
        self._transmit(session.seal(msg))
        return True

    def count(self, code):
        self.ingest.counters.add(self.who, code)

    def refuse(self, e, plain=False):
        """Count a ProtocolError and answer it with a nack naming the mid
        and/or seq of what it refuses (PLAIN: the packet was not sealed);
        one that names neither is dropped (PROTOCOL.md §4.2)."""
        seq = getattr(e, "seq", None)
        if e.mid is None and seq is None and e.code not in ANSWERED_ANYWAY:
            self.count(e.code)
            return
        self.nack(e.mid, e.code, str(e), seq=seq, plain=plain)

    def nack(self, re, code, text, seq=None, perm=None, plain=False, count=True):
        metrics.nacked(code)                     # GET /metrics: pingjia_nacks_total
        if count:
            self.count(code)
        msg = {"t": "nack", "code": code, "msg": nack_text(text),
               "perm": code in PERMANENT if perm is None else perm}
        if seq is not None:
            msg["seq"] = seq
        if re is not None or seq is None:
            msg["re"] = re if re is not None else 0
        session = self.session
        if session is not None and not plain and code != NO_SESSION:
            self._transmit(session.seal(msg))
        else:
            self._transmit(encode(msg, DOWN))

    def ack(self, seq, dup, mid=None):
        """Answer a stored journal record (that carried MID, if not None).
        Called from the writer's callbacks: the records of one commit are
        answered together, one ack naming up to 1 + MAX_MORE_ACKS seqs
        (PROTOCOL.md §3), so a journal replay costs a downlink per commit
        instead of one per record; a dup goes alone. An ack naming one
        record carries its mid as `re`; one naming several carries none."""
        metrics.acked(dup)                       # GET /metrics: pingjia_acks_total
        if dup:
            msg = {"t": "ack", "seq": seq, "dup": True}
            if mid is not None:
                msg["re"] = mid
            self.send_msg(msg)
            return
        if not self._acks:
            self.ingest.writer.after_batch(self._send_acks)
        self._acks.append((self.session, seq, mid))

    def _send_acks(self):
        pending, self._acks = self._acks, []
        session = self.session     # a seq stored under an earlier session waits for its resend
        mids = {seq: mid for s, seq, mid in pending if s is session}
        for msg in ack_messages([seq for s, seq, _mid in pending if s is session]):
            if "more" not in msg and mids[msg["seq"]] is not None:
                msg["re"] = mids[msg["seq"]]
            self.send_msg(msg)

    def close(self, why="its connection closed", level=logging.WARNING):
        """The transport lost this terminal (WHY goes into the log)."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            self.session = None
        self.ingest.challenged(self, None)
        self.ingest.unregister(self, why, level)


def nack_text(text):
    """TEXT as a nack's msg always encodes: without what a protocol text
    refuses (C0, DEL, C1 controls U+0080..U+009F, lone surrogates; an error
    detail may quote them from the bad packet), at most MAX_NACK_TEXT long."""
    return "".join(c for c in text if not (c < " " or "\x7f" <= c <= "\x9f"
                                           or "\ud800" <= c <= "\udfff"))[:MAX_NACK_TEXT]


def _journal_ids(packet):
    """(seq, mid, tag) of a packet the codec refused or did not read: seq of
    a rating/timeout, so the nack can name the record in the terminal's
    journal, its mid, and the session tag if it is sealed; None for each
    that is not there (or not valid, or the whole packet unreadable)."""
    try:
        body, tag, _mac = split(packet)
        raw = json.loads(body)
    except (ValueError, RecursionError):   # a ProtocolError (a seal not hex) is one
        return None, None, None
    if not isinstance(raw, dict):
        return None, None, tag
    seq, mid = raw.get("seq"), raw.get("mid")
    if raw.get("t") not in JOURNAL_TYPES or type(seq) is not int or not 1 <= seq <= I31:
        seq = None
    if type(mid) is not int or not 0 <= mid <= I31:
        mid = None
    return seq, mid, tag
