"""Zhejiang's offlinereport, end to end through the relay against the simulated
platform, which judges every form field with its own rules."""

import json
import time

import pytest

from hub.upstream import Outcome, outbox
from hub.upstream.reconcile import reconcile
from hub.upstream.zhejiang import ZhejiangAdapter, decode
from simulator.province.server import ProvincePlatform
from tests.support.upstream import ZJ_DEPT, Hall, adapter_config, held_fields, make
from tests.upstream.test_relay import drain, relay_for

NOW = time.time()
ID_NUMBER = "330106199001011234"


@pytest.fixture
def platform():
    p = ProvincePlatform(area_code="330100").start()
    yield p
    p.stop()


def test_a_rating_goes_as_one_form_with_its_case(hall, platform):
    inv = hall.case()
    hall.rate(inv, level=4, labels=(406, 413))
    relay = relay_for(hall, platform, "zhejiang")
    assert drain(relay, hall) == {"accepted": 2}
    f = held_fields(platform, inv["case_serial"])
    assert (f["areaCode"], f["areaName"], f["deptCode"], f["dataSource"]) == ("330100", "杭州市", ZJ_DEPT, "133")
    assert (f["taskCode"], f["taskName"], f["proStatus"], f["proManager"]) == ("T0001", "个体工商户设立登记",
                                                                               "3", "王芳")
    assert (f["satisfaction"], f["evalDetail"], f["pf"], f["assessNumber"]) == ("4", "406,413", "5", "1")
    assert f["promiseTime"] == "2" and f["acceptDate"] <= f["assessTime"]
    [up_id] = [r["upstream_id"] for r in hall.db.query("SELECT upstream_id FROM outbox WHERE kind='rating'")]
    assert up_id == inv["case_serial"] + "#1"       # the platform's key: it answers no id


@pytest.mark.parametrize("charset", ["utf-8", "gb18030"])
def test_a_lost_answer_then_the_repeat_is_known_by_its_message(hall, charset):
    """The duplicate is told only in Chinese text, in bytes that name no charset."""
    platform = ProvincePlatform(area_code="330100", zj_charset=charset).start()
    try:
        cases = hall.rated_cases(3)
        platform.faults.set(lose_after_commit=2)
        relay = relay_for(hall, platform, "zhejiang")
        assert drain(relay, hall) == {"accepted": 6}
        assert relay.stats["duplicates"] == 2
        counts = platform.ledger.counts()
        assert counts["ratings"] == 3 and counts["rating_pushes"] == 5
        assert sorted(r["project_no"] for r in platform.ledger.all_ratings()) == sorted(c for c, _ in cases)
    finally:
        platform.stop()


def test_a_refusal_is_a_dead_letter_in_the_platforms_words(hall, platform):
    hall.rated_cases(2)
    platform.faults.set(reject=1, reject_reason="事项编码未在浙江省事项库中登记")
    assert drain(relay_for(hall, platform, "zhejiang"), hall) == {"accepted": 3, "rejected": 1}
    [dead] = outbox.dead_letters(hall.db)
    assert "Zhejiang refused the rating" in dead["last_error"] and "事项编码未在浙江省事项库中登记" in dead["last_error"]


def test_wrong_credentials_name_the_keys_to_fix(hall, platform):
    from hub.upstream.relay import Relay
    hall.rated_cases(1)
    cfg = dict(adapter_config(platform, "zhejiang"), password="not-the-password")
    from hub.upstream import make_adapter
    relay = Relay(hall.db_path, make_adapter(cfg), base_s=0.01, cap_s=0.05)
    assert drain(relay, hall) == {"accepted": 1, "rejected": 1}
    [dead] = outbox.dead_letters(hall.db)
    assert "upstream.username" in dead["last_error"] and "401" in dead["last_error"]
    assert platform.ledger.counts()["ratings"] == 0


def test_a_restart_between_case_and_rating_registers_the_case_again(hall, platform):
    inv = hall.case()
    assert drain(relay_for(hall, platform, "zhejiang"), hall) == {"accepted": 1}
    hall.rate(inv)
    fresh = relay_for(hall, platform, "zhejiang")      # a new process: it holds no case
    assert drain(fresh, hall) == {"accepted": 2}
    assert platform.ledger.counts() == {"cases": 1, "ratings": 1, "rating_pushes": 1}


def test_reconcile_claims_no_match_without_a_query_call(hall, platform):
    hall.rated_cases(2)
    assert drain(relay_for(hall, platform, "zhejiang"), hall) == {"accepted": 4}
    now = int(time.time() * 1000)
    report = reconcile(hall.db, make(platform, "zhejiang"), now - 60_000, now + 60_000)
    assert report["counts"]["matched"] == 0 and report["counts"]["unanswered"] == 2
    assert all("no query call" in i["detail"] for i in report["items"])


def real_name_case(**up):
    no = "ZJ%d" % int(time.time() * 1e6)
    case = {"project_no": no, "task_code": "T001", "task_name": "个体工商户设立登记", "user_prop": 1,
            "service_time": NOW - 600, "staff_name": "王芳",
            "applicant": {"name": "张三", "kind": 1, "id_type": "111", "id_number": ID_NUMBER,
                          "mobile": "13800000000"},
            "upstream": dict({"area_code": "330106", "area_name": "西湖区", "org_code": ZJ_DEPT,
                              "handle_item": "330100001000000000000000000000001", "sub_matter": "市场主体",
                              "pro_depart": "西湖区市场监督管理局", "manager": "李四",
                              "accept_time": int(NOW - 3600), "promise_days": 5}, **up)}
    rating = {"uuid": "u" + no, "project_no": no, "assess_number": 1, "level": 5, "labels": [517], "text": "",
              "channel": "terminal", "rated_at": NOW - 60, "service_time": NOW - 600, "user_prop": 1}
    return case, rating


def test_a_real_name_platform_gets_the_applicant_and_the_cases_codes():
    platform = ProvincePlatform(area_code="330100", real_name=True).start()
    a = make(platform, "zhejiang")
    try:
        case, r = real_name_case()
        assert a.register_case(case).status == Outcome.OK
        assert a.push_ratings([r])[0].status == Outcome.OK
        f = held_fields(platform, case["project_no"])
        assert (f["userName"], f["certkeyGOV"], f["userProp"]) == ("张三", ID_NUMBER, "1")
        assert (f["areaCode"], f["areaName"], f["proDepart"], f["proManager"], f["promiseTime"]) == (
            "330106", "西湖区", "西湖区市场监督管理局", "李四", "1")
        assert f["taskHandleItem"].startswith("3301") and f["subMatter"] == "市场主体"
        row = a.export_row(case, r)                        # the monthly file: no personal field
        assert "userName" not in row and "certkeyGOV" not in row and ID_NUMBER not in json.dumps(row)
        # Without the applicant, the real-name platform refuses, and says which field.
        case2, r2 = real_name_case()
        case2["applicant"] = None
        a.register_case(case2)
        [out] = a.push_ratings([r2])
        assert out.status == Outcome.PERMANENT and "userName" in out.reason
    finally:
        a.close()
        platform.stop()


def test_the_case_codes_are_checked_when_the_invitation_is_posted():
    ok = {"case_serial": "330100202611230001", "matter_code": "T0001", "matter_name": "设立登记"}
    assert ZhejiangAdapter.case_refusal(dict(ok, upstream_case={})) is None
    field, why = ZhejiangAdapter.case_refusal(dict(ok, upstream_case={"org_code": "91330100MA27XL0E1A"}))
    assert field == "upstream_case.org_code" and "credit code" in why
    field, why = ZhejiangAdapter.case_refusal(dict(ok, upstream_case={"area_code": "33010"}))
    assert field == "upstream_case.area_code"
    field, why = ZhejiangAdapter.case_refusal(dict(ok, upstream_case={"applicant": {"name": " "}}))
    assert field == "upstream_case.applicant.name" and "' '" not in why      # personal values never echoed


def test_answers_decode_from_utf8_or_gb18030():
    msg = '{"result":"1","resultmsg":"该办件已评价，请勿重复提交"}'
    assert decode(msg.encode("utf-8")) == msg == decode(msg.encode("gb18030"))


def test_a_case_never_rated_is_never_sent(tmp_path, platform):
    h = Hall(tmp_path / "h.db")
    h.db_path = str(tmp_path / "h.db")
    h.case()
    assert drain(relay_for(h, platform, "zhejiang"), h) == {"accepted": 1}
    assert platform.faults.snapshot()["served"]["requests"] == 0
