"""One answer form for every bad call (docs/HUB.md, "Errors"): every bad input
is 422 naming the input as the caller sent it, 405 names every method of the
path, and every answer carries nosniff and a Content-Security-Policy."""

import pytest

from tests.hub.test_api_invitations import INV, assert_error

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("field, value", [
    ("matter_name", "个体\u0007工商户设立登记"),     # a control character: the wire refuses it
    ("case_serial", "SZ#2024"),                    # not a wire token character
    ("matter_code", "编码"),
])
async def test_a_protocol_rule_refusal_is_422_like_every_other_bad_input(api, field, value):
    r = await api.client.post("/api/v1/invitations", json=dict(INV, **{field: value}))
    assert_error(r, 422, "bad_request", field=field)


async def test_invalid_json_names_the_body_and_says_where(api):
    r = await api.client.post("/api/v1/invitations", content=b'{"window": "12",,}',
                              headers={"Content-Type": "application/json"})
    assert_error(r, 422, "bad_request", field="body", words=["not valid JSON", "character 16"])


async def test_a_missing_invitation_is_named_by_the_apis_own_name(api):
    r = await api.client.get("/api/v1/invitations/e0000")
    assert_error(r, 404, "unknown_invitation", field="invitation_id", words=["the id returned"])
    r = await api.client.delete("/api/v1/invitations/e0000")
    assert_error(r, 404, "unknown_invitation", field="invitation_id")
    made = (await api.client.post("/api/v1/invitations", json=INV)).json()
    assert (await api.client.delete("/api/v1/invitations/" + made["id"])).status_code == 200
    again = await api.client.post("/api/v1/invitations/%s/cancel" % made["id"])
    assert_error(again, 409, "invitation_closed", field="invitation_id")


@pytest.mark.parametrize("ids", [[False], [True], [1, False], [0], [-1], [2 ** 53], ["1"], [1.5]])
async def test_replay_takes_whole_numbers_only_as_ids(api, ids):
    r = await api.client.post("/api/v1/upstream/dead/replay", json={"ids": ids})
    assert_error(r, 422, "bad_request")
    assert r.json()["field"].startswith("ids")


async def test_replay_of_too_many_ids_is_refused(api):
    r = await api.client.post("/api/v1/upstream/dead/replay", json={"ids": list(range(1, 1002))})
    assert_error(r, 422, "bad_request", field="ids")
    ok = await api.client.post("/api/v1/upstream/dead/replay", json={"ids": [1.0, 2 ** 53 - 1]})
    assert ok.status_code == 200 and ok.json() == {"replayed": 0}


@pytest.mark.parametrize("method, path, allowed", [
    ("PUT", "/api/v1/invitations", "GET, POST"),
    ("PATCH", "/api/v1/invitations/e1", "GET, DELETE"),
    ("GET", "/api/v1/invitations/e1/cancel", "POST"),
    ("DELETE", "/api/v1/ratings", "GET"),
    ("POST", "/api/v1/health", "GET"),
])
async def test_405_lists_every_method_of_the_path(api, method, path, allowed):
    r = await api.client.request(method, path)
    assert_error(r, 405, "method_not_allowed", words=[method])
    assert r.headers["allow"] == allowed
    for m in allowed.split(", "):
        assert m in r.json()["message"]


@pytest.mark.parametrize("method, path, token", [
    ("GET", "/api/v1/health", False), ("GET", "/api/v1/terminals", True),
    ("GET", "/api/v1/terminals", False), ("GET", "/api/v1/nowhere", True),
    ("PUT", "/api/v1/terminals", True), ("GET", "/api/v1/ratings?size=0", True),
    ("GET", "/openapi.json", False), ("GET", "/docs/assets/swagger-ui.css", False),
])
async def test_every_answer_says_nosniff_and_allows_a_browser_nothing(api, method, path, token):
    headers = {} if token else {"Authorization": ""}
    r = await api.client.request(method, path, headers=headers)
    assert r.headers["x-content-type-options"] == "nosniff"
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src" not in csp


async def test_the_docs_page_allows_its_own_script_from_the_hub_and_nothing_else(api):
    r = await api.client.get("/docs", headers={"Authorization": ""})
    assert r.status_code == 200 and r.headers["x-content-type-options"] == "nosniff"
    csp = dict(d.strip().split(" ", 1) for d in r.headers["content-security-policy"].split(";"))
    assert csp["default-src"] == "'none'" and csp["connect-src"] == "'self'"
    script = csp["script-src"].split()
    assert script[0] == "'self'" and len(script) == 2 and script[1].startswith("'sha256-")
    assert "unsafe" not in r.headers["content-security-policy"]


async def test_a_body_over_the_cap_is_413_and_a_missing_token_401_before_it(api):
    big = b'{"window": "' + b"1" * (64 * 1024) + b'"}'
    r = await api.client.post("/api/v1/invitations", content=big,
                              headers={"Content-Type": "application/json"})
    assert_error(r, 413, "body_too_large", field="body", words=["64 KiB"])
    r = await api.client.post("/api/v1/invitations", content=big,
                              headers={"Content-Type": "application/json", "Authorization": ""})
    assert_error(r, 401, "unauthorized", field="Authorization")
