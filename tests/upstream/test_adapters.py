"""The provincial adapters against the simulated strict platform (real HTTP).

The generic calls here are Shandong's, the dialect with a case call and a
query; Zhejiang and Fujian carry the case in the rating's own record and
have their own files (test_zhejiang_*.py, test_fujian_*.py)."""

import time

import pytest
from hypothesis import given, settings, strategies as st

from hub.upstream import ConfigError, Outcome, make_adapter
from simulator.province.server import ProvincePlatform
from tests.support.upstream import SM4, adapter_config

NOW = time.time()


@pytest.fixture(scope="module")
def platform():
    p = ProvincePlatform(area_code="330100", sm4_key=SM4).start()
    yield p
    p.stop()


def config(platform, adapter, **over):
    cfg = adapter_config(platform, adapter)
    cfg.update(over)
    return cfg


_serial = iter(range(10**6))


def case_and_rating(**rating):
    no = "3301002026%08d" % next(_serial)
    case = {"project_no": no, "task_code": "T001", "task_name": "个体工商户设立登记",
            "user_prop": 1, "service_time": NOW - 600}
    r = {"uuid": "u-" + no, "project_no": no, "assess_number": 1, "level": 5, "labels": [517],
         "text": "", "channel": "terminal", "rated_at": NOW - 300, "service_time": NOW - 600, "user_prop": 1}
    r.update(rating)
    return case, r


@pytest.fixture(params=["shandong"])
def adapter(request, platform):
    a = make_adapter(config(platform, request.param))
    yield a
    a.close()


def held(platform, project_no):
    return [r for r in platform.ledger.all_ratings() if r["project_no"] == project_no]


def test_rating_for_unregistered_case_is_unknown_case_and_not_stored(adapter, platform):
    case, r = case_and_rating()
    [out] = adapter.push_ratings([r])
    assert out.status == Outcome.UNKNOWN_CASE and "register" in out.reason
    assert held(platform, case["project_no"]) == []


def test_case_then_rating_is_held_once_with_upstream_id(adapter, platform):
    case, r = case_and_rating(level=2, labels=[213, 214])
    assert adapter.register_case(case).status == Outcome.OK
    [first] = adapter.push_ratings([r])
    [again] = adapter.push_ratings([r])
    assert first.status == Outcome.OK and not first.duplicate and first.upstream_id
    assert again.status == Outcome.OK and again.duplicate and again.upstream_id == first.upstream_id
    [row] = held(platform, case["project_no"])
    assert (row["satisfaction"], row["labels"], row["pf"], row["attempts"]) == (2, [213, 214], 5, 2)
    assert adapter.query(case["project_no"]) == {"case": True, "ratings": {1: first.upstream_id}}


def test_label_of_another_level_is_a_permanent_rejection(adapter, platform):
    case, r = case_and_rating(level=2, labels=[510])
    adapter.register_case(case)
    [out] = adapter.push_ratings([r])
    assert out.status == Outcome.PERMANENT and "510" in out.reason
    assert held(platform, case["project_no"]) == []


def test_rating_time_never_before_service_time(adapter, platform):
    case, r = case_and_rating(rated_at=NOW - 3600)   # terminal clock behind the case's finish
    adapter.register_case(case)
    assert adapter.push_ratings([r])[0].status == Outcome.OK
    [row] = held(platform, case["project_no"])
    assert row["assess_time"] == int(case["service_time"])


def test_lost_answer_after_commit_then_retry_holds_one(adapter, platform):
    case, r = case_and_rating()
    adapter.register_case(case)
    platform.faults.set(lose_after_commit=1)
    [lost] = adapter.push_ratings([r])
    assert lost.status == Outcome.TRANSIENT
    [retry] = adapter.push_ratings([r])
    assert retry.status == Outcome.OK and retry.duplicate
    assert len(held(platform, case["project_no"])) == 1


def test_outage_and_5xx_are_transient(adapter, platform):
    case, r = case_and_rating()
    platform.faults.set(errors_5xx=1)
    assert adapter.register_case(case).status == Outcome.TRANSIENT
    platform.set_down(True)
    try:
        outs = [adapter.register_case(case) for _ in range(2)]
        assert all(o.status == Outcome.TRANSIENT for o in outs)
        assert "refused" in outs[-1].reason.lower()
        assert platform.ledger.case(case["project_no"]) is None
    finally:
        platform.set_down(False)
    assert adapter.register_case(case).status == Outcome.OK


def test_gbt_level_scale_and_province_channel_table(platform):
    a = make_adapter(config(platform, "zhejiang", level_scale="gbt", channels={"terminal": 5, "qr": 3}))
    case, r = case_and_rating(level=5, labels=[], channel="qr")
    # The platform here reads satisfaction 5-best; a gbt hall sends 1 for 非常满意.
    assert a.rating_fields(r)["satisfaction"] == "1" and a.rating_fields(r)["pf"] == "3"


def test_bad_configuration_names_the_key(platform):
    with pytest.raises(ConfigError, match="area_code"):
        make_adapter({"adapter": "zhejiang", "endpoint": "http://x", "username": "u", "password": "p",
                      "dept_code": "D", "channels": {"terminal": 5}})
    with pytest.raises(ConfigError, match="adapter"):
        make_adapter({"adapter": "beijing"})
    a = make_adapter(config(platform, "zhejiang", channels={"qr": 3}))
    with pytest.raises(ConfigError, match="terminal"):
        a.rating_fields(case_and_rating()[1])


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=300), key=st.binary(min_size=16, max_size=16))
def test_openssl_and_gmssl_agree_on_sm3_and_sm4(data, key):
    from hub.upstream.gm import GmSSL, OpenSSL
    fast, ref = OpenSSL(), GmSSL()
    assert fast.sm3_hex(data) == ref.sm3_hex(data)
    sealed = fast.sm4_ecb(key, data, True)
    assert sealed == ref.sm4_ecb(key, data, True)
    assert ref.sm4_ecb(key, sealed, False) == data == fast.sm4_ecb(key, sealed, False)
