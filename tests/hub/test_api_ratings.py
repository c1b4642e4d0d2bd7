"""GET /api/v1/ratings: filters, page/size with totals, cursor paging, and an
invitation's rating; ratings stored by the same service the ingest uses."""

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.support.api import Api, make_config
from hub.services import invitations, journal, terminals

pytestmark = pytest.mark.anyio

DAY = 86400 * 1000
T0 = 1718064000000  # 2024-06-11 08:00:00 +08:00


def seed(db):
    """Two windows; 12 ratings: levels cycle 5..1, bad ones with reasons."""
    terminals.provision(db, "T-12", "12")
    terminals.provision(db, "T-13", "13")
    labels = {5: [517], 4: [413], 3: [314], 2: [207, 213], 1: [115]}
    made = []
    for i in range(12):
        dev, win = ("T-12", "12") if i % 3 else ("T-13", "13")
        staff = "A0317" if win == "12" else "B0042"
        inv = invitations.create(db, win, "CS%04d" % i, "M001", "个体工商户设立登记", staff,
                                 "李明" if staff == "A0317" else "王芳", now=T0 + i * 60000)
        level = 5 - i % 5
        msg = {"t": "rating", "seq": i + 1, "eid": inv["eid"], "cs": inv["case_serial"],
               "lv": level, "lb": labels[level], "dp": 2500 if i != 7 else 100,
               "mt": 1000000 + i * 600000, "org": "live", "dt": T0 + i * 60000 + 5000}
        res = journal.record_rating(db, dev, msg, now=T0 + i * 60000 + 5000)
        made.append((res["rating_id"], inv["eid"], win, level))
    return made


@pytest.fixture
async def api(tmp_path):
    a = Api(make_config(tmp_path))
    a.made = a.db_call(seed)
    yield a
    await a.aclose()


async def get(api, query):
    r = await api.client.get("/api/v1/ratings" + query)
    assert r.status_code == 200, r.text
    return r.json()


async def test_all_newest_first_with_totals(api):
    page = await get(api, "")
    assert page["total"] == 12 and page["page"] == 1 and page["size"] == 50
    ids = [r["id"] for r in page["items"]]
    assert ids == [m[0] for m in reversed(api.made)]
    first = page["items"][-1]
    assert first["level"] == 5 and first["level_name"] == "非常满意" and first["bad"] is False
    assert first["labels"] == [{"code": 517, "text": "服务热情效率高"}]
    assert first["matter_name"] == "个体工商户设立登记" and first["staff_name"] == "王芳"
    assert first["rated_at"] == "2024-06-11T08:00:05.000+08:00"
    assert first["channel"] == 5 and first["origin"] == "live" and first["status"] == "accepted"


@pytest.mark.parametrize("query,expect", [
    ("?window=12", lambda m: m[2] == "12"),
    ("?window=13", lambda m: m[2] == "13"),
    ("?level=2", lambda m: m[3] == 2),
    ("?bad=true", lambda m: m[3] <= 2),
    ("?bad=false", lambda m: m[3] >= 3),
    ("?device_id=T-13&bad=true", lambda m: m[2] == "13" and m[3] <= 2),
    ("?staff_id=A0317", lambda m: m[2] == "12"),
    ("?label=213", lambda m: m[3] == 2),
    ("?level=2&label=207", lambda m: m[3] == 2),
])
async def test_filters(api, query, expect):
    page = await get(api, query)
    want = [m[0] for m in api.made if expect(m)]
    assert sorted(r["id"] for r in page["items"]) == sorted(want)
    assert page["total"] == len(want)


async def test_time_filters_in_hall_time_iso_and_epoch(api):
    # Ratings at 08:00:05 + i minutes: since 08:05 (local, no offset) keeps i >= 5.
    page = await get(api, "?since=2024-06-11T08:05:00")
    assert page["total"] == 7
    page = await get(api, "?since=2024-06-11T00:05:00Z&until=%d" % (T0 + 7 * 60000))
    assert page["total"] == 2
    assert (await get(api, "?since=2024-06-12"))["total"] == 0


async def test_flagged_shows_fraud_signals(api):
    page = await get(api, "?flagged=true")
    assert [r["id"] for r in page["items"]] == [api.made[7][0]]
    assert "fast_press" in page["items"][0]["fraud_flags"]


async def test_page_and_size(api):
    p1 = await get(api, "?size=5")
    p3 = await get(api, "?size=5&page=3")
    assert p1["total"] == p3["total"] == 12
    assert len(p1["items"]) == 5 and len(p3["items"]) == 2
    assert p1["next_cursor"] and p3["next_cursor"] is None


async def test_cursor_walks_everything_once_while_new_ratings_arrive(api):
    seen = []
    page = await get(api, "?size=4&order=asc")
    seen += [r["id"] for r in page["items"]]
    # A new rating arrives between pages: an ascending walk picks it up at the end.
    def late(db):
        inv = invitations.create(db, "12", "CS-LATE", "M001", "x", "A0317", "李明", now=T0 + DAY)
        return journal.record_rating(db, "T-12", {
            "t": "rating", "seq": 99, "eid": inv["eid"], "cs": "CS-LATE", "lv": 4, "dp": 3000,
            "mt": 5, "org": "live"}, now=T0 + DAY)["rating_id"]
    new_id = api.db_call(late)
    while page["next_cursor"]:
        page = await get(api, "?size=4&order=asc&cursor=" + page["next_cursor"])
        seen += [r["id"] for r in page["items"]]
    assert seen == [m[0] for m in api.made] + [new_id]


async def test_bad_label_for_the_level_is_422(api):
    r = await api.client.get("/api/v1/ratings?level=5&label=207")
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "bad_label" and body["field"] == "label"
    assert "207" in body["message"] and "不满意" in body["message"] and "非常满意" in body["message"]
    r = await api.client.get("/api/v1/ratings?label=999")
    assert r.status_code == 422 and r.json()["error"] == "bad_label"


@pytest.mark.parametrize("query,field", [
    ("?level=9", "level"), ("?size=0", "size"), ("?size=501", "size"), ("?bad=maybe", "bad"),
    ("?since=yesterday", "since"), ("?cursor=%%%", "cursor"), ("?order=sideways", "order"),
])
async def test_bad_query_parameters_name_the_field(api, query, field):
    r = await api.client.get("/api/v1/ratings" + query)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "bad_request" and r.json()["field"] == field


async def test_invitation_shows_its_rating_and_rating_by_id(api):
    rid, eid, win, level = api.made[3]
    inv = (await api.client.get("/api/v1/invitations/" + eid)).json()
    assert inv["state"] == "rated" and inv["rating"]["id"] == rid
    assert inv["rating"]["level"] == level and inv["rating"]["bad"] is True
    assert [lb["code"] for lb in inv["rating"]["labels"]] == [207, 213]
    one = await api.client.get("/api/v1/ratings/" + rid)
    assert one.status_code == 200 and one.json()["invitation_id"] == eid
    missing = await api.client.get("/api/v1/ratings/T-12:9999")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.integers(1, 13), order=st.sampled_from(["asc", "desc"]),
       bad=st.sampled_from([None, True, False]))
async def test_cursor_and_pages_agree(api, size, order, bad):
    q = "?size=%d&order=%s" % (size, order) + ("" if bad is None else "&bad=%s" % str(bad).lower())
    by_cursor, page = [], await get(api, q)
    by_cursor += page["items"]
    while page["next_cursor"]:
        page = await get(api, q + "&cursor=" + page["next_cursor"])
        by_cursor += page["items"]
    by_page, n = [], 1
    while True:
        p = await get(api, q + "&page=%d" % n)
        if not p["items"]:
            break
        by_page += p["items"]
        n += 1
    assert [r["id"] for r in by_cursor] == [r["id"] for r in by_page]
    assert len(by_page) == p["total"]
