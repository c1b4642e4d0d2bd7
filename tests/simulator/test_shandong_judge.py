"""The simulated Shandong platform judges on its own: envelopes sealed here
with gmssl (no hub code), refused with the platform's words."""

import json
import time

import httpx
import pytest
from gmssl import sm2

from simulator.province import shandong as sd
from simulator.province.shandong_rules import UNKNOWN_SERVICE
from simulator.province.server import ProvincePlatform

ORG = "11370800MB2855926Y"


@pytest.fixture(scope="module")
def platform():
    p = ProvincePlatform().start()
    yield p
    p.stop()


def enc(text, key=sd.PUBLIC_KEY):
    c = sm2.CryptSM2(private_key="", public_key="", mode=1)
    c.public_key = key
    while True:
        out = c.encrypt(text.encode())
        if out is not None:
            return "04" + out.hex().upper()


def stamp(t):
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(t + 8 * 3600))


def when(t):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t + 8 * 3600))


def call(platform, path, records, word="secret-word", t=None, tenancy=sd.TENANCY_ID):
    t = time.time() if t is None else t
    body = {"txnBodyCom": {"appMark": "pingjia-hall", "time": stamp(t), "sign": enc(stamp(t) + "pingjia-hall" + word),
                           "params": {"evaluate": [enc(json.dumps(r, ensure_ascii=False)) for r in records]}},
            "txnCommCom": {}}
    r = httpx.post(platform.url + "/sd" + path, json=body, headers={"C-Tenancy-Id": tenancy})
    return r.json()


_n = iter(range(10 ** 6))


def service(no, step, t=None, **over):
    t = time.time() - 600 if t is None else t
    rec = {"serviceNumber": step, "serviceName": {1: "提交申请信息", 2: "待受理", 3: "出证办结"}[step],
           "proStatus": step, "projectNo": "37" + no, "taskCode": "T0001", "taskName": "设立登记", "taskType": "01",
           "areaCode": "370800000000", "orgcode": "370800000000_" + ORG, "orgName": "审批局", "userProp": 1,
           "userName": "张三", "userPageType": "111", "certKey": "370802199001011234", "mobile": "13800000000",
           "serviceTime": when(t), "projectType": "1", "dataSource": "165"}
    rec.update(over)
    return rec


def rating(no, **over):
    rec = {"taskType": "01", "projectNo": "37" + no, "satisfaction": 5, "pf": 5, "name": "张三",
           "evalDetail": "517", "writingEvaluation": "", "assessTime": when(time.time() - 60), "serviceNumber": 3}
    rec.update(over)
    return rec


def body(answer):
    assert answer["C-Response-Desc"] == "success", answer
    return answer["C-Response-Body"]


def fresh():
    return "3708%08d" % next(_n)


def test_steps_in_order_then_one_rating(platform):
    no = fresh()
    for step in (1, 2, 3):
        assert body(call(platform, "/service", [service(no, step)]))["success"] == "true"
    assert body(call(platform, "/evaluate", [rating(no)]))["success"] == "true"
    again = body(call(platform, "/evaluate", [rating(no)]))
    assert again["success"] == "false" and sd.DUPLICATE_RATING in again["message"]
    dup = body(call(platform, "/service", [service(no, 3)]))
    assert dup["success"] == "false" and "已存在该条服务信息" in dup["message"]


@pytest.mark.parametrize("over, words", [
    ({"mobile": ""}, "mobile 不能为空"), ({"projectNo": "99x"}, "projectNo"), ({"dataSource": "133"}, "dataSource"),
    ({"orgcode": "370800000000" + ORG}, "orgcode"), ({"userProp": 7}, "userProp"), ({"proStatus": 2}, "proStatus"),
    ({"taskCode": "3708000000000001"}, "自建事项"), ({"areaCode": "330100000000"}, "areaCode"),
    ({"certKey": ""}, "certKey"), ({"serviceTime": when(time.time() + 3600)}, "serviceTime 晚于"),
])
def test_a_bad_service_record_is_refused_naming_the_field(platform, over, words):
    got = body(call(platform, "/service", [service(fresh(), 1, **over)]))
    assert got["success"] == "false" and words in got["message"]


def test_step_order_and_rating_needs_step_3(platform):
    no = fresh()
    assert "之前应先提交" in body(call(platform, "/service", [service(no, 2)]))["message"]
    call(platform, "/service", [service(no, 1)])
    call(platform, "/service", [service(no, 2)])
    assert "尚未办结" in body(call(platform, "/evaluate", [rating(no, serviceNumber=2)]))["message"]
    assert UNKNOWN_SERVICE in body(call(platform, "/evaluate", [rating(fresh())]))["message"]
    call(platform, "/service", [service(no, 3, t=time.time() - 300)])
    early = body(call(platform, "/evaluate", [rating(no, assessTime=when(time.time() - 400))]))
    assert "早于服务时间" in early["message"]


def test_a_batch_is_all_or_nothing(platform):
    a, b = fresh(), fresh()
    got = body(call(platform, "/service", [service(a, 1), service(b, 1, mobile="")]))
    assert got["success"] == "false" and got["message"].startswith("第 2 条")
    assert platform.ledger.case(a) is None


@pytest.mark.parametrize("kw, words", [
    ({"word": "wrong"}, "sign"), ({"t": time.time() + 3600}, "time"), ({"t": time.time() - 3600}, "time"),
    ({"tenancy": "1"}, "C-Tenancy-Id"),
])
def test_the_gateway_refuses_a_bad_envelope(platform, kw, words):
    got = call(platform, "/service", [service(fresh(), 1)], **kw)
    assert got["C-Response-Desc"] != "success" and words in got["C-Response-Desc"]


def test_a_record_not_sealed_with_the_platform_key_is_refused(platform):
    other = sm2.CryptSM2(private_key="1" * 64, public_key="")._kg(int("1" * 64, 16), sm2.default_ecc_table["g"])
    t = time.time()
    env = {"txnBodyCom": {"appMark": "pingjia-hall", "time": stamp(t),
                          "sign": enc(stamp(t) + "pingjia-hall" + "secret-word"),
                          "params": {"evaluate": [enc("{}", other)]}}, "txnCommCom": {}}
    got = httpx.post(platform.url + "/sd/service", json=env, headers={"C-Tenancy-Id": sd.TENANCY_ID}).json()
    assert "解密失败" in got["C-Response-Desc"]
