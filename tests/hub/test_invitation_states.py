"""The invitation lifecycle table (hub.services.invitation_states) against a
real hub database: real invitations driven through the services the API, the
CLI and the ingest call, each change allowed by the table happening and each
other one refused, and the schema's CHECK and unique index agreeing with the
table's lists."""

import itertools
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from hub.errors import HubError
from hub.services import invitation_states as S
from hub.services import invitations, journal, terminals
from hub.store import open_db

T0 = 1_700_000_000_000
EXPIRE_S = 60
DEADLINE = T0 + EXPIRE_S * 1000


@pytest.fixture
def hall(tmp_path):
    db = open_db(tmp_path / "data" / "hub.db")
    terminals.provision(db, "T1", "A01", now=T0)
    yield Hall(db)
    db.conn.close()


class Hall:
    """One terminal T1 at window A01; each step is what a peer does."""

    def __init__(self, db):
        self.db = db
        self._seq = itertools.count(1)      # T1's journal: seqs only grow
        self._case = itertools.count(1)

    def invite(self, cs=None, visit=1):
        cs = cs or "C%d" % next(self._case)
        return invitations.create(self.db, "A01", cs, "M100", "营业执照办理", staff_id="S01",
                                  staff_name="张三", visit=visit, expire_s=EXPIRE_S, now=T0)

    def state(self, inv):
        return invitations.get(self.db, inv["eid"])["state"]

    # Each step -> whether the service reports that it took effect.
    def show(self, inv):
        invitations.mark_shown(self.db, inv["eid"], "T1", now=T0 + 1)
        return None          # an ack of an `inv` has no answer of its own

    def rate(self, inv):
        msg = {"t": "rating", "seq": next(self._seq), "eid": inv["eid"], "cs": inv["case_serial"],
               "lv": 5, "dp": 3000, "mt": 1, "org": "live"}
        return journal.record_rating(self.db, "T1", msg, now=T0 + 2)

    def timeout(self, inv, **why):
        msg = {"t": "timeout", "seq": next(self._seq), "eid": inv["eid"], "cs": inv["case_serial"],
               "mt": 1, "org": "live", **why}
        return journal.record_timeout(self.db, "T1", msg, now=T0 + 2)

    def supersede(self, inv):
        """The terminal closed it because a newer `inv` came (firmware/app/flow.py)."""
        return self.timeout(inv, why="sup")

    def cancel(self, inv):
        try:
            invitations.cancel(self.db, inv["eid"], "test", now=T0 + 2)
        except HubError as e:
            assert e.code == "invitation_closed" and e.status == 409
            return False
        return True

    def expire(self, inv):
        return inv["eid"] in invitations.expire_due(self.db, now=DEADLINE)


# step -> the state it would lead to
STEPS = {"show": S.SHOWN, "rate": S.RATED, "timeout": S.TIMED_OUT, "supersede": S.SUPERSEDED,
         "cancel": S.CANCELLED, "expire": S.EXPIRED}
# the shortest way from a new invitation to each state
REACH = {S.QUEUED: (), S.SHOWN: ("show",), S.RATED: ("rate",), S.TIMED_OUT: ("timeout",),
         S.SUPERSEDED: ("supersede",), S.CANCELLED: ("cancel",), S.EXPIRED: ("expire",)}


def test_every_state_is_reached_and_every_change_comes_from_a_step():
    assert set(REACH) == set(S.ALL) and S.INITIAL == S.QUEUED
    assert {new for nxt in S.NEXT.values() for new in nxt} == set(STEPS.values())
    assert S.NEXT[S.RATED] == ()


def _check_step(hall, inv, step, was, rated=None):
    """Do STEP on INV (now in state WAS; RATED: its visit has an accepted
    rating, by default when WAS is rated): it happens exactly when the table
    allows it, and the service's answer says so."""
    new = STEPS[step]
    allowed = S.may_become(was, new)
    answer = getattr(hall, step)(inv)
    now = hall.state(inv)
    assert now == (new if allowed else was), "%s from %s" % (step, was)
    if step in ("cancel", "expire"):
        assert answer is allowed
    elif step == "rate":
        # A rating is always stored; a second one for a rated visit is refused,
        # and one after the invitation closed without a rating is late.
        rated = was == S.RATED if rated is None else rated
        assert answer["status"] == ("refused" if rated else "accepted")
        assert ("late" in answer["flags"]) is (was in S.LATE)
    elif step in ("timeout", "supersede"):
        assert answer["known"] is True and answer["dup"] is False
        assert answer["state"] == (new if allowed else None)
    return now


@pytest.mark.parametrize("step", sorted(STEPS))
@pytest.mark.parametrize("state", S.ALL)
def test_each_step_from_each_state_follows_the_table(hall, state, step):
    inv = hall.invite()
    for s in REACH[state]:
        getattr(hall, s)(inv)
    assert hall.state(inv) == state
    _check_step(hall, inv, step, state)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(sorted(STEPS)), min_size=1, max_size=8))
def test_any_sequence_of_steps_follows_the_table(hall, steps):
    inv = hall.invite()
    state, rated = S.INITIAL, False
    for step in steps:
        state = _check_step(hall, inv, step, state, rated)
        rated = rated or step == "rate"


@pytest.mark.parametrize("state", S.ALL)
def test_a_visit_is_held_exactly_by_the_visit_holding_states(hall, state):
    first = hall.invite(cs="C-visit")
    for s in REACH[state]:
        getattr(hall, s)(first)
    if state in S.HOLDS_VISIT:
        with pytest.raises(HubError) as e:
            hall.invite(cs="C-visit")
        assert e.value.code == "duplicate_visit" and first["eid"] in e.value.message
    else:
        assert hall.invite(cs="C-visit")["state"] == S.QUEUED


@pytest.mark.parametrize("state", S.FREES_VISIT)
def test_a_late_rating_leaves_an_invitation_whose_visit_was_invited_again(hall, state):
    first = hall.invite(cs="C-again")
    getattr(hall, REACH[state][0])(first)
    second = hall.invite(cs="C-again")
    assert hall.rate(first)["status"] == "accepted"      # stored, flagged late
    assert hall.state(first) == state and hall.state(second) == S.QUEUED


def test_the_schema_takes_exactly_the_tables_states(hall):
    db = hall.db
    inv = hall.invite()
    for state in S.ALL:
        db.execute("UPDATE invitations SET state = ? WHERE eid = ?", (state, inv["eid"]))
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE invitations SET state = 'done' WHERE eid = ?", (inv["eid"],))
    # ... and names no state the table has not: the CHECK's list is the table's.
    table = db.execute("SELECT sql FROM sqlite_master WHERE name = 'invitations'").fetchone()[0]
    listed = table.split("CHECK (state IN", 1)[1].split(")", 1)[0]
    assert listed.replace("(", "").replace("'", "").replace(" ", "").strip().split(",") \
        == list(S.ALL)


@pytest.mark.parametrize("a,b", list(itertools.product(S.ALL, repeat=2)))
def test_the_schemas_unique_index_holds_the_visit_in_the_tables_states(hall, a, b):
    db = hall.db
    one, two = hall.invite(cs="C1", visit=1), hall.invite(cs="C1", visit=2)
    db.execute("UPDATE invitations SET state = ? WHERE eid = ?", (a, one["eid"]))
    db.execute("UPDATE invitations SET state = ? WHERE eid = ?", (b, two["eid"]))
    clash = a in S.HOLDS_VISIT and b in S.HOLDS_VISIT
    try:
        db.execute("UPDATE invitations SET visit = 1 WHERE eid = ?", (two["eid"],))
    except sqlite3.IntegrityError:
        assert clash
    else:
        assert not clash


def test_a_late_rating_after_a_supersede_is_flagged_late_as_after_a_timeout(hall):
    for step in ("timeout", "supersede"):
        inv = hall.invite()
        hall.show(inv)
        getattr(hall, step)(inv)
        answer = hall.rate(inv)
        assert answer["status"] == "accepted" and "late" in answer["flags"], step
        assert hall.state(inv) == S.RATED


def test_the_hub_supersedes_only_a_queued_invitation(hall):
    queued, shown, newer = hall.invite(), hall.invite(), hall.invite()
    hall.show(shown)
    invitations.supersede_unacked(hall.db, [queued["eid"], shown["eid"]], newer["eid"], now=T0 + 3)
    assert hall.state(queued) == S.SUPERSEDED and hall.state(shown) == S.SHOWN
    closed = invitations.get(hall.db, queued["eid"])
    assert closed["shown_at"] is None and newer["eid"] in closed["note"]


def test_sql_is_built_only_from_the_tables_states():
    assert S.sql_in((S.QUEUED,)) == "state = 'queued'"
    assert S.sql_in(S.OPEN, "i.state") == "i.state IN ('queued', 'shown')"
    with pytest.raises(ValueError):
        S.sql_in(("queued'; DROP TABLE invitations; --",))


def test_the_cli_names_every_state_in_chinese():
    from hub.commands.invitations import STATE_ZH
    assert set(STATE_ZH) == set(S.ALL)
    assert len({v.split()[0] for v in STATE_ZH.values()}) == len(S.ALL)
