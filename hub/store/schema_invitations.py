"""Migration step 2: evaluation invitations.

state: queued (waiting for the terminal) -> shown (the terminal acked the
`inv`) -> rated / timed_out; or cancelled (by the business system) or
expired (deadline passed before a rating). contact_enc holds the optional
applicant contact, encrypted by hub.store.sealbox; it is never logged.
一次一评: at most one live invitation per case serial + visit (cancelled and
expired ones do not count, so a mistaken invitation can be redone).

The lifecycle is hub.services.invitation_states; its ALL and HOLDS_VISIT are
the lists below as released (a step is never edited), and
tests/hub/test_invitation_states.py checks the database against them.
"""

SQL = """
CREATE TABLE invitations (
    eid             TEXT PRIMARY KEY,
    window          TEXT NOT NULL REFERENCES windows(window),
    device_id       TEXT,                  -- terminal it was delivered to
    case_serial     TEXT NOT NULL,
    visit           INTEGER NOT NULL DEFAULT 1,
    matter_code     TEXT NOT NULL,
    matter_name     TEXT NOT NULL,
    staff_id        TEXT NOT NULL,
    staff_name      TEXT NOT NULL,
    applicant_kind  INTEGER NOT NULL CHECK (applicant_kind IN (1, 2)),
    contact_enc     BLOB,
    channel         INTEGER NOT NULL DEFAULT 5,
    client          TEXT,                  -- API client that created it
    state           TEXT NOT NULL CHECK (state IN
                    ('queued', 'shown', 'rated', 'timed_out', 'cancelled', 'expired')),
    timeout_s       INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    shown_at        INTEGER,
    closed_at       INTEGER,
    deadline        INTEGER NOT NULL,
    rating_id       TEXT,
    note            TEXT
);
CREATE UNIQUE INDEX invitations_visit ON invitations(case_serial, visit)
    WHERE state IN ('queued', 'shown', 'rated', 'timed_out');
CREATE INDEX invitations_pending ON invitations(window, state, created_at);
"""
