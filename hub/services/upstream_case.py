"""A case's upstream identity: what the business system sends for the provincial platform.

Real-name platforms want, per case, the applicant's identity (userName,
userProp, userPageType, certKey / certKeyGOV, mobile) and the case's codes
(taskType, acceptDate, promiseTime, per-case areaCode, the handling
department's credit code, ...). POST /api/v1/invitations takes them as
`upstream_case` (hub/api/schemas/invitations.py checks types and bounds,
the configured dialect its own rules). Here they are stored:

- the applicant (personal data) sealed with hub.store.sealbox, bound to the
  invitation and its column (outbox.applicant_aad); opened only by the relay
  for the call (outbox.case_payload with the key), never logged, never
  returned, exported or sent to a terminal;
- the codes (no personal data) in clear, JSON.

purge_due deletes the sealed applicant once the platform holds what it
will get of the case (docs/UPSTREAM.md, "The applicant's identity"):
  - rated: RETENTION days after the platform accepted the rating (default
    60: the follow-up rating, 追加评价, may come within 60 days of it);
  - cancelled or expired: at once, once the platform holds the case (no
    rating will come of it);
  - timed out or superseded: a day after it closed, once the platform
    holds the case (a terminal that was offline may still hand in a rating
    pressed before);
  - whatever happened, MAX days after the invitation was created (a dead
    letter nobody replays, a platform that never answers).
"""

import json

from hub.store import data_dir, sealbox, tx
from hub.upstream import outbox

DAY_MS = 86_400_000
LATE_RATING_GRACE_MS = DAY_MS
APPLICANT_KEYS = ("name", "kind", "id_type", "id_number", "mobile")


def split(upstream_case):
    """The API's upstream_case dict -> (applicant dict or None, codes dict), Nones dropped."""
    case = dict(upstream_case or {})
    applicant = case.pop("applicant", None)
    if applicant is not None:
        applicant = {k: applicant[k] for k in APPLICANT_KEYS if applicant.get(k) is not None}
    codes = {k: v for k, v in case.items() if v is not None}
    return applicant or None, codes


def store(db, eid, applicant, codes):
    """Inside the caller's transaction: the row of invitation EID (nothing when both are empty)."""
    if not applicant and not codes:
        return
    sealed = None
    if applicant:
        sealed = sealbox.seal(sealbox.load_key(data_dir(db)), json.dumps(applicant, ensure_ascii=False),
                              outbox.applicant_aad(eid))
    db.execute("INSERT INTO upstream_cases (eid, applicant_enc, codes) VALUES (?, ?, ?)",
               (eid, sealed, json.dumps(codes, ensure_ascii=False, sort_keys=True)))


_DUE = """
SELECT u.eid FROM upstream_cases u
JOIN invitations i ON i.eid = u.eid
LEFT JOIN outbox c ON c.kind = 'case' AND c.ref = i.eid
LEFT JOIN outbox r ON r.kind = 'rating' AND r.ref = i.rating_id
WHERE u.applicant_enc IS NOT NULL AND (
       (i.state = 'rated' AND r.state = 'accepted' AND r.updated_at <= :kept)
    OR (i.state IN ('cancelled', 'expired') AND c.state = 'accepted')
    OR (i.state IN ('timed_out', 'superseded') AND c.state = 'accepted' AND i.closed_at <= :late)
    OR i.created_at <= :oldest)
"""


def purge_due(db, now_ms, retention_days, max_days):
    """Delete the sealed applicants whose case is done upstream -> how many.

    secure_delete: SQLite would otherwise leave the deleted ciphertext in
    free pages; it is overwritten with zeros instead."""
    params = {"kept": now_ms - retention_days * DAY_MS, "late": now_ms - LATE_RATING_GRACE_MS,
              "oldest": now_ms - max_days * DAY_MS}
    db.conn.execute("PRAGMA secure_delete = ON")
    with tx(db):
        eids = [r[0] for r in db.execute(_DUE, params).fetchall()]
        db.conn.executemany("UPDATE upstream_cases SET applicant_enc = NULL, purged_at = ? WHERE eid = ?",
                            [(now_ms, eid) for eid in eids])
    return len(eids)
