"""The platform's "no such case" answer to a rating: final when the hub never
registered that case, a reason to register it again when the platform lost
it, and never a reason to retry the same push for ever.

A terminal of another window rating an invitation not meant for it is
refused at the hub (not_invited) and never queued. A rating that names a case
serial no invitation has can still be in the outbox of a hub that stored it
before that rule: the relay must settle it too.
"""

import pytest

from hub.services import terminals
from hub.upstream import outbox
from tests.upstream.test_relay import drain, platform, relay_for  # noqa: F401 (fixture)


@pytest.mark.parametrize("adapter", ["zhejiang", "shandong"])
def test_another_windows_rating_of_a_made_up_serial_never_goes_upstream(hall, platform, adapter):
    terminals.provision(hall.db, "T013", "13")
    inv = hall.case()
    assert hall.rate(inv, cs="ZJ20260001MADEUP", device="T013")["status"] == "refused"
    relay = relay_for(hall, platform, adapter)
    assert drain(relay, hall, seconds=5) == {"accepted": 1}       # the case alone
    assert outbox.dead_letters(hall.db) == []
    assert platform.ledger.counts()["ratings"] == 0


def queued_by_an_older_hub(hall, rating_id):
    """What a hub before the not_invited rule left: the rating accepted and queued."""
    with hall.db.conn:
        hall.db.execute("UPDATE ratings SET status = 'accepted' WHERE rating_id = ?", (rating_id,))
        outbox.enqueue(hall.db.conn, "rating", rating_id, 0)


@pytest.mark.parametrize("adapter", ["zhejiang", "shandong"])
def test_rating_for_a_made_up_case_serial_is_a_dead_letter_with_the_reason(hall, platform, adapter):
    terminals.provision(hall.db, "T013", "13")
    inv = hall.case()
    queued_by_an_older_hub(hall, hall.rate(inv, cs="ZJ20260001MADEUP", device="T013")["rating_id"])
    relay = relay_for(hall, platform, adapter)
    assert drain(relay, hall, seconds=5) == {"accepted": 1, "rejected": 1}
    [dead] = outbox.dead_letters(hall.db)
    assert dead["kind"] == "rating" and dead["attempts"] == 1
    assert "ZJ20260001MADEUP" in dead["last_error"] and "never registered" in dead["last_error"]
    assert platform.ledger.counts()["ratings"] == 0
    assert relay.breaker.state == "closed"


@pytest.mark.parametrize("adapter", ["zhejiang", "shandong"])
def test_a_case_the_platform_lost_is_registered_again_then_its_rating_goes(hall, platform, adapter):
    inv = hall.case()
    relay = relay_for(hall, platform, adapter)
    assert drain(relay, hall) == {"accepted": 1}
    platform.ledger.db.execute("DELETE FROM cases WHERE project_no = ?", (inv["case_serial"],))
    hall.rate(inv)
    assert drain(relay, hall, seconds=5) == {"accepted": 2}
    assert [r["project_no"] for r in platform.ledger.all_ratings()] == [inv["case_serial"]]


@pytest.mark.parametrize("adapter", ["zhejiang", "shandong"])
def test_a_rating_whose_case_is_not_yet_accepted_still_waits(hall, platform, adapter):
    inv = hall.case()
    hall.rate(inv)
    platform.faults.set(errors_5xx=3)       # the case's registration fails for a while
    relay = relay_for(hall, platform, adapter)
    relay.run_once()
    assert outbox.dead_letters(hall.db) == []
    assert drain(relay, hall) == {"accepted": 2}
    assert platform.ledger.counts()["ratings"] == 1
