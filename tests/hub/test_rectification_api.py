"""GET/POST /api/v1/rectifications and GET /api/v1/statistics in-process:
token, bounds (422 naming the parameter), moves, CSV and XLSX answers."""

import io
import time

import openpyxl
import pytest

from tests.support.rated import rate

pytestmark = pytest.mark.anyio


async def _bad_review(api, level=1):
    now = int(time.time() * 1000)
    api.db_call(lambda db: rate(db, "12", level, now, device="T-12"))


async def test_a_bad_review_goes_through_its_states_over_the_api(api):
    await _bad_review(api)
    r = await api.client.get("/api/v1/rectifications")
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["total"] == 1 and page["counts"]["open"] == 1
    item = page["items"][0]
    assert item["state"] == "pending_check" and item["contact_due"] and item["close_due"]
    url = "/api/v1/rectifications/%d" % item["id"]
    r = await api.client.post(url + "/transition", json={"to": "closed", "note": "x"})
    assert r.status_code == 409 and r.json()["error"] == "illegal_transition"
    r = await api.client.post(url + "/transition", json={"to": "contacted", "by": "李明"})
    assert r.status_code == 200, r.text
    assert r.json()["updated_by"] == "api:queue-system/李明"
    r = await api.client.get(url)
    assert [s["to_state"] for s in r.json()["history"]] == ["contacted"]
    r = await api.client.post(url + "/transition", json={"to": "invalid", "reason": "mistaken",
                                                          "note": "办事人确认误按"})
    assert r.json()["state_name"] == "无效差评"
    r = await api.client.get("/api/v1/rectifications?state=invalid&overdue=false")
    assert r.json()["total"] == 1


async def test_bad_parameters_are_422_naming_them_and_no_token_is_401(api):
    for query, field in (("state=nope", "state"), ("size=501", "size"), ("page=0", "page"),
                         ("window=", "window"), ("since=yesterday", "since")):
        r = await api.client.get("/api/v1/rectifications?" + query)
        assert r.status_code == 422 and r.json()["field"] == field, (query, r.text)
    r = await api.client.get("/api/v1/rectifications/0")
    assert r.status_code == 422 and r.json()["field"] == "item_id"
    r = await api.client.get("/api/v1/rectifications/77")
    assert r.status_code == 404
    r = await api.client.post("/api/v1/rectifications/1/transition", json={"to": "x"})
    assert r.status_code == 422 and r.json()["field"] == "to"
    r = await api.client.get("/api/v1/rectifications", headers={"Authorization": ""})
    assert r.status_code == 401
    for query, field in (("by=nope", "by"), ("from=x", "from"), ("format=pdf", "format"),
                         ("from=2026-01-01&to=2025-01-01", "to")):
        r = await api.client.get("/api/v1/statistics?" + query)
        assert r.status_code == 422 and r.json()["field"] == field, (query, r.text)


async def test_statistics_as_json_csv_and_xlsx(api):
    await _bad_review(api, 2)
    r = await api.client.get("/api/v1/statistics?by=window")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"]["ratings"] == 1 and body["total"]["bad"] == 1
    assert body["rows"][0]["rectification"]["opened"] == 1 and body["score_preset"] == "shenzhen"
    r = await api.client.get("/api/v1/statistics?by=day&format=csv")
    assert r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf") and "合计".encode() in r.content
    r = await api.client.get("/api/v1/statistics?by=staff&format=xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert ws.cell(row=1, column=1).value == "工作人员" and ws.cell(row=2, column=1).value == "S01"
