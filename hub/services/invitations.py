"""Evaluation invitations: made when a window finishes a case, shown by the
window's terminal, closed by a rating, a timeout, a cancel or the deadline.

Rules (docs/DOMAIN.md):
- the window must be known (HubError unknown_window);
- 一次一评: one invitation per case serial + visit; a second one while the
  first is queued, shown, rated or timed out is refused (duplicate_visit).
  A cancelled, expired or superseded invitation frees the visit, so a
  mistaken call can be redone and a case the citizen never got to rate can
  be invited again;
- a terminal offline (or none assigned yet) does not refuse the call: the
  invitation stays queued, goes out when the terminal connects, or expires
  at its deadline (expire_due); create() says so in `notice`;
- the applicant contact is sealed (hub.store.sealbox) and never logged or
  returned; `has_contact` says whether there is one;
- the case's upstream identity (`upstream_case`: the applicant, sealed, and
  the case's codes) is checked against the configured platform's rules and
  stored by hub.services.upstream_case; it never reaches a terminal.
Staff default to whoever is signed in at the window (duty).
"""

import secrets
import sqlite3

from hub.errors import HubError
from hub.services import audit, duty, terminals, upstream_case as upstream_identity, windows
from hub.services import invitation_states as states
from hub.services.common import found, message_field, now_ms, row, wire_field
from hub.store import data_dir, sealbox, tx
from hub.upstream import outbox
from protocol.fields import INT, TEXT

DEFAULT_TIMEOUT_S = 60          # how long the terminal waits for a press
DEFAULT_EXPIRE_S = 30 * 60      # how long a queued invitation waits for its terminal

_PUBLIC = ("eid", "window", "device_id", "case_serial", "visit", "matter_code", "matter_name",
           "staff_id", "staff_name", "applicant_kind", "channel", "client", "state", "timeout_s",
           "created_at", "sent_at", "shown_at", "closed_at", "deadline", "rating_id", "note")


def _public(r):
    if r is None:
        return None
    out = {k: r[k] for k in _PUBLIC}
    out["has_contact"] = r["contact_enc"] is not None
    return out


_VISIT_TAKEN = ("SELECT eid, state FROM invitations WHERE case_serial = ? AND visit = ? AND "
                + states.sql_in(states.HOLDS_VISIT))


def _visit_taken(db, case_serial, visit):
    return row(db, _VISIT_TAKEN, (case_serial, visit))


def _duplicate(case_serial, visit, taken):
    return HubError("duplicate_visit", "case %s visit %d already has invitation %s (%s); 一次一评 "
                    "allows one rating per visit: cancel that invitation first if it was a "
                    "mistake, or use the next visit number for a new visit"
                    % (case_serial, visit, taken["eid"], taken["state"]), field="case_serial")


def create(db, window, case_serial, matter_code, matter_name, staff_id=None, staff_name=None,
           applicant_kind=1, visit=1, contact=None, channel=5, timeout_s=DEFAULT_TIMEOUT_S,
           expire_s=DEFAULT_EXPIRE_S, client=None, upstream=None, upstream_case=None,
           keep_applicant=True, now=None):
    """Queue an invitation for `window` -> its state dict (+ `notice` when not deliverable now).

    `upstream`: the configured platform's rules (hub.upstream.settings.case_check),
    so that a case serial or matter code the platform refuses is refused here.
    `upstream_case`: the case's identity for the platform, as the API checked
    it ({"applicant": {...}, codes...}); `keep_applicant` False drops the
    applicant (forwarding is off: nothing would ever use it)."""
    windows.require(db, window)
    case_serial = message_field("case_serial", "inv", "cs", case_serial)
    matter_code = message_field("matter_code", "inv", "mc", matter_code)
    matter_name = message_field("matter_name", "inv", "mn", matter_name)
    applicant, codes = upstream_identity.split(upstream_case)
    if applicant and applicant.get("kind") is not None:
        applicant_kind = _kind_of(applicant["kind"], applicant_kind)
    shown_case = dict(codes, applicant=applicant) if applicant else dict(codes)
    refused = upstream and upstream({"case_serial": case_serial, "matter_code": matter_code,
                                     "matter_name": matter_name, "upstream_case": shown_case})
    if refused:
        raise HubError("bad_request", _unquoted(refused[1], applicant), 422, field=refused[0])
    if not keep_applicant:
        applicant = None
    visit = message_field("visit", "inv", "vis", visit)
    timeout_s = message_field("timeout_s", "inv", "to", timeout_s)
    expire_s = wire_field("expire_s", INT, expire_s, 10, 7 * 86400)
    channel = wire_field("channel", INT, channel, 1, 9)
    if applicant_kind is None:
        applicant_kind = 1
    if applicant_kind not in (1, 2):
        raise HubError("bad_request", "applicant_kind must be 1 (person) or 2 (legal person), "
                       "got %r" % (applicant_kind,), field="applicant_kind")
    if staff_id is None:
        on_duty = duty.current(db, window)
        if on_duty is None:
            raise HubError("not_on_duty", "no staff given and nobody is signed in at window %s; "
                           "pass staff_id and staff_name, or sign in first" % window,
                           field="staff_id")
        staff_id, staff_name = on_duty["staff_id"], on_duty["staff_name"]
    staff_id = message_field("staff_id", "inv", "stf", staff_id)
    staff_name = message_field("staff_name", "inv", "stn", staff_name)
    if contact is not None:
        contact = wire_field("contact", TEXT, contact, 1, 64)
    t = now_ms(now)
    eid = "e" + secrets.token_hex(10)
    sealed = None
    if contact is not None:
        sealed = sealbox.seal(sealbox.load_key(data_dir(db)), contact, eid.encode())
    with tx(db):
        taken = _visit_taken(db, case_serial, visit)
        if taken is not None:
            raise _duplicate(case_serial, visit, taken)
        try:
            db.execute(
                "INSERT INTO invitations (eid, window, case_serial, visit, matter_code, "
                "matter_name, staff_id, staff_name, applicant_kind, contact_enc, channel, client, "
                "state, timeout_s, created_at, deadline) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (eid, window, case_serial, visit, matter_code, matter_name, staff_id, staff_name,
                 applicant_kind, sealed, channel, client, states.INITIAL, timeout_s, t,
                 t + expire_s * 1000))
        except sqlite3.IntegrityError:  # a concurrent create won the race
            raise _duplicate(case_serial, visit, _visit_taken(db, case_serial, visit))
        upstream_identity.store(db, eid, applicant, codes)
        outbox.enqueue(db.conn, "case", eid, t)
        audit.log(db, "api:%s" % (client or "-"), "invitation.create", eid,
                  {"window": window, "case_serial": case_serial, "visit": visit}, t)
    out = get(db, eid)
    term = terminals.for_window(db, window)
    if term is None:
        out["notice"] = ("no terminal is assigned to window %s yet; the invitation is kept and "
                         "delivered when one is, or expires at its deadline" % window)
    elif not term["online"]:
        out["notice"] = ("terminal %s of window %s is offline; the invitation is kept and "
                         "delivered when it returns, or expires at its deadline"
                         % (term["device_id"], window))
    out["terminal"] = term["device_id"] if term else None
    return out


def _kind_of(kind, applicant_kind):
    """The invitation's applicant_kind (1 person, 2 legal person) agreeing with
    the applicant's userProp (1 自然人, 2..9 organisations). `applicant_kind`
    None: not given, so the userProp decides."""
    derived = 1 if kind == 1 else 2
    if applicant_kind is not None and applicant_kind != derived:
        raise HubError("bad_request", "applicant_kind %s contradicts upstream_case.applicant.kind %d "
                       "(1 is a person, 2 to 9 an organisation); send one that agrees, or leave "
                       "applicant_kind out" % ("person" if applicant_kind == 1 else "legal_person", kind),
                       field="applicant_kind")
    return derived


def _unquoted(why, applicant):
    """A platform rule's words, with no personal value in them (a 422 may be logged by the caller)."""
    for value in (applicant or {}).values():
        if isinstance(value, str) and len(value) >= 2:
            why = why.replace(value, "…")
    return why


def get(db, eid):
    return _public(row(db, "SELECT * FROM invitations WHERE eid = ?", (eid,)))


def require(db, eid):
    return found(get(db, eid), "unknown_invitation", "invitation %r does not exist on this hub; "
                 "use the id returned when it was created" % (eid,), "eid")


_CANCEL = ("UPDATE invitations SET state = ?, closed_at = ?, note = ? WHERE eid = ? AND "
           + states.sql_may_become(states.CANCELLED))


def cancel(db, eid, why="", actor="api", now=None):
    """Cancel a queued or shown invitation -> its state. The ingest tells the terminal."""
    t = now_ms(now)
    with tx(db):
        inv = require(db, eid)
        if not states.may_become(inv["state"], states.CANCELLED):
            raise HubError("invitation_closed", "invitation %s is already %s and cannot be "
                           "cancelled" % (eid, inv["state"]), field="eid")
        db.execute(_CANCEL, (states.CANCELLED, t, why or None, eid))
        audit.log(db, actor, "invitation.cancel", eid, {"why": why}, t)
    return get(db, eid)


def query(db, window=None, state=None, case_serial=None, limit=100):
    sql, params = "SELECT * FROM invitations WHERE 1=1", []
    for col, val in (("window", window), ("state", state), ("case_serial", case_serial)):
        if val is not None:
            sql += " AND %s = ?" % col
            params.append(val)
    sql += " ORDER BY created_at DESC LIMIT ?"
    return [_public(r) for r in db.query(sql, params + [int(limit)])]


_PENDING = ("SELECT * FROM invitations WHERE window = ? AND %s AND deadline > ? "
            "ORDER BY created_at, rowid" % states.sql_in((states.QUEUED,)))


def pending_for_window(db, window, now=None):
    """Queued invitations of a window still inside their deadline, oldest first."""
    return [_public(r) for r in db.query(_PENDING, (window, now_ms(now)))]


def message(inv, mid, label_set_version=None):
    """The `inv` message for an invitation dict."""
    m = {"t": "inv", "mid": mid, "eid": inv["eid"], "win": inv["window"],
         "cs": inv["case_serial"], "vis": inv["visit"], "mc": inv["matter_code"],
         "mn": inv["matter_name"], "stf": inv["staff_id"], "stn": inv["staff_name"],
         "to": inv["timeout_s"], "dl": inv["deadline"]}
    if label_set_version is not None:
        m["lsv"] = label_set_version
    return m


_SUPERSEDE = ("UPDATE invitations SET state = ?, closed_at = ?, note = ? WHERE eid = ? AND "
              + states.sql_in((states.QUEUED,)))


def supersede_unacked(db, eids, newer, now=None):
    """Close queued invitations EIDS as superseded by NEWER, the one their
    window's terminal gets instead (hub.ingest.downlink): the terminal never
    acked them, so nobody saw them. One that has left `queued` meanwhile (its
    ack came first) stays as it is."""
    t = now_ms(now)
    note = "replaced by %s before the terminal showed it" % newer
    with tx(db):
        for eid in eids:
            db.execute(_SUPERSEDE, (states.SUPERSEDED, t, note, eid))


def mark_sent(db, eid, device_id, now=None):
    db.execute("UPDATE invitations SET device_id = ?, sent_at = ? WHERE eid = ?",
               (device_id, now_ms(now), eid))


_SHOWN = ("UPDATE invitations SET state = ?, shown_at = ?, device_id = ? WHERE eid = ? AND "
          + states.sql_may_become(states.SHOWN))


def mark_shown(db, eid, device_id, now=None):
    """The terminal acked the `inv`: it is on screen (or queued there)."""
    db.execute(_SHOWN, (states.SHOWN, now_ms(now), device_id, eid))


_DUE = "%s AND deadline <= ?" % states.sql_may_become(states.EXPIRED)


def expire_due(db, now=None):
    """Close open invitations past their deadline -> their eids."""
    t = now_ms(now)
    with tx(db):
        eids = [r["eid"] for r in db.query("SELECT eid FROM invitations WHERE " + _DUE, (t,))]
        if eids:
            db.execute("UPDATE invitations SET state = ?, closed_at = ? WHERE " + _DUE,
                       (states.EXPIRED, t, t))
    return eids
