"""The Shandong adapter against the simulated platform's strict Shandong judge (real HTTP)."""

import itertools
import json
import time

import pytest

from hub.upstream import ConfigError, Outcome, make_adapter
from hub.upstream.shandong import ShandongAdapter
from simulator.province import shandong as sd
from simulator.province.server import ProvincePlatform
from tests.support.upstream import SD_ORG, adapter_config

NOW = time.time()
_serial = itertools.count(1)
APPLICANT = {"name": "张三", "kind": 1, "id_type": "111", "id_number": "370802199001011234",
             "mobile": "13800000000"}


@pytest.fixture(scope="module")
def platform():
    p = ProvincePlatform().start()
    yield p
    p.stop()


@pytest.fixture
def judge(platform):
    j = sd.of(platform)
    yield j
    j.clock, j.app_words = time.time, {"pingjia-hall": "secret-word"}


def adapter(platform, **over):
    cfg = adapter_config(platform, "shandong")
    cfg["applicant_placeholders"] = False
    cfg.update(over)
    return make_adapter(cfg)


@pytest.fixture
def up(platform):
    a = adapter(platform)
    yield a
    a.close()


def case(**kw):
    no = "370800%012d" % next(_serial)
    c = {"project_no": no, "task_code": "11370800MB2855926Y4370117009000", "task_name": "个体工商户设立登记",
         "user_prop": 1, "service_time": NOW - 600, "staff_name": "王芳", "applicant": dict(APPLICANT),
         "upstream": {"task_type": "01", "accept_time": int(NOW - 900), "org_name": "济宁市行政审批服务局",
                      "area_code": "370811"}}
    c.update(kw)
    return c


def rating(c, **kw):
    r = {"uuid": "u-" + c["project_no"], "project_no": c["project_no"], "assess_number": 1, "level": 5,
         "labels": [517], "text": "", "channel": "terminal", "rated_at": NOW - 300,
         "service_time": c["service_time"], "user_prop": 1}
    r.update(kw)
    return r


def held_case(platform, c):
    return platform.ledger.case(c["project_no"])


def fields_of(platform, c):
    row = platform.ledger.db.execute("SELECT fields FROM ratings WHERE project_no=?", (c["project_no"],)).fetchone()
    return json.loads(row[0]) if row else None


def test_steps_in_order_then_the_window_rating(platform, up):
    c = case()
    out = up.register_case(c)
    assert out.status == Outcome.OK and out.upstream_id == "37%s/3" % c["project_no"]
    assert held_case(platform, c)["steps"] == [1, 2, 3]
    [r] = up.push_ratings([rating(c, level=2, labels=[213])])
    assert r.status == Outcome.OK and not r.duplicate
    f = fields_of(platform, c)
    assert (f["serviceNumber"], f["satisfaction"], f["evalDetail"], f["pf"], f["projectNo"]) == \
        (3, 2, "213", 5, "37" + c["project_no"])
    assert set(f) == {"taskType", "projectNo", "satisfaction", "pf", "name", "evalDetail", "writingEvaluation",
                      "assessTime", "serviceNumber"}


def test_service_record_codes(platform, up):
    c = case(task_code="11370800MB2855926Y437011700900001")           # 33 characters: a 业务办理项
    rec = up.service_fields(c, 1, "提交申请信息")
    assert rec["taskCode"] == c["task_code"][:31] and rec["taskHandleItem"] == c["task_code"]
    assert rec["areaCode"] == "370811000000" and rec["orgcode"] == "370811000000_" + SD_ORG
    assert rec["dataSource"] == "165" and rec["proStatus"] == rec["serviceNumber"] == 1
    assert up.register_case(c).status == Outcome.OK


def test_a_repeat_after_a_lost_answer_is_a_duplicate_success(platform, up):
    c = case()
    platform.faults.set(lose_after_commit=1)          # step 1 held, its answer lost
    assert up.register_case(c).status == Outcome.TRANSIENT
    again = up.register_case(c)                       # step 1 again: 已存在该条服务信息
    assert again.status == Outcome.OK and held_case(platform, c)["steps"] == [1, 2, 3]
    up.push_ratings([rating(c)])
    [dup] = up.push_ratings([rating(c)])              # 评价数据不可重复
    assert dup.status == Outcome.OK and dup.duplicate and dup.upstream_id == "37%s/3" % c["project_no"]
    assert [r["attempts"] for r in platform.ledger.all_ratings() if r["project_no"] == c["project_no"]] == [2]


def test_a_success_whose_body_says_false_is_a_refusal(platform, up):
    c = case()
    up.register_case(c)
    platform.faults.set(reject=1, reject_reason="办件评价渠道与办件不符")
    [out] = up.push_ratings([rating(c)])
    assert out.status == Outcome.PERMANENT and "办件评价渠道与办件不符" in out.reason
    assert fields_of(platform, c) is None


def test_a_batch_with_one_bad_record_gives_each_its_own_outcome(platform, up):
    cs = [case() for _ in range(4)]
    assert [o.status for o in up.register_cases(cs)] == ["ok"] * 4
    rs = [rating(c) for c in cs]
    rs[2] = rating(cs[2], level=2, labels=[510])      # a label of another level
    up.push_ratings([rs[0]])                          # already held: a duplicate inside the batch
    outs = up.push_ratings(rs)
    assert [o.status for o in outs] == ["ok", "ok", "permanent", "ok"]
    assert outs[0].duplicate and "510" in outs[2].reason
    assert fields_of(platform, cs[3])["serviceNumber"] == 3


def test_a_self_built_matter_is_not_forwarded_and_says_so(platform, up):
    c = case(task_code="370800000000001")
    out = up.register_case(c)
    assert out.status == Outcome.PERMANENT and "自建事项" in out.reason and "does not forward" in out.reason
    assert held_case(platform, c) is None


def test_a_wrong_app_word_fails_the_sign_check(platform):
    a = adapter(platform, app_word="not-the-word")
    c = case()
    out = a.register_case(c)
    assert out.status == Outcome.PERMANENT and "sign" in out.reason and "app_word" in out.reason
    assert held_case(platform, c) is None


def test_a_time_ahead_of_the_platform_is_retried_naming_the_clock(platform, up, judge):
    judge.clock = lambda: time.time() - 3600          # the hub's clock an hour ahead of the platform's
    c = case()
    out = up.register_case(c)
    assert out.status == Outcome.TRANSIENT and "clock" in out.reason and "time" in out.reason
    assert held_case(platform, c) is None


def test_rating_times_never_before_service_nor_ahead_of_now(platform, up):
    c = case()
    up.register_case(c)
    behind = rating(c, rated_at=NOW - 3600)           # terminal clock behind the finish
    assert up.rating_fields(behind)["assessTime"] == up.service_fields(c, 3, "出证办结")["serviceTime"]
    ahead = rating(c, rated_at=NOW + 86400)
    assert up.rating_fields(ahead, now_s=NOW)["assessTime"] <= time.strftime(
        "%Y-%m-%d %H:%M:%S", time.gmtime(NOW + 8 * 3600))
    assert up.push_ratings([ahead])[0].status == Outcome.OK


def test_a_case_without_identity_is_refused_saying_what_to_send(platform, up):
    out = up.register_case(case(applicant=None))
    assert out.status == Outcome.PERMANENT and "upstream_case.applicant" in out.reason


def test_a_rating_of_a_case_not_held_is_unknown_case(platform, up):
    [out] = up.push_ratings([rating(case())])
    assert out.status == Outcome.UNKNOWN_CASE


def test_a_wrong_tenancy_id_is_refused_naming_the_key(platform):
    out = adapter(platform, tenancy_id="379900000000").register_case(case())
    assert out.status == Outcome.PERMANENT and "tenancy_id" in out.reason


def test_query_and_label_list(platform, up):
    c = case()
    assert up.query(c["project_no"]) == {"case": False, "ratings": {}}
    up.register_case(c)
    assert up.query(c["project_no"]) == {"case": True, "ratings": {}}
    up.push_ratings([rating(c)])
    assert up.query(c["project_no"]) == {"case": True, "ratings": {1: "37%s/3" % c["project_no"]}}
    labels = up.labels()
    assert (517, "服务热情效率高") in labels and len(labels) == 40


@pytest.mark.parametrize("field, up_case", [
    ("upstream_case.applicant.mobile", {"applicant": {"name": "张三", "id_number": "3708"}}),
    ("upstream_case.applicant.name", {"applicant": {}}),
    ("upstream_case.applicant.mobile", {"applicant": dict(APPLICANT, mobile="12345")}),
    ("upstream_case.org_code", {"applicant": APPLICANT, "org_code": "D01"}),
    ("upstream_case.task_type", {"applicant": APPLICANT, "task_type": "11"}),
])
def test_the_api_rules_name_the_field(field, up_case):
    fields = {"case_serial": "3708001", "matter_code": "T1", "matter_name": "x", "upstream_case": up_case}
    got, why = ShandongAdapter.case_refusal(fields)
    assert got == field and "13800000000" not in why and "张三" not in why
    assert ShandongAdapter.case_refusal(dict(fields, upstream_case={"applicant": APPLICANT})) is None


def test_bad_configuration_names_the_key(platform):
    for key, value, words in (("sm2_public_key", "abc", "sm2_public_key"), ("sm2_mode", "C3C2C1", "sm2_mode"),
                              ("app_word", "", "app_word")):
        with pytest.raises(ConfigError, match=words):
            adapter(platform, **{key: value})
