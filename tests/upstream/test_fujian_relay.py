"""Fujian's SOAP calls, end to end through the relay against the simulated
platform: its own token check, its own SM4 and XML, its same-day rule."""

import time

import pytest

from hub.upstream import Outcome, make_adapter, outbox
from hub.upstream.fujian import SAVE, SUPPLEMENT
from hub.upstream.reconcile import reconcile
from hub.upstream.relay import Relay
from simulator.province.server import ProvincePlatform
from tests.support.upstream import FJ_DEPT, adapter_config, held_fields, make
from tests.upstream.test_relay import drain, relay_for
from tests.upstream.test_relay import test_kill_9_mid_relay_then_restart_still_exactly_once as kill_9_mid_relay

DAY = 86400


@pytest.fixture
def platform():
    p = ProvincePlatform(area_code="330100").start()
    yield p
    p.stop()


def upstream_ids(hall):
    return {r["case_serial"]: r["upstream_id"] for r in hall.db.query(
        "SELECT r.case_serial, o.upstream_id FROM outbox o JOIN ratings r ON r.rating_id = o.ref "
        "WHERE o.kind = 'rating'")}


def test_a_rating_is_saved_and_its_evaluate_unid_kept(hall, platform):
    inv = hall.case()
    hall.rate(inv, level=1, labels=(115,))
    assert drain(relay_for(hall, platform, "fujian"), hall) == {"accepted": 2}
    f = held_fields(platform, inv["case_serial"])
    assert (f["deptCode"], f["dataSource"], f["satisfaction"], f["evalDetail"], f["_interface"]) == (
        FJ_DEPT, "135", "1", "115", SAVE)
    [held] = platform.ledger.all_ratings()
    assert upstream_ids(hall) == {inv["case_serial"]: held["id"]}


def test_a_lost_answer_then_the_repeat_keeps_the_platforms_id(hall, platform):
    hall.rated_cases(3)
    platform.faults.set(lose_after_commit=2)
    relay = relay_for(hall, platform, "fujian")
    assert drain(relay, hall) == {"accepted": 6}
    assert relay.stats["duplicates"] == 2
    assert platform.ledger.counts()["ratings"] == 3 and platform.ledger.counts()["rating_pushes"] == 5
    ids = {r["project_no"]: r["id"] for r in platform.ledger.all_ratings()}
    assert upstream_ids(hall) == ids               # code 3 names the evaluateUnid it holds


def test_a_refusal_is_a_dead_letter_with_the_code_and_message(hall, platform):
    hall.rated_cases(2)
    platform.faults.set(reject=1, reject_reason="事项编码未在福建省事项库中登记")
    assert drain(relay_for(hall, platform, "fujian"), hall) == {"accepted": 3, "rejected": 1}
    [dead] = outbox.dead_letters(hall.db)
    assert "code 400" in dead["last_error"] and "事项编码未在福建省事项库中登记" in dead["last_error"]


def test_a_wrong_app_code_fails_the_sign_and_names_the_keys(hall, platform):
    hall.rated_cases(1)
    relay = Relay(hall.db_path, make_adapter(dict(adapter_config(platform, "fujian"), app_code="wrong")),
                  base_s=0.01, cap_s=0.05)
    assert drain(relay, hall) == {"accepted": 1, "rejected": 1}
    [dead] = outbox.dead_letters(hall.db)
    assert "sign" in dead["last_error"] and "upstream.app_code" in dead["last_error"]


def test_the_token_is_cached_renewed_on_expiry_and_on_401():
    platform = ProvincePlatform(area_code="330100", fj_token_ttl_s=1).start()
    a = make(platform, "fujian")
    try:
        for k in range(3):
            case, r = case_and_rating("TK%d" % k)
            a.register_case(case)
            assert a.push_ratings([r])[0].status == Outcome.OK
        assert platform.fj_tokens_issued == 1          # one token for the three calls
        time.sleep(1.05)                               # it expires on the platform (the hub renews early)
        case, r = case_and_rating("TK3")
        a.register_case(case)
        assert a.push_ratings([r])[0].status == Outcome.OK
        assert platform.fj_tokens_issued == 2
        # The platform forgets every token (a gateway restart): 401, then a new one, then the call.
        [fj] = [d for d in platform.dialects if d.prefix == "/fj"]
        fj.tokens.clear()
        a.tokens._until = time.time() + 3600
        case, r = case_and_rating("TK4")
        a.register_case(case)
        assert a.push_ratings([r])[0].status == Outcome.OK
        assert platform.fj_tokens_issued == 3 and platform.ledger.counts()["ratings"] == 5
    finally:
        a.close()
        platform.stop()


def case_and_rating(no, rated_ago_s=60, service_ago_s=600):
    now = time.time()
    no = "%s-%d" % (no, int(now * 1e6))
    case = {"project_no": no, "task_code": "T001", "task_name": "个体工商户设立登记", "user_prop": 1,
            "service_time": now - service_ago_s, "staff_name": "王芳"}
    r = {"uuid": "u" + no, "project_no": no, "assess_number": 1, "level": 5, "labels": [517], "text": "",
         "channel": "terminal", "rated_at": now - rated_ago_s, "service_time": now - service_ago_s,
         "user_prop": 1}
    return case, r


def test_an_earlier_days_rating_goes_by_the_supplement(platform):
    a = make(platform, "fujian")
    try:
        case, r = case_and_rating("SUP", rated_ago_s=2 * DAY, service_ago_s=3 * DAY)
        a.register_case(case)
        [out] = a.push_ratings([r])
        assert out.status == Outcome.OK and out.upstream_id
        assert a.calls == {SAVE: 0, SUPPLEMENT: 1}
        assert held_fields(platform, case["project_no"])["_interface"] == SUPPLEMENT
        # The platform refuses the wrong call either way: today's by 补报 is refused too.
        case, r = case_and_rating("NOW")
        a.register_case(case)
        assert a.interface(r) == SAVE
    finally:
        a.close()


def test_when_the_day_turns_during_the_call_the_supplement_takes_it():
    """The hub still sees yesterday; the platform's clock is past midnight."""
    ahead = time.time() + DAY
    platform = ProvincePlatform(area_code="330100", clock=lambda: ahead).start()
    a = make(platform, "fujian")
    try:
        case, r = case_and_rating("MIDNIGHT")
        a.register_case(case)
        a.tokens.clock = lambda: ahead                 # the gateway checks the token's timestamp
        [out] = a.push_ratings([r])
        assert out.status == Outcome.OK
        assert a.calls == {SAVE: 1, SUPPLEMENT: 1}
    finally:
        a.close()
        platform.stop()


def test_reconcile_claims_no_match_without_a_query_call(hall, platform):
    hall.rated_cases(1)
    assert drain(relay_for(hall, platform, "fujian"), hall) == {"accepted": 2}
    now = int(time.time() * 1000)
    report = reconcile(hall.db, make(platform, "fujian"), now - 60_000, now + 60_000)
    assert report["counts"]["matched"] == 0 and report["counts"]["unanswered"] == 1


def test_kill_9_mid_relay_then_restart_still_exactly_once(hall, platform):
    kill_9_mid_relay(hall, platform, "fujian")
