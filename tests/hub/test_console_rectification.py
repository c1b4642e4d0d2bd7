"""The console's 差评整改 pages: a bad rating opens an item that the list
shows (overdue ones highlighted and counted), the item's page with its rating
and history and no applicant data; an administrator moves it, a manager
cannot (no form, 403), a post without the CSRF token is refused, an illegal
move or a note with a phone number is a page with the service's reason."""

import pytest

from tests.support.console import add_user, csrf_of, rate, sign_in

pytestmark = pytest.mark.anyio

HOSTILE = "<script>alert(1)</script>"
PHONE = "13912345678"


def _item_of(db, rating_id):
    return db.execute("SELECT id FROM rectifications WHERE rating_id = ?",
                      (rating_id,)).fetchone()[0]


@pytest.fixture
async def hall(api):
    """Two bad ratings (one made overdue) and a good one; a manager and an
    admin; the client signed in as the manager."""
    add_user(api.db_call, "boss", "manager")
    add_user(api.db_call, "it", "admin")
    api.db_call(rate, "12", 5)
    api.item = api.db_call(lambda db: _item_of(db, rate(db, "12", 1, labels=[115],
                                                        matter_name=HOSTILE, contact=PHONE)))

    def late(db):
        item = _item_of(db, rate(db, "12", 2, labels=[214], staff=("B02", "李明")))
        db.execute("UPDATE rectifications SET contact_due = 1000, close_due = 2000, "
                   "due_exact = 1 WHERE id = ?", (item,))
        return item
    api.late = api.db_call(late)
    assert (await sign_in(api.client, "boss")).status_code == 303
    return api


async def _as_admin(client):
    await client.post("/console/logout", data={"csrf": csrf_of((await client.get("/console/")).text)})
    assert (await sign_in(client, "it")).status_code == 303


async def test_the_list_counts_and_highlights_overdue_items(hall):
    html = (await hall.client.get("/console/rectifications")).text
    assert 'aria-current="page">差评整改<' in html
    assert "<b>2</b>未办结" in html and "<b>1</b>超期</div>" in html and "共 2 条" in html
    assert html.count('<tr class="overdue">') == 1
    assert "李明" in html and "服务态度差效率低" in html
    assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert PHONE not in html and " style=" not in html
    only_late = (await hall.client.get("/console/rectifications?overdue=1")).text
    assert "共 1 条" in only_late and 'href="/console/rectifications/%d"' % hall.late in only_late
    not_late = (await hall.client.get("/console/rectifications?overdue=0&state=pending_check")).text
    assert "共 1 条" in not_late and 'href="/console/rectifications/%d"' % hall.item in not_late
    for q in ("state=nope", "overdue=2", "page=0", "page=x"):
        assert (await hall.client.get("/console/rectifications?" + q)).status_code == 422, q


async def test_a_manager_sees_the_item_but_gets_no_form_and_a_403(hall):
    page = await hall.client.get("/console/rectifications/%d" % hall.item)
    assert page.status_code == 200
    html = page.text
    assert "非常不满意" in html and "待核实" in html and "联系期限" in html
    assert HOSTILE not in html and "&lt;script&gt;" in html and PHONE not in html
    assert "data-move" not in html and "/move" not in html
    r = await hall.client.post("/console/rectifications/%d/move" % hall.item,
                               data={"csrf": csrf_of(html), "to": "contacted"})
    assert r.status_code == 403 and "需要管理员账号" in r.text
    assert (await hall.client.get("/console/rectifications/99999")).status_code == 404
    assert (await hall.client.get("/console/rectifications/x")).status_code == 404


async def test_an_admin_moves_the_item_and_it_is_in_the_history(hall):
    client = hall.client
    await _as_admin(client)
    url = "/console/rectifications/%d" % hall.item
    html = (await client.get(url)).text
    assert 'data-move="contacted"' in html and 'data-move="invalid"' in html
    # No CSRF token: refused, and nothing moved.
    r = await client.post(url + "/move", data={"to": "contacted"})
    assert r.status_code == 403 and "CSRF" in r.text
    r = await client.post(url + "/move", data={"csrf": csrf_of(html), "to": "contacted",
                                               "note": "电话联系了办事人 " + PHONE})
    assert r.status_code == 422 and PHONE not in r.text
    r = await client.post(url + "/move", data={"csrf": csrf_of(html), "to": "contacted",
                                               "note": "已电话联系，群众反映等候太久"})
    assert r.status_code == 303 and r.headers["location"] == url + "?done=contacted"
    html = (await client.get(r.headers["location"])).text
    assert "已变更为“已联系”" in html
    assert "console:it · 待核实 → 已联系：已电话联系，群众反映等候太久" in html
    assert 'data-move="rectifying"' in html and 'data-move="contacted"' not in html
    # An illegal move (contacted cannot be closed yet): the service's reason, not a 500.
    r = await client.post(url + "/move", data={"csrf": csrf_of(html), "to": "closed",
                                               "note": "已整改"})
    assert r.status_code == 409 and "无法变更整改状态" in r.text and "cannot become" in r.text
    r = await client.post(url + "/move", data={"csrf": csrf_of(html), "to": "bogus"})
    assert r.status_code == 422
    entries = hall.db_call(lambda db: db.execute(
        "SELECT actor, action FROM audit WHERE action LIKE 'rectification.%'").fetchall())
    assert [tuple(e) for e in entries] == [("console:it", "rectification.contacted")]


async def test_an_admin_closes_an_item_as_invalid_with_its_reason(hall):
    client = hall.client
    await _as_admin(client)
    url = "/console/rectifications/%d" % hall.late
    html = (await client.get(url)).text
    r = await client.post(url + "/move", data={"csrf": csrf_of(html), "to": "invalid",
                                               "reason": "mistaken", "note": "群众确认按错键"})
    assert r.status_code == 303
    html = (await client.get(url)).text
    assert "无效差评" in html and "误评" in html and "群众确认按错键" in html
    assert "data-move" not in html                 # final: no next step
    listing = (await client.get("/console/rectifications")).text
    assert "<b>0</b>超期</div>" in listing


async def test_an_item_goes_to_closed_and_the_statistics_count_it(hall):
    client = hall.client
    await _as_admin(client)
    url = "/console/rectifications/%d" % hall.item
    for to, note in (("contacted", ""), ("rectifying", "约谈工作人员"), ("closed", "已整改并回访")):
        html = (await client.get(url)).text
        r = await client.post(url + "/move", data={"csrf": csrf_of(html), "to": to, "note": note})
        assert r.status_code == 303, (to, r.text)
    html = (await client.get(url)).text
    assert "已办结" in html and "（按时）" in html and "已整改并回访" in html
    assert html.count("console:it · ") == 3 and "data-move" not in html
    stats = (await client.get("/console/statistics")).text
    assert "50.0%</b>整改率（超期 1）" in stats            # 1 of 2 closed, the late one overdue
