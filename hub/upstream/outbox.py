"""The outbox, its one owner: rows enqueued, due rows, their payloads, state changes.

Rows are enqueued by the services in the same transaction as the event
(`enqueue`: an invitation writes kind 'case' ref eid; an accepted rating
writes kind 'rating' ref rating_id), so nothing committed can miss its
forwarding. States: pending -> sent (an attempt is under way or
was cut off: the next attempt repeats it, and upstream's idempotency on
(projectNo, assessNumber) absorbs the repeat) -> accepted, or rejected (the
dead letter: upstream refused the content; `last_error` holds its reason;
`replay` puts it back to pending after the cause is fixed). All times are
epoch milliseconds, as everywhere in the hub's database.

Who imports whom: this module imports only hub.store and protocol, never
the relay, an adapter, the services or the ingest. So the producers in
hub.services may import it (and nothing else of hub.upstream) without a
cycle and without pulling in the forwarding machinery; the relay,
reconcile, the API and the CLI read and settle through it. No other module
writes to the outbox table.
"""

import json
import logging

from hub.store import sealbox, tx
from protocol.domain import CHANNEL_QR, CHANNEL_TERMINAL

# The hub forwards first ratings only (follow-ups need the mobile page): with
# the case serial, this is the platform's key of every rating the hub sends.
FIRST_RATING = 1
# National channel codes as the hub stores them -> the adapters' channel names.
CHANNEL_NAMES = {5: CHANNEL_TERMINAL, 3: CHANNEL_QR}


_ENQUEUE = ("INSERT INTO outbox (kind, ref, next_attempt_at, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?)")


def enqueue(conn, kind, ref, now_ms):
    """One row to forward, due at once, inside the caller's transaction.

    `conn` is the sqlite3 connection (`db.conn`): the journal calls this per
    stored rating from the group-commit writer, where a statement is the unit
    of cost. (kind, ref) is unique: a second enqueue of the same event raises
    sqlite3.IntegrityError and the caller's transaction decides."""
    conn.execute(_ENQUEUE, (kind, ref, now_ms, now_ms, now_ms))


log = logging.getLogger("pingjia.upstream")


def due(db, now_ms, limit=500):
    # INDEXED BY: the partial index in id order (migration step 12) reads the
    # first due rows; outbox_due would sort every waiting row on each ask.
    cur = db.conn.execute(
        "SELECT id, kind, ref, state, attempts FROM outbox INDEXED BY outbox_waiting "
        "WHERE state IN ('pending', 'sent') AND next_attempt_at <= ? ORDER BY id LIMIT ?",
        (now_ms, limit))
    return [dict(zip(("id", "kind", "ref", "state", "attempts"), r)) for r in cur]


def case_serial(db, eid):
    """The case serial (the platform's projectNo) of invitation EID, or None."""
    row = db.execute("SELECT case_serial FROM invitations WHERE eid = ?", (eid,)).fetchone()
    return row[0] if row else None


def applicant_aad(eid):
    """What a sealed applicant is bound to: its invitation, and its column
    (a sealed contact of the same row does not open as an applicant)."""
    return b"applicant:" + eid.encode()


def next_due_ms(db):
    row = db.execute("SELECT MIN(next_attempt_at) FROM outbox WHERE state IN ('pending', 'sent')").fetchone()
    return row[0]


def _one(db, sql, params):
    """The first row as a dict, or None. Plain sqlite3: the relay asks this per
    row, many thousand times while it drains a backlog, and sqlite-utils'
    query() costs more than the query."""
    cur = db.conn.execute(sql, params)
    row = cur.fetchone()
    return None if row is None else dict(zip([d[0] for d in cur.description], row))


def case_payload(db, eid, key=None):
    """The case of invitation EID as an adapter takes it (hub.upstream.base),
    or None when there is no such invitation.

    case["upstream"] holds the codes the business system sent; case["applicant"]
    stays None unless KEY (the data directory's sealbox key) is given: only
    the relay opens it, for the call. Exports and reports never pass a key."""
    r = _one(db, "SELECT i.case_serial, i.matter_code, i.matter_name, i.applicant_kind, i.window, "
             "i.staff_id, i.staff_name, i.created_at, u.codes, u.applicant_enc "
             "FROM invitations i LEFT JOIN upstream_cases u ON u.eid = i.eid WHERE i.eid = ?", (eid,))
    if r is None:
        return None
    applicant = None
    if key is not None and r["applicant_enc"] is not None:
        try:
            applicant = json.loads(sealbox.open_sealed(key, r["applicant_enc"], applicant_aad(eid)))
        except (sealbox.SealError, ValueError) as e:
            # Never the value: only that it does not open. The dialect then
            # refuses or sends the case without it, and says which field.
            log.warning("the sealed applicant of invitation %s does not open (%s); the case goes "
                        "without it", eid, e)
    return {"project_no": r["case_serial"], "task_code": r["matter_code"], "task_name": r["matter_name"],
            "user_prop": r["applicant_kind"], "window": r["window"], "staff_id": r["staff_id"],
            "staff_name": r["staff_name"], "service_time": r["created_at"] // 1000,
            "upstream": json.loads(r["codes"]) if r["codes"] else {}, "applicant": applicant}


def rating_payload(db, rating_id):
    """-> (eid, rating dict) or (eid, None) when the rating cannot be forwarded."""
    r = _one(db, "SELECT r.uuid, r.eid, r.case_serial, r.level, r.labels, r.other, r.device_time, "
             "r.received_at, r.channel, r.status, r.fraud_hub, i.created_at AS service_ms, "
             "i.applicant_kind FROM ratings r "
             "LEFT JOIN invitations i ON i.eid = r.eid WHERE r.rating_id = ?", (rating_id,))
    if r is None:
        return None, None
    if r["service_ms"] is None or r["status"] != "accepted":
        return r["eid"], None
    # The press as the terminal saw it, unless its clock cannot be right: the
    # hub flagged it (`clock`), or it stamps the press after the hub received
    # it. The receive time is then the truthful bound (assess_time adds the
    # service time's).
    rated_ms = r["received_at"]
    if r["device_time"] and "clock" not in json.loads(r["fraud_hub"] or "[]"):
        rated_ms = min(r["device_time"], rated_ms)
    return r["eid"], {
        "uuid": r["uuid"], "project_no": r["case_serial"], "assess_number": FIRST_RATING,
        "level": r["level"],
        "labels": json.loads(r["labels"] or "[]"), "other": bool(r["other"]), "text": "",
        "channel": CHANNEL_NAMES.get(r["channel"], CHANNEL_TERMINAL),
        "rated_at": rated_ms // 1000, "service_time": r["service_ms"] // 1000,
        "user_prop": r["applicant_kind"] or 1}


def case_state(db, eid):
    row = db.execute("SELECT state, last_error, next_attempt_at FROM outbox WHERE kind='case' AND ref=?",
                     (eid,)).fetchone()
    return row


_CASES_OF_SERIAL = ("SELECT o.id, o.state, o.last_error FROM outbox o JOIN invitations i ON i.eid = o.ref "
                    "WHERE o.kind = 'case' AND i.case_serial = ? ORDER BY o.id")


def cases_of_serial(db, case_serial):
    """The case rows the hub has for a case serial (one per invitation) -> [(id, state, last_error)]."""
    return [(r["id"], r["state"], r["last_error"]) for r in db.query(_CASES_OF_SERIAL, (case_serial,))]


def register_again(db, row_id, now_ms):
    """An accepted case upstream no longer knows: send it again, due at once."""
    with tx(db):
        db.execute("UPDATE outbox SET state='pending', next_attempt_at=?, updated_at=? WHERE id=? "
                   "AND kind='case' AND state='accepted'", (now_ms, now_ms, row_id))


def mark_sent(db, ids, now_ms):
    with tx(db):
        db.conn.executemany("UPDATE outbox SET state='sent', attempts=attempts+1, updated_at=? WHERE id=?",
                            [(now_ms, i) for i in ids])


def settle(db, results, now_ms):
    """results: [(id, state, next_attempt_ms, last_error, upstream_id)] in one transaction."""
    with tx(db):
        db.conn.executemany(
            "UPDATE outbox SET state=?, next_attempt_at=?, last_error=?, "
            "upstream_id=COALESCE(?, upstream_id), updated_at=? WHERE id=?",
            [(state, nxt, err, uid, now_ms, i) for i, state, nxt, err, uid in results])


def dead_letters(db, limit=200):
    return list(db.query(
        "SELECT id, kind, ref, attempts, last_error, updated_at FROM outbox WHERE state='rejected' "
        "ORDER BY id LIMIT ?", (limit,)))


def replay(db, now_ms, ids=None):
    """Dead letters back to pending (all, or the given ids) -> how many."""
    with tx(db):
        if ids is None:
            cur = db.execute("UPDATE outbox SET state='pending', attempts=0, next_attempt_at=?, updated_at=? "
                             "WHERE state='rejected'", (now_ms, now_ms))
        else:
            cur = db.conn.executemany(
                "UPDATE outbox SET state='pending', attempts=0, next_attempt_at=?, updated_at=? "
                "WHERE state='rejected' AND id=?", [(now_ms, now_ms, i) for i in ids])
        return cur.rowcount


def backlog(db):
    """{state: count} plus the oldest waiting row's age basis, for CLI and API."""
    out = {"pending": 0, "sent": 0, "accepted": 0, "rejected": 0}
    for state, n in db.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall():
        out[state] = n
    row = db.execute("SELECT MIN(created_at) FROM outbox WHERE state IN ('pending','sent')").fetchone()
    out["oldest_waiting_ms"] = row[0]
    return out
