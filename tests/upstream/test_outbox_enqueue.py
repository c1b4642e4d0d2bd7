"""Every event the province must learn of lands in the outbox exactly once,
in the transaction that stores it: an invitation's case (also when the
invitation is cancelled before anyone rates it) and each accepted rating the
group-commit writer stores, however often its terminal sends it again. The
hub runs here as it does in production: the services called through the
writer, on a real SQLite file."""

import sqlite3

import pytest

from hub.services import invitations, journal, terminals
from hub.store import open_db, tx
from hub.store.writer import Writer
from hub.upstream import outbox

T0 = 1_700_000_000_000


@pytest.fixture
def hub(tmp_path):
    path = str(tmp_path / "data" / "hub.db")
    db = open_db(path)
    terminals.provision(db, "T1", "A01")
    db.conn.close()
    writer = Writer(path)
    writer.start()
    reader = open_db(path)
    yield writer, reader
    writer.stop()
    reader.conn.close()


def invite(writer, cs, t=T0):
    return writer.call(lambda db: invitations.create(db, "A01", cs, "M100", "营业执照办理",
                                                     staff_id="S01", staff_name="张三", now=t))


def rating(seq, inv, lv=5):
    return {"t": "rating", "seq": seq, "eid": inv["eid"], "cs": inv["case_serial"], "lv": lv,
            "dp": 3000, "mt": 10_000 * seq, "org": "live"}


def store(writer, msg, t):
    return writer.call(lambda db: journal.record_rating(db, "T1", msg, now=t))


def rows(reader):
    return sorted((r["kind"], r["ref"], r["state"], r["next_attempt_at"])
                  for r in reader.query("SELECT kind, ref, state, next_attempt_at FROM outbox"))


def test_a_cancelled_invitation_keeps_its_one_case_and_its_late_rating_is_queued_once(hub):
    writer, reader = hub
    inv = invite(writer, "C1")
    writer.call(lambda db: invitations.cancel(db, inv["eid"], now=T0 + 1000))
    assert rows(reader) == [("case", inv["eid"], "pending", T0)]

    first = store(writer, rating(1, inv), T0 + 5000)
    assert first["status"] == "accepted" and "late" in first["flags"]
    # No ack reached the terminal: it sends the same record again, twice.
    assert store(writer, rating(1, inv), T0 + 6000)["dup"] is True
    assert store(writer, rating(1, inv), T0 + 7000)["dup"] is True
    # A second press for the same visit is refused (一次一评) and never forwarded.
    assert store(writer, rating(2, inv, lv=1), T0 + 8000)["status"] == "refused"

    assert rows(reader) == [("case", inv["eid"], "pending", T0),
                            ("rating", "T1:1", "pending", T0 + 5000)]
    # What the relay will take: both, due at once, the case first.
    assert [(r["kind"], r["ref"]) for r in outbox.due(reader, T0 + 9000)] == [
        ("case", inv["eid"]), ("rating", "T1:1")]


def test_ratings_committed_in_one_batch_are_each_queued_once(hub):
    writer, reader = hub
    invs = [invite(writer, "C%d" % i) for i in range(1, 41)]
    answers = []
    for seq, inv in enumerate(invs, 1):
        msg = rating(seq, inv)
        writer.submit(lambda db, m=msg: journal.record_rating(db, "T1", m, now=T0 + 1000),
                      lambda result, error: answers.append(error or result))
    writer.call(lambda db: None)     # after the batch(es) holding them
    assert [a["status"] for a in answers] == ["accepted"] * 40
    queued = [r for r in rows(reader) if r[0] == "rating"]
    assert sorted(ref for _k, ref, _s, _t in queued) == sorted("T1:%d" % s for s in range(1, 41))
    assert len([r for r in rows(reader) if r[0] == "case"]) == 40


def test_the_same_event_cannot_be_queued_twice(tmp_path):
    db = open_db(tmp_path / "data" / "hub.db")
    with tx(db):
        outbox.enqueue(db.conn, "case", "e1", T0)
    with pytest.raises(sqlite3.IntegrityError):
        with tx(db):
            outbox.enqueue(db.conn, "rating", "T1:1", T0)
            outbox.enqueue(db.conn, "case", "e1", T0 + 1)
    # The failed transaction took its other row with it.
    assert [(r["kind"], r["ref"]) for r in db.query("SELECT kind, ref FROM outbox")] == [("case", "e1")]
    db.conn.close()
