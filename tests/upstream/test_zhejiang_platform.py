"""The simulated platform judges Zhejiang's form strictly, on its own: every
field and code table, raw HTTP, no hub code in the request."""

import base64
import json
import time
from urllib.parse import urlencode

import httpx
import pytest

from simulator.province.server import ProvincePlatform
from tests.support.upstream import ZJ_DEPT


def cst(epoch_s):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch_s + 8 * 3600))


AHEAD = object()       # a time ahead of the platform's clock when the test runs


def now():
    return time.time()
GOOD = {"areaCode": "330100", "areaName": "杭州市", "deptCode": ZJ_DEPT, "taskCode": "T001",
        "taskHandleItem": "", "taskName": "个体工商户设立登记", "subMatter": "", "projectNo": "P1",
        "proStatus": "3", "proDepartCode": "", "proDepart": "市场监管局", "proManager": "王芳", "pf": "5",
        "certkeyGOV": "", "userName": "张三", "userProp": "1", "satisfaction": "2", "evalDetail": "213,214",
        "writingEvaluation": "", "assessTime": cst(now() - 60), "assessNumber": "1", "appStatus": "",
        "promiseTime": "2", "acceptDate": cst(now() - 600), "dataSource": "133"}
AUTH = {"Authorization": "Basic " + base64.b64encode(b"hall-user:hall-pass").decode()}
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}


@pytest.fixture(scope="module")
def platform():
    p = ProvincePlatform(area_code="330100").start()
    yield p
    p.stop()


_n = iter(range(10**6))


def post(platform, form, headers=None, body=None):
    form = dict(form, projectNo="P%d" % next(_n)) if "projectNo" in form else form
    r = httpx.post(platform.url + "/zj/offlinereport.do", content=body or urlencode(form).encode(),
                   headers=dict(AUTH, **FORM, **(headers or {})))
    return r.status_code, json.loads(r.content.decode(platform.zj_charset))


def test_a_good_form_is_taken(platform):
    assert post(platform, GOOD) == (200, {"result": "0", "resultmsg": "成功"})


@pytest.mark.parametrize("field, value, says", [
    ("deptCode", ZJ_DEPT[:-1] + "A", "deptCode"),          # check character wrong
    ("deptCode", "001008001", "deptCode"),
    ("dataSource", "33", "dataSource"),
    ("areaCode", "370100", "areaCode"),                   # another province
    ("pf", "8", "pf"),
    ("proStatus", "4", "proStatus"),
    ("userProp", "3", "userProp"),
    ("satisfaction", "6", "satisfaction"),
    ("evalDetail", "213,510", "510"),                     # a label of another level
    ("assessTime", "2026/11/23 10:00:00", "assessTime"),
    ("assessTime", AHEAD, "assessTime"),        # ahead of the platform's clock
    ("assessTime", cst(now() - 3600), "acceptDate"),        # before the case was taken in
    ("promiseTime", "3", "promiseTime"),
    ("proManager", "", "proManager"),
    ("certkeyGOV", "123", "certkeyGOV"),
])
def test_a_bad_field_is_refused_naming_it(platform, field, value, says):
    value = cst(now() + 3600) if value is AHEAD else value
    status, answer = post(platform, dict(GOOD, **{field: value}))
    assert status == 200 and answer["result"] != "0" and says in answer["resultmsg"], answer


def test_unknown_and_repeated_fields_and_bad_credentials_are_refused(platform):
    before = platform.ledger.counts()
    assert "serviceTime" in post(platform, dict(GOOD, serviceTime="x"))[1]["resultmsg"]
    body = (urlencode(dict(GOOD, projectNo="PDUP")) + "&pf=5").encode()
    assert "pf" in post(platform, GOOD, body=body)[1]["resultmsg"]
    status, answer = post(platform, GOOD, headers={"Authorization": "Basic " + base64.b64encode(b"x:y").decode()})
    assert status == 401 and answer["result"] == "401"
    assert platform.ledger.counts() == before           # nothing refused is held
