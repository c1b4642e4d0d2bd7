"""The console's pages, in-process: the overview's figures, the feed's items
(from the event log, resumable by event id), a terminal's page, the upstream
page's dead letters and their replay by an administrator, every text
escaped, the page's Content-Security-Policy, and no applicant data."""

import pytest

from hub.console import feed_data, overview_data
from hub.console.web import CONSOLE_CSP
from hub.services import duty, problems, terminals
from hub.upstream import outbox
from tests.support.console import add_user, csrf_of, rate, sign_in

pytestmark = pytest.mark.anyio

HOSTILE = "<script>alert(1)</script>"
PHONE = "13912345678"


@pytest.fixture
async def signed_in(api):
    """The `api` fixture (window 12, T-12) with a manager and an admin; the
    client signed in as the manager."""
    add_user(api.db_call, "boss", "manager")
    add_user(api.db_call, "it", "admin")
    assert (await sign_in(api.client, "boss")).status_code == 303
    return api


def test_overview_figures_of_today(tmp_path):
    from hub.store import open_db
    from tests.support.api import make_config
    cfg = make_config(tmp_path)
    db = open_db(cfg.db_path)
    terminals.provision(db, "T-12", "12")
    terminals.provision(db, "T-13", "13")
    duty.sign_in(db, "12", "A0101", "王芳")
    rate(db, "12", 5)
    rate(db, "12", 4)
    rate(db, "12", 1, labels=[115])
    from hub.services import invitations
    invitations.create(db, "12", "OPEN-1", "330100001000", "事项")      # finished, not rated
    data = overview_data.read(db, 0)
    w12 = [w for w in data["windows"] if w["window"] == "12"][0]
    assert w12["duty"]["staff_name"] == "王芳"
    assert w12["today"] == {"cases": 4, "rated": 3, "ratings": 3, "bad": 1,
                            "satisfaction": 3.33, "active_rate": 75.0}
    assert data["today"]["cases"] == 4 and data["terminals"] == 2
    # Nothing of yesterday counts today.
    assert overview_data.read(db, 10 ** 14)["today"]["cases"] == 0
    db.close()


async def test_manager_sees_the_overview_with_csp_and_no_inline_script(signed_in):
    signed_in.db_call(duty.sign_in, "12", "A0101", "王芳")
    signed_in.db_call(rate, "12", 2, labels=[214])
    r = await signed_in.client.get("/console/")
    assert r.status_code == 200
    assert r.headers["content-security-policy"] == CONSOLE_CSP
    assert "'unsafe-inline'" not in CONSOLE_CSP and "http" not in CONSOLE_CSP
    assert r.headers["x-content-type-options"] == "nosniff"
    html = r.text
    assert "大厅总览" in html and "王芳" in html and "T-12" in html and "100.0%" in html
    assert "<script>" not in html and "<style" not in html and " style=" not in html
    assert 'src="/console/static/overview.js?v=' in html
    part = await signed_in.client.get("/console/overview/part")
    assert part.status_code == 200 and "今日办件" in part.text


async def test_a_hostile_matter_name_is_text_and_no_applicant_data_anywhere(signed_in):
    signed_in.db_call(rate, "12", 1, labels=[115], matter_name=HOSTILE, contact=PHONE,
                      staff=("A01", "<b>李</b>"))
    for path in ("/console/", "/console/feed", "/console/terminals", "/console/terminals/T-12",
                 "/console/upstream"):
        html = (await signed_in.client.get(path)).text
        assert HOSTILE not in html and "<b>李</b>" not in html, path
        assert PHONE not in html, path
    feed = (await signed_in.client.get("/console/feed")).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in feed
    assert "服务态度差效率低" in feed and "非常不满意" in feed


async def test_feed_items_resume_after_an_event_id(api):
    def run(db):
        first = rate(db, "12", 5)
        from hub.services import events
        mark = events.last_id(db)
        rate(db, "12", 2, labels=[213, 214], matter_name="居民身份证换领")
        return first, mark, feed_data.after(db, mark), feed_data.after(db, 0)
    _first, mark, (seen, items), (_s, every) = api.db_call(run)
    assert len(every) == 2 and len(items) == 1
    item = items[0]
    assert item["id"] > mark and seen >= item["id"]
    assert item["bad"] and item["level_name"] == "不满意" and item["window"] == "12"
    assert item["labels"] == ["窗口人员业务不熟练", "服务态度生硬"]
    assert item["staff_name"] == "王芳" and item["matter_name"] == "居民身份证换领"
    assert set(item) == {"id", "at", "window", "staff_id", "staff_name", "matter_name", "level",
                         "level_name", "bad", "labels", "other", "device_id"}


async def test_feed_stream_refuses_a_bad_event_id(signed_in):
    r = await signed_in.client.get("/console/feed/stream", headers={"Last-Event-ID": "x1"})
    assert r.status_code == 422


async def test_terminal_page_shows_what_the_hub_holds(signed_in):
    def setup(db):
        terminals.on_hello(db, "T-12", {"fw": "1.4.2", "board": "esp32s3", "jd": 3, "cv": 7},
                           "serial:/dev/ttyUSB0")
        terminals.on_heartbeat(db, "T-12", {"up": 60, "heap": 81234, "jd": 2, "lq": 97,
                                            "pr": "paper_out"})
        terminals.add_errors(db, "T-12", {"crc": 4})
        problems.store(db, [("T-12", "printer_fault", "打印机缺纸：换纸", "serial:/dev/ttyUSB0",
                             1000, 1)])
    signed_in.db_call(setup)
    html = (await signed_in.client.get("/console/terminals/T-12")).text
    for text in ("1.4.2", "81234", "97%", "缺纸", "crc=4", "打印机故障", "打印机缺纸：换纸", ">7<"):
        assert text in html, text
    assert "同步时间" not in html                  # a manager gets no buttons
    assert (await signed_in.client.get("/console/terminals/NOPE")).status_code == 404


async def test_admin_replays_a_dead_letter_and_assigns_a_terminal(signed_in):
    client = signed_in.client

    def dead(db):
        rid = rate(db, "12", 3)
        row = db.execute("SELECT id FROM outbox WHERE kind = 'rating' AND ref = ?", (rid,)).fetchone()
        outbox.settle(db, [(row[0], "rejected", 0, "评价码不合法 (code 1002)", None)], 0)
        return row[0]
    row_id = signed_in.db_call(dead)
    await client.post("/console/logout", data={"csrf": csrf_of((await client.get("/console/")).text)})
    await sign_in(client, "it")
    page = (await client.get("/console/upstream")).text
    assert "评价码不合法 (code 1002)" in page and 'data-replay="%d"' % row_id in page
    r = await client.post("/console/upstream/replay", data={"csrf": csrf_of(page), "id": str(row_id)})
    assert r.status_code == 303 and r.headers["location"] == "/console/upstream?done=1"
    state = signed_in.db_call(lambda db: db.execute("SELECT state FROM outbox WHERE id = ?",
                                                    (row_id,)).fetchone()[0])
    assert state == "pending"
    assert "已将 1 条死信放回队列" in (await client.get(r.headers["location"])).text
    page = (await client.get("/console/terminals/T-12")).text
    assert "同步时间" in page and "调整窗口" in page
    r = await client.post("/console/terminals/T-12/assign", data={"csrf": csrf_of(page),
                                                                  "window": "14"})
    assert r.status_code == 303
    assert signed_in.db_call(terminals.get, "T-12")["window"] == "14"
    r = await client.post("/console/terminals/T-12/assign", data={"csrf": csrf_of(page),
                                                                  "window": "<x>"})
    assert r.status_code == 422 and "无法调整窗口" in r.text and "<x>" not in r.text
    # Not connected in this process: said plainly, not a 500.
    r = await client.post("/console/terminals/T-12/timesync", data={"csrf": csrf_of(page)})
    assert r.status_code == 409 and "不在线" in r.text


async def test_static_files_only_those_listed(signed_in):
    r = await signed_in.client.get("/console/static/feed.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert "innerHTML" not in r.text
    assert (await signed_in.client.get("/console/static/..%2Fweb.py")).status_code == 404
    assert (await signed_in.client.get("/console/static/web.py")).status_code == 404


async def test_one_reader_serves_every_stream_and_an_old_cursor_catches_up(api, monkeypatch):
    from hub.console import feed_hub
    from hub.services import events
    monkeypatch.setattr(feed_hub, "MAX_BUFFER", 2)
    early = api.db_call(lambda db: (rate(db, "12", 5), events.last_id(db))[1])
    hub = feed_hub.FeedHub(api.ctx)
    async with hub.subscription():
        start = hub.seen
        for level in (4, 2, 1):
            api.db_call(rate, "12", level)
        got, cursor = [], start
        while len(got) < 3:
            cursor, items = await hub.after(cursor, 2.0)
            got += items
        assert [i["level"] for i in got] == [4, 2, 1]
        assert len(hub.items) == 2 and hub.floor > start     # the oldest left the buffer
        # A stream resuming from before the buffer reads the database, then the buffer.
        cursor, items = await hub.after(start, 0.1)
        assert [i["level"] for i in items] == [4, 2, 1]
        cursor, items = await hub.after(early - 1, 0.1)
        assert [i["level"] for i in items][0] == 5
        assert (await hub.after(cursor, 0.1))[1] == []
