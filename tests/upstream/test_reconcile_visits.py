"""Reconciliation reports what the platform really holds.

The platform keys ratings by (projectNo, assessNumber) and knows nothing of
visits: a second visit's rating of the same case serial is answered "already
held" and the platform keeps only the first. The hub must not call the
second one matched: it is missing upstream.
"""

import time

import pytest

from hub.services import invitations
from hub.upstream.reconcile import reconcile
from tests.support.upstream import make
from tests.upstream.test_relay import drain, platform, relay_for  # noqa: F401 (fixture)


def second_visit(hall, inv):
    return invitations.create(hall.db, hall.window, inv["case_serial"], "T0001", "个体工商户设立登记",
                              staff_id="S001", staff_name="王芳", visit=2)


# Shandong only: Zhejiang and Fujian have no query call (reconcile reports
# their ratings unanswered: test_zhejiang_relay.py, test_fujian_relay.py).
@pytest.mark.parametrize("adapter", ["shandong"])
def test_a_second_visit_the_platform_did_not_take_is_missing_upstream(hall, platform, adapter):
    other = hall.case()
    hall.rate(other)
    first = hall.case()
    one = hall.rate(first, level=4, labels=(406,))
    two = hall.rate(second_visit(hall, first), level=2, labels=(214,))
    assert drain(relay_for(hall, platform, adapter), hall) == {"accepted": 6}
    held = [r for r in platform.ledger.all_ratings() if r["project_no"] == first["case_serial"]]
    assert [(r["assess_number"], r["satisfaction"]) for r in held] == [(1, 4)]

    now = int(time.time() * 1000)
    report = reconcile(hall.db, make(platform, adapter), now - 60_000, now + 60_000)
    assert report["counts"]["matched"] == 2 and report["counts"]["missing_upstream"] == 1
    [item] = report["items"]
    assert item["rating_id"] == two["rating_id"] and item["kind"] == "missing_upstream"
    assert item["case_serial"] == first["case_serial"]
    assert one["rating_id"] in item["detail"]


def test_a_first_visit_before_the_period_still_holds_the_platforms_key(hall, platform):
    now = int(time.time() * 1000)
    first = hall.case()
    hall.rate(first, now_ms=now - 7_200_000)
    two = hall.rate(second_visit(hall, first), level=2, labels=(214,))
    assert drain(relay_for(hall, platform, "shandong"), hall) == {"accepted": 4}
    report = reconcile(hall.db, make(platform, "shandong"), now - 3_600_000, now + 60_000)
    assert report["counts"]["matched"] == 0
    assert [(i["rating_id"], i["kind"]) for i in report["items"]] == [(two["rating_id"], "missing_upstream")]
