"""The hub's rules on a rating that is not simply new and on time (PROTOCOL.md
§8.6), as a terminal sees them: the answer it gets, what is stored, what goes
upstream.

- the same (dev, seq) again: `ack dup` only when the content is the stored one;
  other content is `nack seq_conflict` (permanent), the stored rating stays, the
  new content is kept in the audit log and hall IT gets a problem;
- a refused rating sent again gets the same refusal, not an ack;
- 一次一评: the second rating of a visit is nacked duplicate_visit and stored
  refused (kept for review, never forwarded);
- a rating of a cancelled, timed-out or superseded invitation is acked,
  forwarded and closes it as rated, flag `late`: the citizen did rate;
- a rating from another label set than the hub's newest is acked and forwarded
  with flag `label_set`.

Real parts: a protocol terminal on the ingest (tests/hub/test_ingest.py), SQLite."""

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from hub.services import config, invitations, journal, terminals
from hub.store import open_db
from protocol import errors
from tests.hub.test_ingest import committed, connect, hub, invite  # noqa: F401  (fixture)
from tests.support.poll import wait


def flags_of(hub, rid):
    (status, flags), = committed(hub, "SELECT status, fraud_hub FROM ratings WHERE rating_id = ?",
                                 (rid,))
    return status, json.loads(flags)


def forwarded(hub, rid):
    return committed(hub, "SELECT COUNT(*) FROM outbox WHERE kind = 'rating' AND ref = ?",
                     (rid,))[0][0]


def test_same_seq_other_content_is_a_seq_conflict_and_the_first_stays(hub):
    t = connect(hub)
    inv = invite(hub)
    t.rating(inv["eid"], "C1", lv=5, seq=3)
    assert t.answer_for(3) == {"t": "ack", "seq": 3}
    t.rating(inv["eid"], "C1", lv=5, seq=3, org="replay")        # the same, sent again
    assert t.answer_for(3) == {"t": "ack", "seq": 3, "dup": True}
    t.rating(inv["eid"], "C1", lv=1, lb=[115], seq=3)             # other content, same seq
    answer = t.answer_for(3)
    assert (answer["t"], answer["code"], answer["perm"]) == ("nack", "seq_conflict", True)
    assert committed(hub, "SELECT level FROM ratings") == [(5,)]   # what was acked stays
    (detail,), = committed(hub, "SELECT detail FROM audit WHERE action = 'rating.conflict'")
    kept = json.loads(detail)["received"]
    assert (kept["lv"], kept["lb"], kept["seq"]) == (1, [115], 3)  # kept for review
    hub._flush_counters()
    wait(lambda: committed(hub, "SELECT code FROM device_problems WHERE device_id = 'T1'")
         == [("seq_conflict",)], 5, "seq_conflict problem")


def test_a_refused_rating_sent_again_gets_the_same_refusal(hub):
    t = connect(hub)
    inv = invite(hub)
    t.rating(inv["eid"], "C1", seq=1)
    assert t.answer_for(1)["t"] == "ack"
    t.rating(inv["eid"], "C1", lv=4, seq=2)
    first = t.answer_for(2)
    assert (first["code"], first["perm"]) == ("duplicate_visit", True)
    t.rating(inv["eid"], "C1", lv=4, seq=2, org="replay")
    assert t.answer_for(2)["code"] == "duplicate_visit"
    assert flags_of(hub, "T1:2") == ("refused", ["duplicate_visit"])   # stored, for review
    assert forwarded(hub, "T1:2") == 0 and forwarded(hub, "T1:1") == 1


@pytest.mark.parametrize("close", ["cancel", "timeout", "supersede"])
def test_a_late_rating_is_acked_forwarded_and_closes_the_invitation_as_rated(hub, close):
    t = connect(hub)
    inv = invite(hub)
    msg = t.wait_for(lambda m: m["t"] == "inv")
    t.send({"t": "ack", "re": msg["mid"]})
    if close == "cancel":
        invitations.cancel(hub.db, inv["eid"])
    else:
        t.send({"t": "timeout", "seq": 1, "eid": inv["eid"], "cs": "C1", "mt": 1, "org": "live",
                **({"why": "sup"} if close == "supersede" else {})})
        assert t.answer_for(1)["t"] == "ack"
    assert invitations.get(hub.db, inv["eid"])["state"] != "rated"
    t.rating(inv["eid"], "C1", lv=3, seq=2)
    assert t.answer_for(2) == {"t": "ack", "seq": 2}
    assert flags_of(hub, "T1:2") == ("accepted", ["late"]) and forwarded(hub, "T1:2") == 1
    assert invitations.get(hub.db, inv["eid"])["state"] == "rated"


def test_a_rating_from_an_older_label_set_is_taken_and_flagged(hub):
    config.push(hub.db, labels=[[c, "标签%d" % c] for c in (517, 413, 314, 213, 115)])
    assert config.label_set_version(hub.db) == 2
    t = connect(hub)
    t.rating(invite(hub, "C1")["eid"], "C1", lv=2, lb=[207], lsv=1, seq=1)  # national, old set
    assert t.answer_for(1) == {"t": "ack", "seq": 1}
    assert flags_of(hub, "T1:1") == ("accepted", ["label_set"]) and forwarded(hub, "T1:1") == 1
    t.rating(invite(hub, "C2")["eid"], "C2", lv=2, lb=[213], lsv=2, seq=2)
    assert t.answer_for(2) == {"t": "ack", "seq": 2}
    assert flags_of(hub, "T1:2") == ("accepted", [])


def test_seq_conflict_is_a_permanent_code():
    assert errors.SEQ_CONFLICT in errors.PERMANENT and errors.NOT_INVITED in errors.PERMANENT


# Any change of what a terminal's journal keeps is other content.
CHANGES = {
    "eid": lambda m: m.update(eid="other-eid"), "cs": lambda m: m.update(cs="C9"),
    "lv": lambda m: m.update(lv=4, lb=[413]), "lb": lambda m: m.update(lb=[517]),
    "oth": lambda m: m.update(oth=True), "lsv": lambda m: m.update(lsv=7),
    "dp": lambda m: m.update(dp=m["dp"] + 1), "dt": lambda m: m.update(dt=1_700_000_000_001),
    "mt": lambda m: m.update(mt=m["mt"] + 1), "bt": lambda m: m.update(bt=9),
    "ff": lambda m: m.update(ff=["fast"]),
}


@pytest.fixture
def db(tmp_path):
    d = open_db(tmp_path / "hub.db")
    terminals.provision(d, "T1", "A01")
    yield d
    d.conn.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changed=st.sets(st.sampled_from(sorted(CHANGES)), min_size=1),
       org=st.sampled_from(["live", "replay"]))
def test_only_the_same_content_is_a_dup(db, changed, org):
    seq = db.execute("SELECT COUNT(*) FROM ratings").fetchone()[0] + 1
    inv = invitations.create(db, "A01", "K%d" % seq, "M1", "事项", staff_id="S1",
                             staff_name="张三")
    first = {"t": "rating", "seq": seq, "eid": inv["eid"], "cs": "K%d" % seq, "lv": 5,
             "lb": [510, 517], "lsv": 1, "dp": 3000, "dt": 1_700_000_000_000, "mt": 5000,
             "bt": 2, "org": "live"}
    journal.record_rating(db, "T1", dict(first), now=1_700_000_001_000)
    same = dict(first, org=org, lb=[517, 510])              # order of labels is no content
    assert journal.record_rating(db, "T1", same)["dup"] is True
    other = dict(first, org=org)
    for name in changed:
        CHANGES[name](other)
    result = journal.record_rating(db, "T1", other)
    assert (result["dup"], result["refusal"]) == (False, "seq_conflict")
    assert db.execute("SELECT level, labels FROM ratings WHERE seq = ?", (seq,)).fetchone() == \
        (5, "[510,517]")
