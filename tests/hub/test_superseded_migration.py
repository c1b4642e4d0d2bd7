"""Upgrading a hub database made before the state `superseded`: the step that
rebuilds the invitations table (hub/store/schema_superseded.py) keeps every
row, rowid and index, and then the table takes the new state."""

import sqlite3

import pytest

from hub.services import invitation_states as S
from hub.services import invitations
from hub.store import migrations, open_db, schema_superseded

STEP = next(n for n, _what, apply in migrations.STEPS if apply is schema_superseded.apply)
OLD_STATES = ("queued", "shown", "rated", "timed_out", "cancelled", "expired")


def old_hub(path):
    """A database as the hub before this step left it: one invitation in every
    state it knew, one with a sealed contact, and a trigger of its own."""
    db = open_db(path, migrate=False)
    assert migrations.migrate(db, target=STEP - 1) == STEP - 1
    db.execute("INSERT INTO windows (window, name, created_at) VALUES ('A01', '一号窗口', 1)")
    for n, state in enumerate(OLD_STATES):
        db.execute(
            "INSERT INTO invitations (eid, window, device_id, case_serial, visit, matter_code, "
            "matter_name, staff_id, staff_name, applicant_kind, contact_enc, channel, client, "
            "state, timeout_s, created_at, sent_at, shown_at, closed_at, deadline, rating_id, "
            "note) VALUES (?, 'A01', 'T1', ?, 1, 'M1', '事项', 'S1', '王五', 1, ?, 5, 'qs', ?, "
            "60, ?, ?, ?, ?, 99999, ?, ?)",
            ("e%d" % n, "C%d" % n, bytes([n]) * 40 if n == 2 else None, state, 10 + n, 11 + n,
             12 + n if state != "queued" else None, 13 + n if state not in ("queued", "shown")
             else None, "T1:%d" % n if state == "rated" else None, "why %d" % n))
    db.execute("DELETE FROM invitations WHERE eid = 'e4'")    # a gap in the rowids
    db.execute("INSERT INTO invitations (eid, window, case_serial, matter_code, matter_name, "
               "staff_id, staff_name, applicant_kind, state, timeout_s, created_at, deadline) "
               "VALUES ('e4', 'A01', 'C4', 'M1', '事项', 'S1', '王五', 1, 'cancelled', 60, 14, "
               "99999)")
    db.execute("CREATE TABLE seen (eid TEXT)")
    db.execute("CREATE TRIGGER invitations_seen AFTER UPDATE OF state ON invitations "
               "BEGIN INSERT INTO seen VALUES (new.eid); END")
    db.conn.commit()
    return db


def snapshot(db):
    return (db.execute("SELECT rowid, * FROM invitations ORDER BY rowid").fetchall(),
            db.execute("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'invitations' "
                       "AND type != 'table' AND sql IS NOT NULL ORDER BY name").fetchall(),
            sorted(r[1:] for r in db.execute("PRAGMA index_list(invitations)")))


def test_the_rebuild_keeps_every_row_index_and_trigger_and_takes_superseded(tmp_path):
    path = tmp_path / "hub.sqlite3"
    old = old_hub(path)
    with pytest.raises(sqlite3.IntegrityError):
        old.execute("UPDATE invitations SET state = 'superseded' WHERE eid = 'e0'")
    before = snapshot(old)
    assert {r[1] for r in before[1]} == {"invitations_visit", "invitations_pending",
                                         "invitations_seen"}
    old.conn.close()

    db = open_db(path, migrate=False)
    assert migrations.migrate(db, target=STEP) == STEP      # this step alone: later ones add to the schema
    assert snapshot(db) == before
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    db.execute("UPDATE invitations SET state = 'superseded' WHERE eid = 'e0'")
    assert invitations.get(db, "e0")["state"] == S.SUPERSEDED
    assert db.execute("SELECT eid FROM seen").fetchall() == [("e0",)]   # the trigger is back
    # The visit index holds as before: timed_out keeps its visit, superseded frees its own.
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE invitations SET case_serial = 'C3' WHERE eid = 'e1'")
    db.execute("UPDATE invitations SET case_serial = 'C1' WHERE eid = 'e0'")
    # The planner still finds the partial index for the rule's own WHERE.
    plan = db.execute("EXPLAIN QUERY PLAN SELECT eid FROM invitations WHERE case_serial = 'C1' "
                      "AND visit = 1 AND " + S.sql_in(S.HOLDS_VISIT)).fetchall()
    assert "invitations_visit" in str(plan)


def test_a_table_not_made_by_the_released_steps_is_left_as_it_was(tmp_path):
    path = tmp_path / "hub.sqlite3"
    db = open_db(path, migrate=False)
    assert migrations.migrate(db, target=STEP - 1) == STEP - 1
    # Someone rebuilt the table by hand with another state list: the step
    # refuses, and its transaction leaves the database as it was.
    db.conn.execute("BEGIN IMMEDIATE")
    db.conn.execute("ALTER TABLE invitations RENAME TO invitations_old")
    db.conn.execute("CREATE TABLE invitations (eid TEXT PRIMARY KEY, state TEXT CHECK "
                    "(state IN ('queued', 'done')))")
    db.conn.execute("COMMIT")
    with pytest.raises(RuntimeError, match="state CHECK"):
        migrations.migrate(db)
    assert migrations.version(db) == STEP - 1
    table = db.execute("SELECT sql FROM sqlite_master WHERE name = 'invitations'").fetchone()[0]
    assert "'done'" in table
