"""Every time sent upstream goes through one rule: never ahead of the hub's clock,
never before the event it follows (a rating after its case's service time, an
acceptance before the finish)."""

import time

from hypothesis import given, settings, strategies as st

from hub.services import invitations
from hub.upstream.base import case_times, rating_times, upstream_time
from hub.upstream.relay import Relay
from tests.support.upstream import Hall
from tests.upstream.test_identity import APPLICANT, Recording

NOW = 1_780_000_000


@settings(max_examples=300, deadline=None)
@given(t=st.integers(0, 2 ** 40), floor=st.one_of(st.none(), st.integers(0, 2 ** 40)),
       now=st.integers(0, 2 ** 40))
def test_upstream_time_bounds(t, floor, now):
    out = upstream_time(t, floor, now)
    if floor is None:
        assert out == min(t, now)
    elif floor <= now:
        assert floor <= out <= now
    else:
        assert out == floor          # the order of events wins over the clock


@settings(max_examples=200, deadline=None)
@given(service=st.integers(NOW - 10 ** 7, NOW + 10 ** 6), accept=st.integers(NOW - 10 ** 8, NOW + 10 ** 8),
       promise=st.integers(NOW - 10 ** 8, NOW + 10 ** 8), rated=st.integers(0, 2 ** 40))
def test_case_and_rating_times(service, accept, promise, rated):
    case = case_times({"service_time": service, "upstream": {"accept_time": accept, "promise_time": promise}},
                      NOW)
    assert case["service_time"] <= NOW
    assert case["upstream"]["accept_time"] <= case["service_time"]
    assert case["upstream"]["promise_time"] >= case["upstream"]["accept_time"]
    r = rating_times({"rated_at": rated, "service_time": case["service_time"]}, NOW)
    assert case["service_time"] <= r["rated_at"] <= NOW


def test_relay_sends_clamped_times(tmp_path):
    """A business system whose clock runs ahead, a terminal whose clock is off:
    the adapter is handed times the platform takes."""
    hall = Hall(tmp_path / "hub.db")
    t0 = int(time.time())
    inv = invitations.create(hall.db, "12", "A1", "T0001", "事项", staff_id="S", staff_name="王",
                             upstream_case={"applicant": APPLICANT, "accept_time": t0 + 3600,
                                            "promise_time": t0 + 86400})
    msg_ms = (t0 + 7200) * 1000          # the terminal says two hours from now
    hall.rate(inv, now_ms=t0 * 1000 + 5000)
    hall.db.execute("UPDATE ratings SET device_time = ?", (msg_ms,))
    hall.db.conn.commit()
    rec = Recording()
    Relay(str(tmp_path / "hub.db"), rec, clock=lambda: t0 + 10, in_flight=3).run_once()
    [case], [rating] = rec.cases, rec.ratings
    assert case["upstream"]["accept_time"] <= case["service_time"] <= t0 + 10
    assert case["upstream"]["promise_time"] == t0 + 86400       # a deadline may lie ahead
    assert case["service_time"] <= rating["rated_at"] <= t0 + 10
