"""Journal events from terminals (ratings, timeouts): the hub's rules on them.

Called by the ingest's group-commit writer inside its transaction; each
call is atomic (the writer's savepoint per job, or a transaction of its own
when called outside the writer) and returns what to answer the terminal. The
rating's own checks (level 1..5, labels of its level, a reason for a bad
rating) were done by the codec before this; a rating that fails them is
nacked and never reaches here.

Choices (the rating is never dropped; PROTOCOL.md §8.6 is the same list for
implementers):
- same rating id (device:seq) again with the same content -> nothing new
  stored, answered as the first time (ack dup=True, or the same refusal);
- same rating id with other content (a terminal whose seq counter went
  back, or a forgery) -> nothing stored under the id, the new content kept
  in the audit log (`rating.conflict`), answered with the permanent nack
  seq_conflict: the hub keeps what it acked first;
- eid not meant for this terminal (never issued by the hub, or invited at
  another window's terminal) -> stored with status 'refused' and hub flag
  `no_case`, never forwarded, answered with the permanent nack not_invited:
  a keyed terminal cannot rate or count against another window's case;
- the visit already has an accepted rating (一次一评) -> stored with status
  'refused' and flag `duplicate_visit` (kept for review, not forwarded) and
  answered with the permanent nack duplicate_visit, so the terminal drops it
  from its journal and can say the visit was already rated;
- late (the invitation was cancelled, expired, timed out or superseded): the
  citizen did rate the case it was shown -> stored, forwarded, the
  invitation closed as rated, hub flag `late`, acked;
- a press under FAST_PRESS_MS after display, or a burst of presses on one
  terminal -> stored and forwarded with a hub flag, acked;
- a device time that cannot be right (`clock`: more than MAX_SKEW_MS ahead
  of the hub's receive time, more than MAX_SKEW_MS before its invitation
  was created, or before EPOCH_FLOOR_MS) -> stored as sent, flagged, and
  upstream gets the hub's receive time instead (hub/upstream/outbox.py);
- labels from a label set other than the hub's newest (`lsv` differs): the
  codes are national, so valid labels of the level still mean the same ->
  stored and forwarded with hub flag `label_set`, acked.
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
from protocol.errors import DUPLICATE_VISIT, NOT_INVITED, SEQ_CONFLICT

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
# rating of the same id (dup or conflict), the terminal's window, the
# invitation, the previous rating of the terminal when it is of the same boot
# (burst: journal seqs only grow across boots, so the one before by seq is
# the only candidate; filtering on boot_counter in the WHERE walked every
# earlier row), whether the invitation's visit already has an accepted rating
# (duplicate_visit; the partial index ratings_visit), and the version of the
# hub's newest label set (label_set).
_OLD_COLUMNS = ("status", "eid", "case_serial", "level", "labels", "other", "label_set_version",
                "display_press_ms", "device_time", "mono_ms", "boot_counter", "fraud_terminal",
                "fraud_hub")
_INV_COLUMNS = ("eid", "device_id", "window", "case_serial", "visit", "state", "staff_id",
                "channel", "created_at")
_READ_RATING = (
    "SELECT " + ", ".join("old." + c for c in _OLD_COLUMNS) + ", term.window, "
    + ", ".join("inv." + c for c in _INV_COLUMNS) + ", "
    "(SELECT CASE WHEN boot_counter IS ?4 THEN mono_ms END FROM ratings "
    " WHERE device_id = ?2 AND seq < ?5 ORDER BY seq DESC LIMIT 1), "
    "EXISTS (SELECT 1 FROM ratings WHERE case_serial = inv.case_serial AND visit = inv.visit "
    " AND status = 'accepted' AND visit IS NOT NULL), "
    "(SELECT json_extract(label_set, '$.v') FROM config_versions ORDER BY version DESC LIMIT 1) "
    "FROM (SELECT 1) LEFT JOIN ratings AS old ON old.rating_id = ?1 "
    "LEFT JOIN terminals AS term ON term.device_id = ?2 "
    "LEFT JOIN invitations AS inv ON inv.eid = ?3")
_N_OLD, _N_INV = len(_OLD_COLUMNS), len(_INV_COLUMNS)

_INSERT_RATING = (
    "INSERT INTO ratings (rating_id, uuid, device_id, seq, eid, case_serial, visit, window, "
    "staff_id, level, labels, other, label_set_version, display_press_ms, device_time, "
    "mono_ms, boot_counter, origin, fraud_terminal, fraud_hub, channel, status, "
    "received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")

# Device times. A terminal takes the hub's time at every handshake (`time`),
# so its clock is within moments of the hub's; MAX_SKEW_MS is far more than
# any drift between two handshakes. No terminal of this design rated before
# EPOCH_FLOOR_MS (2020-01-01 UTC): a smaller value is an unset clock.
MAX_SKEW_MS = 5 * 60 * 1000
EPOCH_FLOOR_MS = 1_577_836_800_000


def clock_wrong(dt, now, not_before=EPOCH_FLOOR_MS):
    """True when device time DT cannot be a press seen by a hub at NOW (ms):
    ahead of it by more than MAX_SKEW_MS, or before NOT_BEFORE."""
    return dt is not None and (dt > now + MAX_SKEW_MS or dt < not_before)


def _hub_flags(msg, inv, prev_mono, now, label_set):
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
    not_before = EPOCH_FLOOR_MS
    if inv is not None and inv["created_at"] is not None:
        not_before = max(not_before, inv["created_at"] - MAX_SKEW_MS)
    if clock_wrong(msg.get("dt"), now, not_before):
        flags.append("clock")
    if msg.get("lsv") is not None and label_set is not None and msg["lsv"] != label_set:
        flags.append("label_set")
    return flags


def _same_content(msg, old):
    """Is MSG the record stored as OLD, sent again? Everything the terminal's
    journal keeps is compared (org and mid change between sendings). The
    stored case serial is the invitation's: the message's equals it exactly
    when the first one raised no case_mismatch."""
    mismatch = "case_mismatch" in loads(old["fraud_hub"], [])
    return (old["eid"] == msg["eid"] and old["level"] == msg["lv"]
            and sorted(loads(old["labels"], [])) == sorted(msg.get("lb", []))
            and bool(old["other"]) == bool(msg.get("oth"))
            and old["label_set_version"] == msg.get("lsv")
            and old["display_press_ms"] == msg["dp"] and old["device_time"] == msg.get("dt")
            and old["mono_ms"] == msg["mt"] and old["boot_counter"] == msg.get("bt")
            and sorted(loads(old["fraud_terminal"], [])) == sorted(msg.get("ff", []))
            and (old["case_serial"] == msg["cs"]) != mismatch)


def _refusal(status, flags):
    """The nack code a stored rating of STATUS and hub FLAGS was answered with."""
    if status != REFUSED:
        return None
    return DUPLICATE_VISIT if "duplicate_visit" in flags else NOT_INVITED


def _again(db, device_id, msg, rid, old, t):
    """A rating id the hub holds already: a resend, or other content under it."""
    if _same_content(msg, old):
        return {"rating_id": rid, "dup": True, "status": old["status"], "flags": None,
                "refusal": _refusal(old["status"], loads(old["fraud_hub"], []))}
    content = {k: v for k, v in msg.items() if k not in ("t", "mid", "org")}
    audit.log(db, "device:%s" % device_id, "rating.conflict", rid,
              {"reason": SEQ_CONFLICT, "received": content}, t)
    return {"rating_id": rid, "dup": False, "status": old["status"], "flags": None,
            "refusal": SEQ_CONFLICT}


def record_rating(db, device_id, msg, now=None):
    """Store a checked `rating` message -> {rating_id, dup, status, flags,
    refusal}: refusal None (ack it) or the code of the permanent nack."""
    rid = rating_id(device_id, msg["seq"])
    conn = db.conn
    with _atomic(db):
        r = conn.execute(_READ_RATING, (rid, device_id, msg["eid"], msg.get("bt"),
                                        msg["seq"])).fetchone()
        t = now_ms(now)
        if r[0] is not None:
            return _again(db, device_id, msg, rid, dict(zip(_OLD_COLUMNS, r)), t)
        window = r[_N_OLD]
        i = _N_OLD + 1
        inv = _meant_for(dict(zip(_INV_COLUMNS, r[i:i + _N_INV])) if r[i] is not None else None,
                         device_id, window)
        prev_mono, visit_rated, label_set = r[i + _N_INV:]
        flags = _hub_flags(msg, inv, prev_mono, t, label_set)
        visit = inv["visit"] if inv else None
        status, refusal = ACCEPTED, None
        if inv is None:
            status, refusal = REFUSED, NOT_INVITED
        elif inv["state"] == states.RATED or visit_rated:
            status, refusal = REFUSED, DUPLICATE_VISIT
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
            _close_invitation(db, inv["eid"], states.RATED, t, rid)
        else:
            audit.log(db, "device:%s" % device_id, "rating.refused", rid,
                      {"reason": refusal, "eid": msg["eid"]}, t)
    return {"rating_id": rid, "dup": False, "status": status, "flags": flags,
            "refusal": refusal}


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
    if clock_wrong(at, t):           # unless that clock cannot be right
        at = t
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
