"""Shandong end to end: the hub's services, the relay and the simulated strict platform."""

import time

import pytest

from hub.services import invitations
from hub.upstream import outbox
from simulator.province.server import ProvincePlatform
from tests.upstream.test_relay import assert_ledger_matches, drain, relay_for


@pytest.fixture
def platform():
    p = ProvincePlatform().start()
    yield p
    p.stop()


def steps(platform, serial):
    return platform.ledger.case(serial)["steps"]


def test_steps_then_ratings_exactly_once_through_lost_answers(hall, platform):
    relay = relay_for(hall, platform, "shandong")
    invs = [hall.case() for _ in range(6)]
    platform.faults.set(lose_after_commit=2)        # two service calls held, their answers lost
    assert drain(relay, hall) == {"accepted": 6}
    assert all(steps(platform, i["case_serial"]) == [1, 2, 3] for i in invs)
    platform.faults.set(lose_after_commit=1)        # the rating call held, its answer lost
    cases = [(i["case_serial"], hall.rate(i, level=1, labels=(115,))["rating_id"]) for i in invs]
    assert drain(relay, hall) == {"accepted": 12}
    assert_ledger_matches(platform, cases)
    assert platform.ledger.counts()["ratings"] == 6 and relay.stats["duplicates"] > 0


def test_a_sent_row_repeated_after_a_kill_is_a_duplicate(hall, platform):
    """kill -9 between the call and its settle: the row is still `sent` and goes again."""
    relay = relay_for(hall, platform, "shandong")
    [(serial, rid)] = hall.rated_cases(1)
    assert drain(relay, hall) == {"accepted": 2}
    hall.db.execute("UPDATE outbox SET state='sent', next_attempt_at=0")   # both rows, as after the kill
    assert drain(relay, hall) == {"accepted": 2}
    [held] = platform.ledger.all_ratings()
    assert held["attempts"] == 2 and steps(platform, serial) == [1, 2, 3]
    assert relay.stats["duplicates"] == 2


def test_a_refusal_is_a_dead_letter_with_the_platform_words_and_replays(hall, platform):
    hall.rated_cases(2)
    platform.faults.set(reject=1, reject_reason="评价渠道与办件不符")
    relay = relay_for(hall, platform, "shandong")
    assert drain(relay, hall) == {"accepted": 3, "rejected": 1}
    [dead] = outbox.dead_letters(hall.db)
    assert "评价渠道与办件不符" in dead["last_error"] and "replay" in dead["last_error"]
    outbox.replay(hall.db, int(time.time() * 1000))
    assert drain(relay, hall) == {"accepted": 4}


def test_a_self_built_matter_stays_at_the_hub(hall, platform):
    inv = invitations.create(hall.db, hall.window, "37080020261201000001", "370800000000001", "自建便民服务",
                             staff_id="S001", staff_name="王芳")
    hall.rate(inv)
    relay = relay_for(hall, platform, "shandong")
    for _ in range(3):
        relay.run_once()
    [case_row] = [r for r in hall.db.query("SELECT kind, state, last_error FROM outbox") if r["kind"] == "case"]
    assert case_row["state"] == "rejected" and "自建事项" in case_row["last_error"]
    rating_row = hall.db.execute("SELECT state, last_error FROM outbox WHERE kind='rating'").fetchone()
    assert rating_row[0] != "accepted" and "自建事项" in rating_row[1]
    assert platform.ledger.counts() == {"cases": 0, "ratings": 0, "rating_pushes": 0}
