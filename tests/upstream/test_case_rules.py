"""An invitation the configured platform would refuse is refused at the hub.

`ZJ/2026:0001` travels to a terminal (the wire allows `/` and `:`), but a
platform refuses it as a projectNo: the hub must answer 422 naming the field
when the invitation is posted, not take it and leave a silent dead letter.
The simulated platform, with its own copy of the rules, is the judge.
"""

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from hub.errors import HubError
from hub.services import invitations, terminals
from hub.store import open_db
from hub.upstream import Outcome, outbox
from hub.upstream.relay import Relay
from hub.upstream.settings import case_check
from protocol.fields import TOKEN_CHARS
from simulator.province.server import ProvincePlatform
from tests.support.api import Api, make_config, pingjia
from simulator.province.shandong import PUBLIC_KEY
from tests.support.upstream import FJ_DEPT, SD_ORG, SM4, ZJ_DEPT, Hall, make
from tests.upstream.test_relay import drain

pytestmark = pytest.mark.anyio
ADAPTERS = ["zhejiang", "shandong", "fujian"]
COMBINED = ("zhejiang", "fujian")   # the case travels with its rating: no case call
GOOD = {"window": "12", "case_serial": "330100202611230001", "matter_code": "T0001",
        "matter_name": "个体工商户设立登记", "staff_id": "S001", "staff_name": "王芳"}
# The applicant a real-name platform (Shandong) needs with the case.
APPLICANT = {"applicant": {"name": "张三", "kind": 1, "id_type": "111", "id_number": "110101199003074514",
                           "mobile": "13800138000"}}


def upstream_toml(platform, adapter):
    if adapter == "zhejiang":
        return ('[upstream]\nadapter = "zhejiang"\nurl = "%s/zj/offlinereport.do"\narea_code = "330100"\n'
                'dept_code = "%s"\n[upstream.options]\nusername = "hall-user"\npassword = "hall-pass"\n'
                'area_name = "杭州市"\npro_depart = "杭州市市场监督管理局"\n' % (platform.url, ZJ_DEPT))
    if adapter == "fujian":
        return ('[upstream]\nadapter = "fujian"\nurl = "%s/fj/webservice"\narea_code = "330100"\n'
                'dept_code = "%s"\n[upstream.options]\ntoken_url = "%s/fj/get-token"\napp_key = "fj-app-key"\n'
                'app_code = "fj-app-code"\ndept_name = "莆田市行政服务中心"\ndata_source = "135"\n'
                % (platform.url, FJ_DEPT, platform.url))
    return ('[upstream]\nadapter = "shandong"\nurl = "%s/sd"\narea_code = "370800"\ndept_code = "%s"\n'
            '[upstream.options]\napp_mark = "pingjia-hall"\napp_word = "secret-word"\nsm2_public_key = "%s"\n'
            'applicant_placeholders = true\n' % (platform.url, SD_ORG, PUBLIC_KEY))


@pytest.fixture(scope="module")
def platform():
    p = ProvincePlatform(area_code="330100", sm4_key=SM4).start()
    yield p
    p.stop()


@pytest.fixture(params=ADAPTERS)
async def hub(request, tmp_path, platform):
    cfg = make_config(tmp_path, upstream_toml(platform, request.param))
    api = Api(cfg)
    api.db_call(terminals.provision, "T-12", "12")
    yield api, request.param
    await api.aclose()


@pytest.mark.parametrize("field, value", [("case_serial", "ZJ/2026:0001"), ("matter_code", "11440300/MB:1")])
async def test_a_value_the_platform_refuses_is_422_naming_the_field(hub, field, value):
    api, adapter = hub
    r = await api.client.post("/api/v1/invitations", json=dict(GOOD, **{field: value}))
    assert r.status_code == 422, r.text
    err = r.json()
    assert err["error"] == "bad_request" and err["field"] == field
    assert value in err["message"] and adapter in err["message"]
    assert api.db_call(lambda db: db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]) == 0


async def test_a_value_the_platform_accepts_is_201_and_accepted_upstream(hub, platform):
    api, adapter = hub
    serial = "330100-2026.11_%s" % adapter
    r = await api.client.post("/api/v1/invitations", json=dict(GOOD, case_serial=serial,
                                                               upstream_case=APPLICANT))
    assert r.status_code in (201, 202), r.text
    relay = Relay(api.cfg.db_path, make(platform, adapter), base_s=0.01, cap_s=0.05)
    hall = Hall(api.cfg.db_path, window="12", device="T-12")
    if adapter in COMBINED:     # the case reaches the platform with its rating
        hall.rate(api.db_call(lambda db: dict(next(iter(db.query("SELECT eid, case_serial FROM invitations"))))))
    assert drain(relay, hall) == {"accepted": 2 if adapter in COMBINED else 1}
    assert platform.ledger.case(serial) is not None


async def test_without_a_platform_nothing_more_is_checked(tmp_path):
    api = Api(make_config(tmp_path))
    api.db_call(terminals.provision, "T-12", "12")
    try:
        r = await api.client.post("/api/v1/invitations", json=dict(GOOD, case_serial="ZJ/2026:0001"))
        assert r.status_code in (201, 202), r.text
    finally:
        await api.aclose()


def test_the_cli_refuses_it_too(tmp_path, platform):
    cfg = make_config(tmp_path, upstream_toml(platform, "zhejiang"))
    db = open_db(cfg.db_path)
    terminals.provision(db, "T-12", "12")
    db.conn.close()
    p = pingjia("invitations", "create", "--window", "12", "--case", "ZJ/2026:0001",
                "--staff-id", "S001", "--staff-name", "王芳", "--config", str(tmp_path / "hub.toml"))
    assert p.returncode != 0 and "case_serial" in p.stdout + p.stderr, p.stdout + p.stderr


CODES = st.text(alphabet=TOKEN_CHARS, min_size=1, max_size=64)
NAMES = st.text(st.characters(min_codepoint=32, max_codepoint=0x9fff, exclude_categories=("Cs",)),
                min_size=1, max_size=120)


@pytest.mark.parametrize("adapter", ADAPTERS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(serial=CODES, code=CODES, name=NAMES)
def test_whatever_the_hub_accepts_the_platform_accepts(tmp_path_factory, platform, adapter, serial, code, name):
    cfg = make_config(tmp_path_factory.mktemp("h"), upstream_toml(platform, adapter))
    db = open_db(cfg.db_path)
    terminals.provision(db, "T-12", "12")
    check, up = case_check(cfg), make(platform, adapter)
    try:
        try:
            inv = invitations.create(db, "12", serial, code, name, staff_id="S1", staff_name="王芳",
                                     upstream=check, upstream_case=APPLICANT)
        except HubError as e:
            assert e.field in ("case_serial", "matter_code", "matter_name"), e
            if check({"case_serial": serial, "matter_code": code, "matter_name": name.strip()}) is None:
                return      # refused by the wire's own rules, before the platform's
            # Refused for the platform's rules: the platform refuses it too.
            case = {"project_no": serial, "task_code": code, "task_name": name.strip(), "user_prop": 1,
                    "service_time": 1_780_000_000}
            assert up.register_case(case).status == Outcome.PERMANENT
            return
        case = outbox.case_payload(db, inv["eid"])
        out = up.register_case(case)
        if adapter == "shandong" and "00000000" in code[:31]:
            # A self-built matter (自建事项): the hub keeps the case and its
            # ratings, and says it does not forward them.
            assert out.status == Outcome.PERMANENT and "自建事项" in out.reason, out
            return
        assert out.status == Outcome.OK, out
        if adapter in COMBINED:     # the platform judges the case with its rating
            rating = {"uuid": "u", "project_no": case["project_no"], "assess_number": 1, "level": 5,
                      "labels": [517], "text": "", "channel": "terminal", "rated_at": case["service_time"],
                      "service_time": case["service_time"], "user_prop": 1}
            [out] = up.push_ratings([rating])
            assert out.status == Outcome.OK, out
    finally:
        up.close()
        db.conn.close()
