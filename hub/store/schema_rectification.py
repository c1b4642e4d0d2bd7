"""Migration step 12: rectification of bad reviews (差评整改), and what the
statistics need.

rectifications: one work item per accepted bad review (levels in
protocol.domain.BAD_LEVELS), opened by a trigger in the transaction that
stores the rating, so no code path that stores one (the terminal journal, a
later QR or follow-up path, a test) can forget it, kill -9 included. The
trigger cannot read the hall's config, so the deadlines (contact_due,
close_due: epoch ms, the end of the Nth working day, exclusive) are filled
by hub.services.rectification.schedule before anything reads them.
due_exact 0: the holiday calendar did not cover the days counted
(hub/workdays.py); schedule() counts again once it does (due_calendar_to:
the calendar's last year when counted). The rating itself is never changed:
its level, labels and other reason are refused an UPDATE, and the rating a
DELETE, once it has an item.

rectification_steps: who moved an item from which state to which, when,
with the reason and the note (also written to the audit log).

ratings.assess_number: 1 a first rating, 2 a follow-up (追加评价), for the
channel mix; every rating stored so far is a first one.
stats_day_ratings, stats_day_cases, stats_days_done, stats_gen: the
statistics' per-day cache (hub/services/statistics_cache.py); the stats_stale
triggers drop cached days when an invitation older than a day is made or
changes, or a rating's status does, and bump stats_gen. A rating is stored
with the hub's receive time, so a day past never gets a new one: no trigger
on the ratings INSERT (the writer's hot path) for that.
invitations.dept_code: the department (部门编码) of a case when the window
business system names one; else the statistics use [upstream] dept_code.
"""

# SQLite's own clock in epoch ms (as hub/store/schema_events.py reads it).
_NOW_MS = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"

SQL = """
CREATE TABLE rectifications (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    rating_id       TEXT NOT NULL UNIQUE REFERENCES ratings(rating_id),
    window          TEXT,
    staff_id        TEXT,
    level           INTEGER NOT NULL,
    opened_at       INTEGER NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending_check' CHECK (state IN
                    ('pending_check', 'contacted', 'rectifying', 'closed', 'invalid')),
    contact_days    INTEGER,
    close_days      INTEGER,
    contact_due     INTEGER,
    close_due       INTEGER,
    due_exact       INTEGER,
    due_calendar_to INTEGER,
    contacted_at    INTEGER,
    closed_at       INTEGER,
    invalid_reason  TEXT CHECK (invalid_reason IN ('mistaken', 'malicious')),
    evidence        TEXT,
    updated_at      INTEGER NOT NULL,
    updated_by      TEXT NOT NULL DEFAULT 'hub'
);
CREATE INDEX rectifications_opened ON rectifications(opened_at);
CREATE INDEX rectifications_state ON rectifications(state, close_due);
CREATE INDEX rectifications_unscheduled ON rectifications(id) WHERE contact_due IS NULL;
CREATE INDEX rectifications_estimated ON rectifications(id) WHERE due_exact = 0;
CREATE TABLE rectification_steps (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id     INTEGER NOT NULL REFERENCES rectifications(id),
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    from_state  TEXT,
    to_state    TEXT NOT NULL,
    reason      TEXT,
    note        TEXT
);
CREATE INDEX rectification_steps_item ON rectification_steps(item_id, id);
CREATE TRIGGER rectification_open AFTER INSERT ON ratings
WHEN NEW.status = 'accepted' AND NEW.level IN (2, 1) BEGIN
INSERT OR IGNORE INTO rectifications (rating_id, window, staff_id, level, opened_at, updated_at)
VALUES (NEW.rating_id, NEW.window, NEW.staff_id, NEW.level, NEW.received_at, NEW.received_at);
END;
CREATE TRIGGER rectification_open_accepted AFTER UPDATE OF status ON ratings
WHEN NEW.status = 'accepted' AND OLD.status IS NOT 'accepted' AND NEW.level IN (2, 1) BEGIN
INSERT OR IGNORE INTO rectifications (rating_id, window, staff_id, level, opened_at, updated_at)
VALUES (NEW.rating_id, NEW.window, NEW.staff_id, NEW.level, NEW.received_at, NEW.received_at);
END;
CREATE TRIGGER rectification_rating_kept BEFORE UPDATE OF level, labels, other ON ratings
WHEN EXISTS (SELECT 1 FROM rectifications WHERE rating_id = OLD.rating_id) BEGIN
SELECT RAISE(ABORT, 'a bad review under rectification is never changed (差评结果不可更改)');
END;
CREATE TRIGGER rectification_rating_not_deleted BEFORE DELETE ON ratings
WHEN EXISTS (SELECT 1 FROM rectifications WHERE rating_id = OLD.rating_id) BEGIN
SELECT RAISE(ABORT, 'a bad review under rectification is never deleted (差评结果不可更改)');
END;
ALTER TABLE ratings ADD COLUMN assess_number INTEGER NOT NULL DEFAULT 1;
ALTER TABLE invitations ADD COLUMN dept_code TEXT;
CREATE TABLE stats_day_ratings (
    by TEXT NOT NULL, offset_ms INTEGER NOT NULL, day_start INTEGER NOT NULL, key TEXT NOT NULL,
    n5 INTEGER NOT NULL, n4 INTEGER NOT NULL, n3 INTEGER NOT NULL, n2 INTEGER NOT NULL,
    n1 INTEGER NOT NULL, buttons INTEGER NOT NULL, qr INTEGER NOT NULL,
    follow_up INTEGER NOT NULL, other INTEGER NOT NULL,
    PRIMARY KEY (by, offset_ms, day_start, key)
);
CREATE TABLE stats_day_cases (
    by TEXT NOT NULL, offset_ms INTEGER NOT NULL, day_start INTEGER NOT NULL, key TEXT NOT NULL,
    finished INTEGER NOT NULL, rated INTEGER NOT NULL, name TEXT,
    PRIMARY KEY (by, offset_ms, day_start, key)
);
CREATE TABLE stats_days_done (
    by TEXT NOT NULL, offset_ms INTEGER NOT NULL, day_start INTEGER NOT NULL,
    PRIMARY KEY (by, offset_ms, day_start)
);
CREATE TABLE stats_gen (one INTEGER PRIMARY KEY CHECK (one = 1), n INTEGER NOT NULL);
INSERT INTO stats_gen (one, n) VALUES (1, 0);
CREATE TRIGGER stats_stale_invitation AFTER UPDATE OF state ON invitations
WHEN NEW.created_at < %(now)s - 86400000 BEGIN
UPDATE stats_gen SET n = n + 1;
DELETE FROM stats_days_done WHERE day_start > NEW.created_at - 86400000 AND day_start <= NEW.created_at;
END;
CREATE TRIGGER stats_stale_new_invitation AFTER INSERT ON invitations
WHEN NEW.created_at < %(now)s - 86400000 BEGIN
UPDATE stats_gen SET n = n + 1;
DELETE FROM stats_days_done WHERE day_start > NEW.created_at - 86400000 AND day_start <= NEW.created_at;
END;
CREATE TRIGGER stats_stale_rating_status AFTER UPDATE OF status ON ratings
WHEN NEW.received_at < %(now)s - 86400000 BEGIN
UPDATE stats_gen SET n = n + 1;
DELETE FROM stats_days_done WHERE day_start > NEW.received_at - 86400000 AND day_start <= NEW.received_at;
END;
CREATE INDEX stats_days_done_day ON stats_days_done(day_start);
CREATE INDEX invitations_created ON invitations(created_at, state, window, staff_id,
    case_serial, visit);
""" % {"now": _NOW_MS}


def apply(conn):
    # A trigger's body holds ';' too: a statement ends where SQLite says one is complete.
    import sqlite3
    pending = ""
    for part in SQL.split(";\n"):
        pending += part + ";\n"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                conn.execute(pending)
            pending = ""
