"""Migration step 3: ratings and timeouts (journal events from terminals).

rating_id = device id + ':' + journal seq, the idempotent key across every
hop. level is raw (5 非常满意 .. 1 非常不满意, the interfaces' direction).
status 'accepted' ratings go upstream; 'refused' ones broke 一次一评 and are
kept (never dropped) with fraud flag duplicate_visit but not forwarded.
fraud_terminal / fraud_hub are JSON lists of flags: they mark for review,
they never drop a rating.
"""

SQL = """
CREATE TABLE ratings (
    rating_id           TEXT PRIMARY KEY,
    uuid                TEXT NOT NULL UNIQUE,
    device_id           TEXT NOT NULL,
    seq                 INTEGER NOT NULL,
    eid                 TEXT NOT NULL,
    case_serial         TEXT NOT NULL,
    visit               INTEGER,
    window              TEXT,
    staff_id            TEXT,
    level               INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
    labels              TEXT NOT NULL DEFAULT '[]',
    other               INTEGER NOT NULL DEFAULT 0,
    label_set_version   INTEGER,
    display_press_ms    INTEGER,
    device_time         INTEGER,
    mono_ms             INTEGER,
    boot_counter        INTEGER,
    origin              TEXT,
    fraud_terminal      TEXT NOT NULL DEFAULT '[]',
    fraud_hub           TEXT NOT NULL DEFAULT '[]',
    channel             INTEGER NOT NULL DEFAULT 5,
    status              TEXT NOT NULL DEFAULT 'accepted' CHECK (status IN ('accepted', 'refused')),
    received_at         INTEGER NOT NULL
);
CREATE UNIQUE INDEX ratings_visit ON ratings(case_serial, visit)
    WHERE status = 'accepted' AND visit IS NOT NULL;
CREATE INDEX ratings_received ON ratings(received_at);
CREATE INDEX ratings_window ON ratings(window, received_at);
CREATE TABLE timeouts (
    event_id        TEXT PRIMARY KEY,      -- device id + ':' + seq
    device_id       TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    eid             TEXT NOT NULL,
    case_serial     TEXT NOT NULL,
    device_time     INTEGER,
    mono_ms         INTEGER,
    boot_counter    INTEGER,
    origin          TEXT,
    known           INTEGER NOT NULL,      -- 1 if the eid was an invitation to this terminal
    received_at     INTEGER NOT NULL
);
"""
