"""The group-commit writer: one failing job is rolled back alone, the rest of
its batch is stored, and a rating recorded in a job is all-or-nothing (the
journal relies on the writer for that instead of a savepoint of its own).
The writer runs a batch without savepoints first and, when a job raises,
runs it again with one savepoint per job: the jobs before the failing one
must be stored once, not twice and not lost."""

import os
import sqlite3
import threading
import time

from hub.store.writer import Writer
from hub.services import invitations, journal, terminals
from hub.store import open_db

T0 = 1_700_000_000_000


def rating(seq, eid, cs="C1"):
    return {"t": "rating", "seq": seq, "eid": eid, "cs": cs, "lv": 5, "dp": 3000,
            "mt": 10_000 * seq, "org": "live"}


def test_a_failing_job_is_undone_alone_and_its_batch_commits(tmp_path):
    path = tmp_path / "hub.db"
    db = open_db(path)
    terminals.provision(db, "T1", "A01")
    inv, a, b = (invitations.create(db, "A01", cs, "M100", "营业执照办理", visit=1, now=T0,
                                    staff_id="S01", staff_name="张三") for cs in ("C1", "C2", "C3"))
    db.conn.close()
    w = Writer(path)
    gate = threading.Event()
    results = {}

    def keep(name):
        return lambda result, error: results.__setitem__(name, (result, error))

    def broken(db):
        # The whole rating (row, outbox entry, invitation closed) is written,
        # then the job fails: none of it may stay.
        journal.record_rating(db, "T1", rating(1, inv["eid"]), now=T0)
        raise RuntimeError("job fails after its writes")

    w.start()
    w.submit(lambda db: gate.wait(5))          # hold the writer so the next three share a batch
    w.submit(lambda db: journal.record_rating(db, "T1", rating(2, a["eid"], "C2"), now=T0),
             keep("a"))
    w.submit(broken, keep("broken"))
    w.submit(lambda db: journal.record_rating(db, "T1", rating(3, b["eid"], "C3"), now=T0),
             keep("b"))
    gate.set()
    w.stop()
    assert w.stats["failed_jobs"] == 1 and w.stats["failed_commits"] == 0
    assert w.stats["rerun_batches"] == 1
    assert isinstance(results["broken"][1], RuntimeError)
    assert results["a"][0]["flags"] == [] and results["b"][0]["dup"] is False
    db = open_db(path)
    stored = [r[0] for r in db.conn.execute("SELECT rating_id FROM ratings ORDER BY seq")]
    assert stored == ["T1:2", "T1:3"]
    assert [r[0] for r in db.conn.execute("SELECT ref FROM outbox WHERE kind = 'rating' "
                                          "ORDER BY ref")] == ["T1:2", "T1:3"]
    state = db.conn.execute("SELECT state, rating_id FROM invitations WHERE eid = ?",
                            (inv["eid"],)).fetchone()
    assert state[0] != "rated" and state[1] is None
    # The same rating sent again after the failure is stored normally.
    assert journal.record_rating(db, "T1", rating(1, inv["eid"]), now=T0)["status"] == "accepted"
    db.conn.close()


def test_the_wal_is_checkpointed_beside_the_writer(tmp_path):
    """The writer's commits never checkpoint (that would hold up their acks);
    the checkpointer beside it keeps the WAL from growing with every commit,
    and leaves it fully copied into the database when the writer stops."""
    path = str(tmp_path / "hub.db")
    open_db(path).conn.close()
    w = Writer(path, checkpoint_s=0.05)
    w.start()

    def some_rows(db):
        db.conn.executemany("INSERT INTO audit (at, actor, action, detail) VALUES (?, ?, ?, ?)",
                            [(T0, "test", "fill", "x" * 200)] * 200)
    w.call(some_rows)
    one_commit = os.path.getsize(path + "-wal")
    for _ in range(20):
        w.call(some_rows)
        time.sleep(0.08)
    assert w.checkpointer.stats["checkpoints"] > 0
    assert os.path.getsize(path + "-wal") < 4 * one_commit      # ~21x without checkpoints
    w.stop()
    conn = sqlite3.connect(path)
    busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert busy == 0 and frames == copied
    assert conn.execute("SELECT COUNT(*) FROM audit").fetchone()[0] == 21 * 200
    conn.close()


def test_a_batch_sqlite_rolled_back_is_answered_as_failed_not_as_stored(tmp_path):
    """A full disk makes SQLite roll the whole transaction back by itself, not
    just the failing statement: the jobs before the failing one are undone
    too, so none of them may be answered as stored (a terminal would delete a
    rating the hub does not have). Made real by capping the file's pages."""
    path = tmp_path / "hub.db"
    open_db(path).conn.close()
    w = Writer(path)
    w.start()
    pages = w.call(lambda db: db.execute("PRAGMA page_count").fetchone()[0])
    w.call(lambda db: db.execute("PRAGMA max_page_count = %d" % (pages + 2)))
    gate = threading.Event()
    results = {}

    def keep(name):
        return lambda result, error: results.__setitem__(name, (result, error))

    def rows(n, size):
        return lambda db: db.conn.executemany(
            "INSERT INTO audit (at, actor, action, detail) VALUES (?, ?, ?, ?)",
            [(T0, "test", "fill", "x" * size)] * n).rowcount

    w.submit(lambda db: gate.wait(5))
    w.submit(rows(1, 10), keep("small before"))
    w.submit(rows(400, 1000), keep("too big"))
    w.submit(rows(1, 10), keep("small after"))
    gate.set()
    w.stop()
    stored = sqlite3.connect(path).execute("SELECT COUNT(*) FROM audit WHERE action = 'fill'")
    n = stored.fetchone()[0]
    answered = [k for k, (result, error) in results.items() if error is None]
    assert n == 0 and answered == [], (n, answered)
    assert "full" in str(results["too big"][1]) and w.stats["failed_commits"] == 1
