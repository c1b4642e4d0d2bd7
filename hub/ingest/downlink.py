"""What the hub sends a terminal on its own: time, configuration, invitations
and their cancellation.

After every handshake: `time` (sync), `cfg` when the terminal's `cv` differs
from the newest configuration version, `duty` (who is signed in at its
window), then the newest queued invitation of the terminal's window (the
older queued ones are closed as superseded, never sent: see deliver()).
deliver() runs again (cfg and duty only when they changed) whenever a service
calls Ingest.notify() / deliver_pending(): new invitations go out at once, an
invitation cancelled or expired while on the terminal gets a `cancel`.

A configuration too large for one sealed packet goes as several `cfg` of the
same ver (services/config.parts). Until every part is acked the ingest keeps
it in cfg_owed: a terminal that took only some parts (and reports that ver
as its `cv`) gets all of them again at its next session. An `inv` or `cfg` carries a mid; the terminal's ack of it marks the
invitation shown, the configuration applied (handlers.on_ack). The
invitations sent in this session are remembered, so each goes once per
session; after a reconnect the newest still-queued one goes again (the
terminal knows it by eid).
"""

import collections
import logging
import threading

from hub.services import config, duty, invitations, terminals, timesync
from hub.services import invitation_states as states
from protocol.errors import ProtocolError
from protocol.fields import I31

log = logging.getLogger("hub.ingest")

MAX_OUTSTANDING = 256
# Shown on the terminal when an invitation is withdrawn.
WHY = {states.CANCELLED: "评价已取消", states.EXPIRED: "评价已过期",
       states.SUPERSEDED: "已有新的评价邀请"}


class Downlink:
    def __init__(self, conn):
        self.conn = conn
        self._lock = threading.Lock()
        self._mid = 0
        self._outstanding = collections.OrderedDict()   # mid -> (kind, ref)
        self._on_terminal = {}                           # eid -> mid, this session
        self._cfg_sent = None
        self._duty_sent = None

    def _next_mid(self, kind, ref):
        self._mid = self._mid % I31 + 1
        self._outstanding[self._mid] = (kind, ref)
        while len(self._outstanding) > MAX_OUTSTANDING:
            self._outstanding.popitem(last=False)
        return self._mid

    def answered(self, re):
        """-> (kind, ref) of what the terminal's ack/nack answers, or None."""
        with self._lock:
            return self._outstanding.pop(re, None)

    def on_session(self, hello):
        conn, ingest = self.conn, self.conn.ingest
        dev, now, label = conn.device_id, ingest.now_ms(), "%s:%s" % (conn.transport, conn.label)
        with self._lock:
            self._cfg_sent = hello.get("cv")
            owed = ingest.cfg_owed.get(dev)
            if owed is not None and owed[0] == self._cfg_sent:
                # It took part of a split version and then lost us: its cv
                # names the version, but some fields never arrived.
                self._cfg_sent = None
            self._duty_sent = None
            self._on_terminal = {}
        ingest.writer.submit(lambda db: terminals.on_hello(db, dev, hello, label, now))
        conn.send_msg(timesync.time_message(now, ingest.tz_minutes))
        self.deliver()

    def _send_duty(self, window, on_duty):
        """Tell the terminal who is on duty at its window when that changed."""
        if window is None:
            return
        state = ("on", on_duty["staff_id"], on_duty["staff_name"]) if on_duty else ("off",)
        if state == self._duty_sent:
            return
        self._duty_sent = state
        msg = {"t": "duty", "mid": self._next_mid("duty", window), "st": state[0], "win": window}
        if on_duty:
            msg["stf"], msg["stn"] = state[1], state[2]
        self.conn.send_msg(msg)

    def _send_cfg(self, cfg, window):
        """The version in as many cfg messages (same ver) as it needs to fit
        sealed packets (config.parts). One that cannot be sent at all (a
        hall name the protocol refuses, say) is logged and counted, and the
        rest of the delivery goes on."""
        conn, ingest = self.conn, self.conn.ingest
        try:
            msgs = config.parts(cfg, ingest.hall, window)
        except ProtocolError as e:
            conn.count("cfg_unsendable")
            log.error("%r: configuration version %d cannot be sent: %s", conn, cfg["version"], e)
            return
        mids = set()
        for m in msgs:
            m["mid"] = self._next_mid("cfg", cfg["version"])
            mids.add(m["mid"])
        if len(msgs) > 1:
            ingest.cfg_owed[conn.device_id] = (cfg["version"], mids)
        else:
            ingest.cfg_owed.pop(conn.device_id, None)
        for m in msgs:
            conn.send_msg(m)

    def cfg_acked(self, mid, version):
        """The terminal acked cfg MID of VERSION -> True once it has every
        part of that version (then a later hello's cv can be trusted)."""
        owed = self.conn.ingest.cfg_owed
        dev = self.conn.device_id
        with self._lock:
            parts = owed.get(dev)
            if parts is None or parts[0] != version:
                return True
            parts[1].discard(mid)
            if parts[1]:
                return False
            del owed[dev]
            return True

    def deliver(self):
        conn, ingest = self.conn, self.conn.ingest
        dev = conn.device_id
        if dev is None or conn.session is None:
            return
        now = ingest.now_ms()
        with self._lock:
            sent = list(self._on_terminal)

            def read(db):
                term = terminals.get(db, dev)
                window = term["window"] if term else None
                pending = invitations.pending_for_window(db, window, now) if window else []
                sent_now = {eid: (invitations.get(db, eid) or {}).get("state") for eid in sent}
                on_duty = duty.current(db, window) if window else None
                return window, config.current(db), pending, sent_now, on_duty

            window, cfg, pending, sent_now, on_duty = ingest.read(read)
            if cfg["version"] != self._cfg_sent:
                self._cfg_sent = cfg["version"]
                self._send_cfg(cfg, window)
            self._send_duty(window, on_duty)
            for eid, state in sent_now.items():
                if state in states.WITHDRAWN:
                    mid = self._next_mid("cancel", eid)
                    conn.send_msg({"t": "cancel", "mid": mid, "eid": eid, "why": WHY[state]})
                if state not in states.OPEN:
                    self._on_terminal.pop(eid, None)
            if pending:
                self._send_newest(pending, cfg["label_set"]["v"], now)

    def _send_newest(self, pending, label_set_version, now):
        """Of the window's queued invitations (oldest first) only the newest
        goes to the terminal. It is the case of the citizen now at the
        window; an older one still queued (the terminal was away, or several
        came at once) was never seen by anybody. Sent oldest first, each would
        replace the one before on the screen within milliseconds: a flurry of
        supersedes, and the case at the window shown last. So the hub closes
        each older one as superseded itself, its shown_at empty, unless the
        terminal has already acked it: that one is on the screen, and the
        terminal closes it when the newer one comes and says so (timeout
        why=sup). One sent but not yet acked (a link gap holds the packets
        while the session lives) gets a `cancel` ahead of the newer `inv`, so
        the terminal drops it without an event. Its ack, if it comes, finds
        nothing outstanding: the invitation stays superseded. Caller holds
        the lock."""
        conn, ingest = self.conn, self.conn.ingest
        newest = pending[-1]
        replaced = []
        for inv in pending[:-1]:
            eid = inv["eid"]
            if eid not in self._on_terminal:
                replaced.append(eid)
            elif self._outstanding.pop(self._on_terminal[eid], None) is not None:
                replaced.append(eid)
                conn.send_msg({"t": "cancel", "mid": self._next_mid("cancel", eid),
                               "eid": eid, "why": WHY[states.SUPERSEDED]})
        if replaced:
            by = newest["eid"]
            ingest.writer.submit(lambda db: invitations.supersede_unacked(db, replaced, by, now))
        if newest["eid"] in self._on_terminal:
            return
        eid, dev = newest["eid"], conn.device_id
        mid = self._next_mid("inv", eid)
        self._on_terminal[eid] = mid
        if conn.send_msg(invitations.message(newest, mid, label_set_version)):
            ingest.writer.submit(lambda db: invitations.mark_sent(db, eid, dev, now))
