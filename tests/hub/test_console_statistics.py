"""The console's statistics page: the service's figures per grouping and
period, the SVG chart (no script, no style attribute), the CSV / XLSX
downloads for any signed-in account, every name escaped."""

import io

import openpyxl
import pytest

from tests.support.console import add_user, rate, sign_in

pytestmark = pytest.mark.anyio

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture
async def manager(api):
    """The `api` fixture with three ratings today (one bad), signed in as a manager."""
    add_user(api.db_call, "boss", "manager")
    api.db_call(rate, "12", 5, matter_name=HOSTILE)
    api.db_call(rate, "12", 4, matter_name=HOSTILE, staff=("B02", "=HYPERLINK(\"x\")"))
    api.db_call(rate, "12", 1, labels=[115], matter_name=HOSTILE)
    assert (await sign_in(api.client, "boss")).status_code == 303
    return api


async def test_statistics_of_today_by_window_with_a_chart(manager):
    r = await manager.client.get("/console/statistics")
    assert r.status_code == 200
    html = r.text
    assert 'aria-current="page">统计<' in html
    # Window 12: 3 ratings, average (5+4+1)/3, Shenzhen score (10+8+0)/3, one bad of three.
    assert "<b>3</b>评价数" in html and "<b>3.333</b>" in html and "<b>6.0</b>" in html
    assert "33.3%" in html and "shenzhen" in html
    assert 'class="badbar"' in html and "<svg" in html
    assert " style=" not in html and "<script" not in html
    assert "statistics.xlsx?by=window&amp;since=" in html


async def test_by_matter_escapes_a_hostile_name(manager):
    html = (await manager.client.get("/console/statistics?by=matter")).text
    assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


async def test_a_bad_form_is_a_page_not_a_500(manager):
    for q in ("by=nope", "since=20261101", "since=2026-12-05&until=2026-12-01",
              "since=2024-01-01&until=2026-01-01"):
        r = await manager.client.get("/console/statistics?" + q)
        assert r.status_code == 422, q
        assert "出错了" in r.text


async def test_csv_and_xlsx_downloads_open(manager):
    r = await manager.client.get("/console/statistics.csv?by=staff")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    text = r.content.decode("utf-8-sig")
    assert text.startswith("工作人员,名称,评价数")
    assert "B02,\"'=HYPERLINK" in text and "A0101,王芳,2," in text
    r = await manager.client.get("/console/statistics.xlsx?by=window")
    assert r.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("窗口", "名称", "评价数")
    assert rows[1][0] == "12" and rows[1][2] == 3


async def test_downloads_need_a_session(api):
    r = await api.client.get("/console/statistics.csv")
    assert r.status_code == 303 and "/console/login" in r.headers["location"]


async def test_a_month_by_day_reads_settled_days_from_the_cache(manager):
    def backdate(db):          # a rating of 2026-11-03 in the hall's zone (UTC+8)
        rid = rate(db, "12", 2, labels=[214])
        t = 1793671200000          # 2026-11-03 10:00 +08:00
        db.execute("UPDATE ratings SET received_at = ? WHERE rating_id = ?", (t, rid))
        db.execute("UPDATE invitations SET created_at = ? WHERE eid = (SELECT eid FROM ratings "
                   "WHERE rating_id = ?)", (t, rid))
    manager.db_call(backdate)
    for _ in range(2):         # the second read comes from the per-day cache
        html = (await manager.client.get("/console/statistics?by=day&since=2026-11-01"
                                         "&until=2026-11-30")).text
        assert "<td>2026-11-03</td>" in html and "<b>1</b>评价数" in html
        assert "2026-11-01 至 2026-11-30" in html
    done = manager.db_call(lambda db: db.execute("SELECT COUNT(*) FROM stats_days_done")
                           .fetchone()[0])
    assert done >= 1
