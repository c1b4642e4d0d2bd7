"""The simulated platform judges Fujian's gateway and SOAP calls on its own:
sign, timestamp, token expiry, the SM4 key, the same-day rule, the fields."""

import hashlib
import time

import httpx
import pytest
from gmssl import sm4

from hub.upstream.fujian_soap import answer, envelope, record_xml
from simulator.province.server import ProvincePlatform
from tests.support.upstream import FJ_DEPT

CODE = "fj-app-code"


def cst(epoch_s):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch_s + 8 * 3600))


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()


def sealed(xml, code=CODE):
    c = sm4.CryptSM4()                      # gmssl pads with PKCS#7
    c.set_key(bytes.fromhex(md5(code)), sm4.SM4_ENCRYPT)
    return c.crypt_ecb(xml.encode()).hex()


AHEAD = object()       # a time ahead of the platform's clock when the test runs


def now():
    return time.time()
_n = iter(range(10**6))


def record(**over):
    d = {"areaCode": "330100", "deptCode": FJ_DEPT, "deptName": "莆田市行政服务中心", "taskCode": "T001",
         "taskName": "个体工商户设立登记", "projectNo": "F%d" % next(_n), "proStatus": "3", "proManager": "王芳",
         "pf": "5", "satisfaction": "5", "evalDetail": "517", "writingEvaluation": "", "assessTime": cst(now() - 60),
         "assessNumber": "1", "userProp": "1", "userName": "", "certKey": "", "acceptDate": cst(now() - 600),
         "dataSource": "135"}
    d.update(over)
    return record_xml(d)


@pytest.fixture(scope="module")
def platform():
    p = ProvincePlatform(area_code="330100", fj_token_ttl_s=3600).start()
    yield p
    p.stop()


def token(platform, ts=None, sign=None, key="fj-app-key"):
    ts = str(int(time.time() * 1000)) if ts is None else ts
    r = httpx.get(platform.url + "/fj/get-token",
                  params={"app_key": key, "timestamp": ts, "sign": md5(CODE + ts) if sign is None else sign})
    return r.status_code, r.json()


def call(platform, op, body, tok=None):
    tok = tok or token(platform)[1]["access_token"]
    r = httpx.post(platform.url + "/fj/webservice/" + op, content=envelope(op, tok, body),
                   headers={"Content-Type": "text/xml; charset=utf-8"})
    return answer(r.content)


def test_the_gateway_checks_key_sign_and_timestamp(platform):
    assert token(platform)[0] == 200
    ts = str(int(time.time() * 1000))
    assert "sign" in token(platform, ts, md5(CODE + ts).upper())[1]["message"]     # lower-case only
    assert "sign" in token(platform, ts, md5("other" + ts))[1]["message"]
    assert "timestamp" in token(platform, str(int((time.time() - 3600) * 1000)))[1]["message"]
    assert "timestamp" in token(platform, ts[:-1])[1]["message"]
    assert token(platform, key="nobody")[0] == 401


def test_a_good_rating_is_taken_and_a_bad_token_or_key_is_not(platform):
    code, _msg, unid = call(platform, "getSaveEvaluation", sealed(record()))
    assert code == "200" and unid
    assert call(platform, "getSaveEvaluation", sealed(record()), tok="made-up")[0] == "401"
    code, msg, _ = call(platform, "getSaveEvaluation", sealed(record(), code="another-code"))
    assert code == "400" and "SM4" in msg


def test_an_expired_token_is_refused():
    clock = [time.time()]
    p = ProvincePlatform(area_code="330100", fj_token_ttl_s=60, clock=lambda: clock[0]).start()
    try:
        tok = token(p)[1]["access_token"]
        assert call(p, "getSaveEvaluation", sealed(record()), tok)[0] == "200"
        clock[0] += 61
        code, msg, _ = call(p, "getSaveEvaluation", sealed(record()), tok)
        assert code == "401" and "过期" in msg
    finally:
        p.stop()


@pytest.mark.parametrize("op, ago_s, says", [
    ("getSaveEvaluation", 2 * 86400, "getEvaluationSupplement"),
    ("getEvaluationSupplement", 60, "getSaveEvaluation"),
])
def test_each_call_takes_only_its_own_days(platform, op, ago_s, says):
    xml = record(assessTime=cst(now() - ago_s), acceptDate=cst(now() - ago_s - 600))
    code, msg, _ = call(platform, op, sealed(xml))
    assert code == "400" and says in msg


@pytest.mark.parametrize("over, says", [
    ({"deptCode": "11350300003610123X"}, "deptCode"),
    ({"dataSource": "133"}, "dataSource"),
    ({"userProp": "7"}, "userProp"),
    ({"evalDetail": "517,413"}, "413"),
    ({"assessTime": AHEAD}, "assessTime"),
    ({"certKey": "35030019900101123X", "userName": ""}, "userName"),
])
def test_a_bad_field_is_refused_naming_it(platform, over, says):
    over = {k: cst(now() + 600) if v is AHEAD else v for k, v in over.items()}
    code, msg, _ = call(platform, "getSaveEvaluation", sealed(record(**over)))
    assert code == "400" and says in msg, msg
