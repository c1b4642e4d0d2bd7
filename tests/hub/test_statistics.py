"""Statistics (hub/services/statistics.py) and their exports, over a real
SQLite file; the API's GET /api/v1/statistics and the rectification routes
in-process."""

import csv
import io

import openpyxl
import pytest

from hub.errors import HubError
from hub.services import invitations, rectification as rect, statistics, statistics_export
from tests.support.rated import TZ, ms, rate

OFF = 480 * 60000


@pytest.fixture
def db(store_db):
    return store_db


def fill(db):
    t = ms(2026, 3, 2)
    for lv in (5, 5, 4, 1):
        rate(db, "1", lv, t, staff=("S01", "张三"))
    rate(db, "2", 2, t + 86400000, staff=("S02", "李四"), matter=("M200", "=HYPERLINK(\"x\")"))
    rate(db, "2", 3, t + 86400000, staff=("S02", "李四"), channel=3)
    # a case that timed out (finished, not rated), and one still queued (not finished)
    inv = invitations.create(db, "1", "TIMEOUT-1", "M100", "营业执照办理", staff_id="S01",
                             staff_name="张三", now=t)
    db.execute("UPDATE invitations SET state = 'timed_out' WHERE eid = ?", (inv["eid"],))
    invitations.create(db, "1", "OPEN-1", "M100", "营业执照办理", staff_id="S01",
                       staff_name="张三", now=t)
    rect.schedule(db, rect.Rules(2, 10, TZ))
    return t


def test_by_window_counts_scores_rates_and_channels(db):
    t = fill(db)
    out = statistics.compute(db, "window", ms(2026, 3, 1), ms(2026, 4, 1), "shenzhen", OFF,
                             now=t)
    w1, w2 = out["rows"]
    assert (w1["key"], w1["ratings"], w1["bad"]) == ("1", 4, 1)
    assert w1["levels"] == {"5": 2, "4": 1, "3": 0, "2": 0, "1": 1}
    assert w1["average_level"] == 3.75 and w1["score"] == 7.0      # (10+10+8+0)/4
    assert w1["bad_rate"] == 0.25
    assert (w1["finished_cases"], w1["rated_cases"], w1["active_rate"]) == (5, 4, 0.8)
    assert w2["channels"] == {"buttons": 1, "qr": 1, "follow_up": 0, "other": 0}
    assert w1["rectification"]["opened"] == 1 and w2["rectification"]["opened"] == 1
    assert out["total"]["ratings"] == 6 and out["scores"] == [10, 8, 6, 3, 0]
    loudi = statistics.compute(db, "window", ms(2026, 3, 1), ms(2026, 4, 1), "loudi", OFF, now=t)
    assert loudi["rows"][0]["score"] == 70.0
    custom = statistics.compute(db, "window", ms(2026, 3, 1), ms(2026, 4, 1), [5, 4, 3, 2, 1],
                                OFF, now=t)
    assert custom["rows"][0]["score"] == 3.75


def test_by_staff_matter_dept_and_periods(db):
    fill(db)
    a, b = ms(2026, 3, 1), ms(2026, 4, 1)
    staff = statistics.compute(db, "staff", a, b, offset_ms=OFF)["rows"]
    assert [(r["key"], r["name"], r["ratings"]) for r in staff] == [("S01", "张三", 4),
                                                                   ("S02", "李四", 2)]
    matters = statistics.compute(db, "matter", a, b, offset_ms=OFF)["rows"]
    assert [r["key"] for r in matters] == ["M100", "M200"]
    dept = statistics.compute(db, "dept", a, b, offset_ms=OFF, dept_code="001008001")["rows"]
    assert [(r["key"], r["ratings"]) for r in dept] == [("001008001", 6)]
    days = statistics.compute(db, "day", a, b, offset_ms=OFF)["rows"]
    assert [(r["key"], r["ratings"]) for r in days] == [("2026-03-02", 4), ("2026-03-03", 2)]
    weeks = statistics.compute(db, "week", a, b, offset_ms=OFF)["rows"]
    assert [r["key"] for r in weeks] == ["2026-03-02"]            # a Monday
    months = statistics.compute(db, "month", a, b, offset_ms=OFF)["rows"]
    assert [r["key"] for r in months] == ["2026-03"]
    one = statistics.compute(db, "window", a, b, offset_ms=OFF, window="2")
    assert [r["key"] for r in one["rows"]] == ["2"]


def test_rectification_rate_in_the_statistics(db):
    t = fill(db)
    item = rect.query(db, window="1", now=t)["items"][0]
    for to, note in (("contacted", None), ("rectifying", None), ("closed", "已整改")):
        rect.transition(db, item["id"], to, "alice", note=note, now=t + 1000)
    out = statistics.compute(db, "window", ms(2026, 3, 1), ms(2026, 4, 1), offset_ms=OFF,
                             now=ms(2026, 3, 20))
    r1, r2 = (r["rectification"] for r in out["rows"])
    assert (r1["opened"], r1["closed"], r1["on_time"], r1["rate"], r1["on_time_rate"]) == \
        (1, 1, 1, 1.0, 1.0)
    assert (r2["closed"], r2["overdue"], r2["rate"]) == (0, 1, 0.0)
    assert out["total"]["rectification"]["overdue"] == 1


def test_bad_periods_and_groupings_are_refused(db):
    with pytest.raises(HubError) as e:
        statistics.compute(db, "nope", 0, 1)
    assert e.value.field == "by"
    with pytest.raises(HubError) as e:
        statistics.compute(db, "day", 10, 5)
    assert e.value.field == "to"
    with pytest.raises(HubError) as e:
        statistics.compute(db, "day", 0, 400 * 86400000)
    assert "year" in e.value.message


def test_a_hyperlink_in_a_matter_name_is_inert_in_csv_and_xlsx(db, tmp_path):
    fill(db)
    result = statistics.compute(db, "matter", ms(2026, 3, 1), ms(2026, 4, 1), offset_ms=OFF)
    text = statistics_export.csv_bytes(result).decode("utf-8-sig")
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert "'=HYPERLINK(\"x\")" in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    path = tmp_path / "s.xlsx"
    path.write_bytes(statistics_export.xlsx_bytes(result))
    ws = openpyxl.load_workbook(path).active
    values = [c for row in ws.iter_rows() for c in row]
    hostile = [c for c in values if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert hostile and all(c.data_type == "s" and c.value.startswith("'") for c in hostile)
    assert not any(c.data_type == "f" for c in values)
    assert ws.cell(row=1, column=1).value == "事项" and values[-ws.max_column].value == "合计"


def test_the_day_cache_gives_the_live_figures_and_forgets_a_changed_day(db):
    from hub.services import statistics_cache as cache
    t = fill(db)
    now = ms(2026, 3, 20)
    a, b = ms(2026, 3, 1, 0), ms(2026, 4, 1, 0)
    for by in statistics.BYS:
        live = statistics.compute(db, by, a, b, offset_ms=OFF, dept_code="D1", now=now)
        # 1 to 18 March have settled (ended a day ago); day serves week and month
        assert cache.fill(db, by, a, b, OFF, now=now) == (0 if by in ("week", "month") else 18)
        assert cache.split(db, by, a, b, OFF, now)[0] == [(a, ms(2026, 3, 19, 0))]
        assert statistics.compute(db, by, a, b, offset_ms=OFF, dept_code="D1", now=now) == live, by
    # a late rating of the case that timed out on 2 March: that day is read live again
    inv = db.execute("SELECT eid FROM invitations WHERE case_serial = 'TIMEOUT-1'").fetchone()[0]
    gen = cache.compute_days(db, "window", a, b, OFF)[0]
    db.execute("UPDATE invitations SET state = 'rated' WHERE eid = ?", (inv,))
    cached, live = cache.split(db, "window", a, b, OFF, now)
    assert (ms(2026, 3, 2, 0), ms(2026, 3, 3, 0)) in live
    assert not cache.store(db, "window", OFF, a, ms(2026, 3, 2, 0), gen, [], [])
    out = statistics.compute(db, "window", a, b, offset_ms=OFF, now=now)
    assert out["rows"][0]["rated_cases"] == 5 and t
