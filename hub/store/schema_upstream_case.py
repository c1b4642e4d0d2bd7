"""Migration step 14: each case's upstream identity, and the relay's due-row index.

upstream_cases: what the business system sent with an invitation for the
provincial platform (POST /api/v1/invitations `upstream_case`), one row per
invitation that had one:
  applicant_enc  the applicant's personal data (name, kind, id type, id
                 number, mobile) as JSON sealed by hub.store.sealbox
                 (AES-GCM, aad "applicant:" + eid, so a value cannot be moved
                 to another row or column). NULL once purged
                 (hub/services/upstream_case.py purge_due).
  codes          the case's non-personal codes in clear (JSON): task type,
                 accept / promise times, area, handling department, ...
  purged_at      when the applicant was deleted (epoch ms), NULL before.
The row of an invitation stays with it (codes are no personal data); only the
applicant goes.

outbox_waiting: the relay asks for waiting rows oldest first, many times a
second while it drains a backlog. outbox_due (state, next_attempt_at) made
SQLite sort every waiting row by id on each ask; this partial index holds
the waiting rows in id order, so the ask reads the first few.
"""

SQL = """
CREATE TABLE upstream_cases (
    eid             TEXT PRIMARY KEY REFERENCES invitations(eid),
    applicant_enc   BLOB,
    codes           TEXT NOT NULL DEFAULT '{}',
    purged_at       INTEGER
);
CREATE INDEX upstream_cases_held ON upstream_cases(eid) WHERE applicant_enc IS NOT NULL;
CREATE INDEX outbox_waiting ON outbox(id) WHERE state IN ('pending', 'sent');
"""
