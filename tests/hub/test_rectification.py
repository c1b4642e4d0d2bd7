"""Rectification of bad reviews (hub/services/rectification.py) over a real
SQLite file: every bad review opens an item, deadlines in working days over
Spring Festival 2026, the state table, who and when, overdue, the rating kept."""

import sqlite3

import pytest

from hub.errors import HubError
from hub.services import audit, rectification as rect
from tests.support.rated import TZ, ms, rate

RULES = rect.Rules(2, 10, TZ)


@pytest.fixture
def db(store_db):
    return store_db


def test_every_bad_review_opens_one_item_and_good_ones_none(db):
    t = ms(2026, 3, 2)
    for lv in (5, 4, 3, 2, 1, 1):
        rate(db, "12", lv, t)
    items = rect.query(db, rules_=RULES, now=t)["items"]
    assert sorted(i["level"] for i in items) == [1, 1, 2]
    assert {i["state"] for i in items} == {"pending_check"}
    assert all(i["labels"] and i["window"] == "12" and i["staff_id"] == "S01" for i in items)
    # a refused rating (一次一评: a second rating of a rated visit) opens none
    assert db.execute("SELECT COUNT(*) FROM rectifications").fetchone()[0] == 3


def test_deadlines_cross_spring_festival_and_become_overdue_on_the_right_day(db):
    opened = ms(2026, 2, 13, 16)           # Friday before the holiday
    rid = rate(db, "12", 1, opened)["rating_id"]
    assert rect.needs_schedule(db)
    assert rect.schedule(db, RULES) == 1 and not rect.needs_schedule(db)
    item = rect.query(db, now=opened)["items"][0]
    assert item["rating_id"] == rid
    # contact within 2 working days: Sat 14 (make-up), then Tue 24; close within 10: Thu 5 March
    assert item["contact_due"] == ms(2026, 2, 25, 0)
    assert item["close_due"] == ms(2026, 3, 6, 0)
    assert not item["deadline_estimated"]
    just_before = ms(2026, 2, 25, 0) - 1
    assert not rect.get(db, item["id"], just_before)["overdue"]
    late = rect.get(db, item["id"], ms(2026, 2, 25, 0))
    assert late["overdue"] and late["overdue_contact"] and not late["overdue_close"]
    c = rect.counts(db, now=ms(2026, 2, 25, 9))
    assert c["overdue"] == c["overdue_contact"] == c["open"] == 1
    assert rect.query(db, overdue=True, now=ms(2026, 2, 25, 9))["total"] == 1
    assert rect.query(db, overdue=False, now=just_before)["total"] == 1
    rect.transition(db, item["id"], "contacted", "alice", now=ms(2026, 2, 25, 9))
    assert not rect.get(db, item["id"], ms(2026, 3, 5, 23))["overdue"]
    assert rect.get(db, item["id"], ms(2026, 3, 6, 0))["overdue_close"]


def test_states_in_order_with_who_and_when_in_history_and_audit(db):
    t = ms(2026, 3, 2)
    rate(db, "12", 2, t)
    item_id = rect.query(db, rules_=RULES, now=t)["items"][0]["id"]
    rect.schedule(db, RULES)
    rect.transition(db, item_id, "contacted", "alice", note="电话联系了办事人", now=t + 1)
    rect.transition(db, item_id, "rectifying", "bob", now=t + 2)
    done = rect.transition(db, item_id, "closed", "alice", note="窗口培训完成", now=t + 3)
    assert done["state"] == "closed" and done["state_name"] == "已办结"
    assert done["closed_on_time"] is True and done["updated_by"] == "alice"
    assert [(s["actor"], s["from_state"], s["to_state"], s["at"]) for s in done["history"]] == [
        ("alice", "pending_check", "contacted", t + 1), ("bob", "contacted", "rectifying", t + 2),
        ("alice", "rectifying", "closed", t + 3)]
    logged = audit.recent(db, action="rectification.closed")
    assert logged and logged[0]["actor"] == "alice" and logged[0]["subject"] == str(item_id)


def test_illegal_moves_are_refused_naming_the_states(db):
    t = ms(2026, 3, 2)
    rate(db, "12", 1, t)
    item_id = rect.query(db, now=t)["items"][0]["id"]
    with pytest.raises(HubError) as e:
        rect.transition(db, item_id, "closed", "alice", note="x", now=t)
    assert e.value.status == 409 and e.value.code == "illegal_transition"
    assert "pending_check" in e.value.message and "contacted" in e.value.message
    with pytest.raises(HubError) as e:
        rect.transition(db, item_id, "invalid", "alice", note="监控显示误按", now=t)
    assert e.value.field == "reason" and e.value.status == 422
    with pytest.raises(HubError) as e:
        rect.transition(db, item_id, "invalid", "alice", reason="mistaken", now=t)
    assert e.value.field == "note"
    with pytest.raises(HubError) as e:
        rect.transition(db, item_id, "contacted", "", now=t)
    assert e.value.field == "by"
    with pytest.raises(HubError) as e:
        rect.transition(db, 999, "contacted", "alice", now=t)
    assert e.value.status == 404
    out = rect.transition(db, item_id, "invalid", "alice", reason="malicious",
                          note="同一人连续按键, 视频佐证", now=t)
    assert out["state_name"] == "无效差评" and out["invalid_reason_name"] == "恶意评价"
    with pytest.raises(HubError) as e:
        rect.transition(db, item_id, "contacted", "alice", now=t)
    assert "final" in e.value.message


def test_a_note_with_a_phone_or_id_number_is_refused(db):
    t = ms(2026, 3, 2)
    rate(db, "12", 1, t)
    item_id = rect.query(db, now=t)["items"][0]["id"]
    for note in ("已联系 13812345678", "身份证 11010519491231002X"):
        with pytest.raises(HubError) as e:
            rect.transition(db, item_id, "contacted", "alice", note=note, now=t)
        assert e.value.field == "note" and "identity" in e.value.message
    # a case serial is no identity
    rect.transition(db, item_id, "contacted", "alice", note="办件 SZ20240611000123", now=t)


def test_the_rating_itself_is_never_changed_or_deleted(db):
    t = ms(2026, 3, 2)
    rid = rate(db, "12", 1, t)["rating_id"]
    with pytest.raises(sqlite3.IntegrityError, match="never changed"):
        db.execute("UPDATE ratings SET level = 5 WHERE rating_id = ?", (rid,))
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        db.execute("DELETE FROM ratings WHERE rating_id = ?", (rid,))
    assert db.execute("SELECT level FROM ratings WHERE rating_id = ?", (rid,)).fetchone()[0] == 1


def test_beyond_the_calendar_deadlines_are_estimated_and_said(db, caplog):
    opened = ms(2026, 12, 28)
    rate(db, "12", 2, opened)
    rect.schedule(db, RULES)
    item = rect.query(db, now=opened)["items"][0]
    assert item["deadline_estimated"] is True
    assert "2027" in caplog.text and "chinese-calendar" in caplog.text


def test_filters_and_paging(db):
    t = ms(2026, 3, 2)
    for w in ("1", "2", "2"):
        rate(db, w, 1, t)
    assert rect.query(db, window="2", now=t)["total"] == 2
    assert rect.query(db, staff_id="nobody", now=t)["total"] == 0
    assert rect.query(db, since=t + 10 ** 7, now=t)["total"] == 0
    page = rect.query(db, size=2, page=2, now=t)
    assert page["total"] == 3 and len(page["items"]) == 1
    with pytest.raises(HubError) as e:
        rect.query(db, state="nope")
    assert e.value.field == "state"
