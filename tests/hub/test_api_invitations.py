"""The API in-process (httpx.AsyncClient over ASGITransport) against a real
SQLite data directory: auth, invitations, duty, terminals, every error form."""

import json
import sqlite3

import pytest

from hub.services import terminals

pytestmark = pytest.mark.anyio

INV = {"window": "12", "case_serial": "SZ20240611000123", "visit": 1,
       "matter_code": "11440300MB2C92102X4442111003000", "matter_name": "个体工商户设立登记",
       "staff_id": "A0317", "staff_name": "李明", "applicant_kind": "person"}


def assert_error(r, status, code, field=None, words=()):
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"] == code, body
    assert isinstance(body["message"], str) and len(body["message"]) > 20
    if field is not None:
        assert body.get("field") == field, body
    for w in words:
        assert w in body["message"], body["message"]


# -- auth -----------------------------------------------------------------------

async def test_no_token_wrong_token_right_token(api):
    no = await api.client.get("/api/v1/terminals", headers={"Authorization": ""})
    assert_error(no, 401, "unauthorized", words=["Authorization: Bearer", "pingjia token create"])
    assert no.headers["www-authenticate"] == "Bearer"
    wrong = await api.client.get("/api/v1/terminals", headers={"Authorization": "Bearer pj_nope"})
    assert_error(wrong, 401, "unauthorized", words=["not known"])
    basic = await api.client.get("/api/v1/terminals", headers={"Authorization": "Basic YTpi"})
    assert basic.status_code == 401
    ok = await api.client.get("/api/v1/terminals")
    assert ok.status_code == 200


async def test_each_client_has_its_own_token_and_revoking_one_keeps_the_other(api):
    other = api.tokens.create("dashboard")
    r = await api.client.get("/api/v1/terminals", headers={"Authorization": "Bearer " + other})
    assert r.status_code == 200
    api.tokens.revoke("queue-system")
    assert (await api.client.get("/api/v1/terminals")).status_code == 401
    r = await api.client.get("/api/v1/terminals", headers={"Authorization": "Bearer " + other})
    assert r.status_code == 200
    # The token file holds hashes only.
    text = open(api.cfg.tokens_path).read()
    assert other not in text and api.token not in text


async def test_health_needs_no_token_and_docs_are_served(api):
    r = await api.client.get("/api/v1/health", headers={"Authorization": ""})
    assert r.status_code == 200
    assert r.json()["parts"]["database"]["state"] == "ok"
    docs = await api.client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    spec = (await api.client.get("/openapi.json")).json()
    post = spec["paths"]["/api/v1/invitations"]["post"]
    assert "duplicate_visit" in post["description"] and "202" in post["responses"]


async def test_unknown_path_and_method_are_json_errors(api):
    assert_error(await api.client.get("/api/v2/ratings"), 404, "not_found", words=["/api/v1"])
    assert_error(await api.client.put("/api/v1/ratings"), 405, "method_not_allowed")


# -- invitations ----------------------------------------------------------------

async def test_create_for_offline_terminal_is_202_with_warning_then_get(api):
    r = await api.client.post("/api/v1/invitations", json=INV)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["state"] == "queued" and body["window"] == "12"
    assert "offline" in body["warning"] and "kept" in body["warning"]
    assert body["rating"] is None and body["has_contact"] is False
    got = (await api.client.get("/api/v1/invitations/" + body["id"])).json()
    assert got["state"] == "queued" and got["matter_name"] == "个体工商户设立登记"
    assert got["created_at"].endswith("+08:00")


async def test_create_for_online_terminal_is_201(api):
    api.db_call(terminals.set_online, "T-12", True)
    r = await api.client.post("/api/v1/invitations", json=INV)
    assert r.status_code == 201, r.text
    assert r.json()["warning"] is None


async def test_contact_is_stored_encrypted_and_never_returned(api):
    phone = "13800138000"
    r = await api.client.post("/api/v1/invitations", json=dict(INV, contact=phone))
    assert r.status_code == 202
    assert phone not in r.text and r.json()["has_contact"] is True
    got = await api.client.get("/api/v1/invitations/" + r.json()["id"])
    assert phone not in got.text
    listed = await api.client.get("/api/v1/invitations")
    assert phone not in listed.text
    with open(api.cfg.db_path, "rb") as f:
        assert phone.encode() not in f.read()
    conn = sqlite3.connect(api.cfg.db_path)
    assert phone not in json.dumps(conn.execute("SELECT * FROM audit").fetchall())


async def test_unknown_window(api):
    r = await api.client.post("/api/v1/invitations", json=dict(INV, window="99"))
    assert_error(r, 404, "unknown_window", "window", words=["99"])


async def test_duplicate_visit_is_409_and_next_visit_is_fine(api):
    first = await api.client.post("/api/v1/invitations", json=INV)
    assert first.status_code == 202
    again = await api.client.post("/api/v1/invitations", json=INV)
    assert_error(again, 409, "duplicate_visit", words=[first.json()["id"], "visit"])
    nxt = await api.client.post("/api/v1/invitations", json=dict(INV, visit=2))
    assert nxt.status_code == 202


async def test_cancel_frees_the_visit_and_cancel_twice_is_409(api):
    inv = (await api.client.post("/api/v1/invitations", json=INV)).json()
    r = await api.client.delete("/api/v1/invitations/%s?reason=wrong case" % inv["id"])
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    assert r.json()["closed_at"]
    again = await api.client.post("/api/v1/invitations/%s/cancel" % inv["id"], json={"reason": "x"})
    assert_error(again, 409, "invitation_closed", words=["cancelled"])
    redo = await api.client.post("/api/v1/invitations", json=INV)
    assert redo.status_code == 202
    r = await api.client.post("/api/v1/invitations/%s/cancel" % redo.json()["id"])
    assert r.status_code == 200 and r.json()["state"] == "cancelled"


async def test_unknown_invitation(api):
    assert_error(await api.client.get("/api/v1/invitations/enope"), 404, "unknown_invitation")
    assert_error(await api.client.delete("/api/v1/invitations/enope"), 404, "unknown_invitation")


@pytest.mark.parametrize("change,field,words", [
    ({"case_serial": None}, "case_serial", ["required"]),
    ({"visit": 0}, "visit", ["greater than or equal to 1"]),
    ({"applicant_kind": "robot"}, "applicant_kind", ["person"]),
    ({"window": "12 A"}, "window", []),
    ({"matter_name": "x" * 121}, "matter_name", ["120"]),
    ({"colour": "red"}, "colour", ["not a known field"]),
    ({"staff_name": None}, "staff_name", ["together"]),
])
async def test_validation_errors_name_the_field(api, change, field, words):
    body = dict(INV)
    for k, v in change.items():
        if v is None:
            body.pop(k)
        else:
            body[k] = v
    r = await api.client.post("/api/v1/invitations", json=body)
    assert_error(r, 422, "bad_request", field, words)


async def test_body_that_is_not_json(api):
    r = await api.client.post("/api/v1/invitations", content=b"case=1",
                              headers={"Content-Type": "application/json"})
    assert_error(r, 422, "bad_request", words=["JSON"])


async def test_staff_default_to_whoever_is_signed_in(api):
    body = {k: v for k, v in INV.items() if not k.startswith("staff")}
    r = await api.client.post("/api/v1/invitations", json=body)
    assert_error(r, 409, "not_on_duty", "staff_id", words=["sign in"])
    s = await api.client.post("/api/v1/windows/12/sign-in",
                              json={"staff_id": "B0042", "staff_name": "王芳"})
    assert s.status_code == 200 and s.json()["state"] == "on"
    r = await api.client.post("/api/v1/invitations", json=body)
    assert r.status_code == 202 and r.json()["staff_name"] == "王芳"


# -- duty -------------------------------------------------------------------------

async def test_sign_in_shift_change_and_sign_out(api):
    r = await api.client.post("/api/v1/windows/12/sign-in",
                              json={"staff_id": "A0317", "staff_name": "李明"})
    assert r.json()["state"] == "on" and r.json()["since"]
    r = await api.client.post("/api/v1/windows/12/sign-in",
                              json={"staff_id": "B0042", "staff_name": "王芳"})
    assert r.json()["staff_id"] == "B0042"
    cur = (await api.client.get("/api/v1/windows/12/duty")).json()
    assert cur["state"] == "on" and cur["staff_name"] == "王芳"
    wrong = await api.client.post("/api/v1/windows/12/sign-out?staff_id=A0317")
    assert_error(wrong, 409, "not_on_duty")
    out = await api.client.post("/api/v1/windows/12/sign-out")
    assert out.status_code == 200 and out.json()["state"] == "off"
    assert (await api.client.get("/api/v1/windows/12/duty")).json()["state"] == "off"
    assert_error(await api.client.post("/api/v1/windows/12/sign-out"), 409, "not_on_duty")


async def test_duty_at_unknown_window(api):
    r = await api.client.post("/api/v1/windows/77/sign-in", json={"staff_id": "A1", "staff_name": "李"})
    assert_error(r, 404, "unknown_window")
    assert_error(await api.client.get("/api/v1/windows/77/duty"), 404, "unknown_window")


# -- terminals --------------------------------------------------------------------

async def test_terminals_registry_and_online_state(api):
    api.db_call(terminals.provision, "T-13", "13")
    api.db_call(terminals.on_heartbeat, "T-13", {"up": 5, "heap": 81234, "jd": 2, "lq": 90, "pr": "ok"})
    r = (await api.client.get("/api/v1/terminals")).json()
    assert r["total"] == 2 and r["online"] == 1
    t13 = [t for t in r["items"] if t["device_id"] == "T-13"][0]
    assert t13["online"] and t13["free_heap"] == 81234 and t13["journal_depth"] == 2
    assert t13["printer"] == "ok" and t13["link_quality"] == 90
    offline = (await api.client.get("/api/v1/terminals?online=false")).json()
    assert [t["device_id"] for t in offline["items"]] == ["T-12"]
    one = await api.client.get("/api/v1/terminals/T-12")
    assert one.json()["window"] == "12" and "key" not in one.text
    assert_error(await api.client.get("/api/v1/terminals/T-99"), 404, "unknown_terminal")
