"""Migration step 4: the upstream outbox and the audit log.

outbox: one row per event to forward to the provincial platform (kind
'case' when an invitation registers a case, 'rating' per accepted rating),
written in the same transaction as the event itself, so nothing committed
can miss its forwarding. The relay (hub/upstream/relay.py) moves state pending ->
sent -> accepted / rejected, with attempts, backoff and the last error.

audit: who did what, for hall IT; detail is JSON and never holds an
applicant's contact.
"""

SQL = """
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL CHECK (kind IN ('case', 'rating')),
    ref             TEXT NOT NULL,          -- eid or rating_id
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sent', 'accepted', 'rejected')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    upstream_id     TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (kind, ref)
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
CREATE TABLE audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,              -- device:<id>, api:<client>, cli, hub
    action      TEXT NOT NULL,
    subject     TEXT,
    detail      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_at ON audit(at);
"""
