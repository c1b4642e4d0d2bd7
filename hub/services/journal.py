"""Journal events from terminals (ratings, timeouts): the hub's rules on them.

Called by the ingest's group-commit writer inside its transaction; each
call is atomic (the writer's savepoint per job, or a transaction of its own
when called outside the writer) and returns what to answer the terminal. The
rating's own checks (level 1..5, labels of its level, a reason for a bad
rating) were done by the codec before this; a rating that fails them is
nacked and never reaches here.

Choices (the rating is never dropped):
- same rating id (device:seq) again -> nothing new stored, answer dup=True;
- eid unknown to this terminal (never invited, or invited at another
  window's terminal) -> stored and forwarded, hub flag `no_case`, acked:
  the citizen pressed, the hall reviews it;
- the visit already has an accepted rating (一次一评) -> stored with status
  'refused' and flag `duplicate_visit` (kept for review, not forwarded) and
  answered with a permanent nack duplicate_visit, so the terminal drops it
  from its journal and can say the visit was already rated;
- late (the invitation was cancelled, expired, timed out or superseded), a
  press under FAST_PRESS_MS after display, or a burst of presses on one
  terminal -> stored and forwarded with a hub flag, acked.
"""

import contextlib
import os
import sqlite3

from hub.services import audit
from hub.services import invitation_states as states
from hub.services.common import dumps, loads, now_ms, row
from hub.store import tx
from hub.upstream import outbox
from protocol.catalogue import CAP_TIMEOUT_WHY, WHY_SUPERSEDED

FAST_PRESS_MS = 500       # a real reading of the screen takes longer
BURST_MS = 2000           # two ratings from one terminal closer than this

ACCEPTED = "accepted"
REFUSED = "refused"


def rating_id(device_id, seq):
    return "%s:%d" % (device_id, seq)


def _uuid4_hex():
    """uuid.uuid4().hex, the same random version-4 form, without building a
    UUID object per stored rating."""
    b = bytearray(os.urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    return b.hex()


@contextlib.contextmanager
def _atomic(db):
    """One rating/timeout is atomic. In the group-commit writer the job already
    runs in a savepoint of its own (`db.job_is_atomic`, hub.store.writer),
    so a second one per rating would only cost statements; anywhere else
    (tests, the CLI) it is an ordinary hub.store.tx."""
    if getattr(db, "job_is_atomic", False):
        yield db
    else:
        with tx(db):
            yield db


def _invitation_for(db, device_id, window, eid):
    """The invitation `eid` if it was meant for this terminal, else None."""
    return _meant_for(row(db, "SELECT * FROM invitations WHERE eid = ?", (eid,)), device_id, window)


def _meant_for(inv, device_id, window):
    if inv is None:
        return None
    if inv["device_id"] == device_id or (inv["device_id"] is None and inv["window"] == window):
        return inv
    return None


# Everything record_rating reads, in one statement (it runs once per rating on
# the writer's thread, where the GIL makes each statement count): the stored
# rating of the same id (dup), the terminal's window, the invitation, the
# previous rating of the terminal when it is of the same boot (burst: journal
# seqs only grow across boots, so the one before by seq is the only candidate;
# filtering on boot_counter in the WHERE walked every earlier row), and
# whether the invitation's visit already has an accepted rating
# (duplicate_visit; the partial index ratings_visit).
_READ_RATING = (
    "SELECT old.status, term.window, inv.eid, inv.device_id, inv.window, inv.case_serial, "
    "inv.visit, inv.state, inv.staff_id, inv.channel, "
    "(SELECT CASE WHEN boot_counter IS ?4 THEN mono_ms END FROM ratings "
    " WHERE device_id = ?2 AND seq < ?5 ORDER BY seq DESC LIMIT 1), "
    "EXISTS (SELECT 1 FROM ratings WHERE case_serial = inv.case_serial AND visit = inv.visit "
    " AND status = 'accepted' AND visit IS NOT NULL) "
    "FROM (SELECT 1) LEFT JOIN ratings AS old ON old.rating_id = ?1 "
    "LEFT JOIN terminals AS term ON term.device_id = ?2 "
    "LEFT JOIN invitations AS inv ON inv.eid = ?3")
_INV_COLUMNS = ("eid", "device_id", "window", "case_serial", "visit", "state", "staff_id", "channel")

_INSERT_RATING = (
    "INSERT INTO ratings (rating_id, uuid, device_id, seq, eid, case_serial, visit, window, "
    "staff_id, level, labels, other, label_set_version, display_press_ms, device_time, "
    "mono_ms, boot_counter, origin, fraud_terminal, fraud_hub, channel, status, "
    "received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def _hub_flags(msg, inv, prev_mono):
    flags = []
    if inv is None:
        flags.append("no_case")
    else:
        if inv["case_serial"] != msg["cs"]:
            flags.append("case_mismatch")
        if inv["state"] in states.LATE:
            flags.append("late")
    if msg["dp"] < FAST_PRESS_MS:
        flags.append("fast_press")
    if "bt" in msg and prev_mono is not None and 0 <= msg["mt"] - prev_mono < BURST_MS:
        flags.append("burst")
    return flags


def record_rating(db, device_id, msg, now=None):
    """Store a checked `rating` message -> {rating_id, dup, status, flags}."""
    rid = rating_id(device_id, msg["seq"])
    conn = db.conn
    with _atomic(db):
        r = conn.execute(_READ_RATING, (rid, device_id, msg["eid"], msg.get("bt"),
                                        msg["seq"])).fetchone()
        if r[0] is not None:
            return {"rating_id": rid, "dup": True, "status": r[0], "flags": None}
        t = now_ms(now)
        window = r[1]
        inv = _meant_for(dict(zip(_INV_COLUMNS, r[2:10])) if r[2] is not None else None,
                         device_id, window)
        flags = _hub_flags(msg, inv, r[10])
        visit = inv["visit"] if inv else None
        status = ACCEPTED
        if inv is not None and (inv["state"] == states.RATED or r[11]):
            status = REFUSED
            flags.append("duplicate_visit")
        conn.execute(_INSERT_RATING, (
            rid, _uuid4_hex(), device_id, msg["seq"], msg["eid"],
            inv["case_serial"] if inv else msg["cs"], visit,
            inv["window"] if inv else window, inv["staff_id"] if inv else None,
            msg["lv"], dumps(msg.get("lb", [])), 1 if msg.get("oth") else 0, msg.get("lsv"),
            msg["dp"], msg.get("dt"), msg["mt"], msg.get("bt"), msg["org"],
            dumps(msg.get("ff", [])), dumps(flags), inv["channel"] if inv else 5, status, t))
        if status == ACCEPTED:
            outbox.enqueue(conn, "rating", rid, t)
            if inv is not None:
                _close_invitation(db, inv["eid"], states.RATED, t, rid)
        else:
            audit.log(db, "device:%s" % device_id, "rating.refused", rid,
                      {"reason": "duplicate_visit", "eid": msg["eid"]}, t)
    return {"rating_id": rid, "dup": False, "status": status, "flags": flags}


_CLOSE = {new: "UPDATE invitations SET state = ?, closed_at = ?, rating_id = COALESCE(?, "
                "rating_id) WHERE eid = ? AND " + states.sql_may_become(new)
          for new in (states.RATED, states.TIMED_OUT, states.SUPERSEDED)}


def _close_invitation(db, eid, state, t, rid=None):
    """Close an invitation as STATE when its state allows that; a late rating
    also closes a timed-out, superseded, expired or cancelled one, unless the
    visit was re-invited meanwhile (then it stays as it was)."""
    # Always inside _atomic: a statement that fails a constraint is undone
    # alone by SQLite (ON CONFLICT ABORT), so no savepoint of its own is needed.
    try:
        db.conn.execute(_CLOSE[state], (state, t, rid, eid))
    except sqlite3.IntegrityError:
        pass


# A timeout that says nothing of why (firmware without the `why` cap) is
# taken for a supersede when it came early and the hub had just sent the
# terminal a newer invitation of the window: an old terminal closes the open
# invitation exactly when a new `inv` arrives (firmware/app/flow.py). Early:
# before the invitation's own timeout_s had run since it was shown (or sent,
# when its ack was lost), less SUPERSEDE_SLACK_MS for the link's delays, so a
# real timeout that crosses a new `inv` on the wire stays a timeout. The
# newer one: of the same window and terminal, created no earlier, still in
# flight (queued or shown), sent between this one's send and the timeout's
# arrival. `state IN (...)` lets the lookup use invitations_pending.
SUPERSEDE_SLACK_MS = 1000
_NEWER_IN_FLIGHT = (
    "SELECT 1 FROM invitations WHERE window = ? AND " + states.sql_in(states.OPEN)
    + " AND created_at >= ? AND eid != ? AND device_id = ? AND sent_at BETWEEN ? AND ? LIMIT 1")


def _timeout_closes_as(db, device_id, caps, inv, msg, t):
    """SUPERSEDED or TIMED_OUT: what the timeout MSG makes of open invitation INV."""
    why = msg.get("why")
    if why == WHY_SUPERSEDED:
        return states.SUPERSEDED
    if why is not None or CAP_TIMEOUT_WHY in caps:
        return states.TIMED_OUT      # it says why, and this is no supersede
    if inv["sent_at"] is None:       # never sent by this hub: nothing to compare with
        return states.TIMED_OUT
    start = inv["shown_at"] or inv["sent_at"]
    at = msg.get("dt", t)            # the terminal's wall time survives a replay
    if at - start >= inv["timeout_s"] * 1000 - SUPERSEDE_SLACK_MS:
        return states.TIMED_OUT
    newer = row(db, _NEWER_IN_FLIGHT, (inv["window"], inv["created_at"], inv["eid"], device_id,
                                       inv["sent_at"], t))
    return states.SUPERSEDED if newer else states.TIMED_OUT


def record_timeout(db, device_id, msg, now=None):
    """Store a checked `timeout` message -> {event_id, dup, known, state}:
    its invitation closes as superseded when a newer one replaced it on the
    terminal (why=sup, or inferred for older firmware), else as timed_out;
    `state` is the one it closed as, None when it was closed already."""
    eid_ = rating_id(device_id, msg["seq"])
    if row(db, "SELECT 1 FROM timeouts WHERE event_id = ?", (eid_,)):
        return {"event_id": eid_, "dup": True, "known": None, "state": None}
    t = now_ms(now)
    closed = None
    with _atomic(db):
        term = row(db, "SELECT window, caps FROM terminals WHERE device_id = ?", (device_id,))
        inv = _invitation_for(db, device_id, term["window"] if term else None, msg["eid"])
        db.execute("INSERT INTO timeouts (event_id, device_id, seq, eid, case_serial, device_time, "
                   "mono_ms, boot_counter, origin, known, received_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (eid_, device_id, msg["seq"], msg["eid"], msg["cs"], msg.get("dt"), msg["mt"],
                    msg.get("bt"), msg["org"], 1 if inv else 0, t))
        if inv is not None and inv["state"] in states.OPEN:
            caps = loads(term["caps"], []) if term else []
            closed = _timeout_closes_as(db, device_id, caps, inv, msg, t)
            _close_invitation(db, inv["eid"], closed, t)
    return {"event_id": eid_, "dup": False, "known": inv is not None, "state": closed}
