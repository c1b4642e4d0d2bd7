"""Rectification of bad reviews (差评整改): one work item per bad review.

An item is opened by the database itself when an accepted rating of a bad
level is stored (trigger of hub/store/schema_rectification.py, in the
rating's own transaction): nothing that stores a rating can miss one. Its
deadlines come from the hall's config ([rectification] contact_days,
close_days: working days on the holiday calendar, hub/workdays.py), which
a trigger cannot read, so `schedule` fills them; every function here that
reads items schedules first when it may write (the CLI, the API through
the writer), and `with_dues` computes them for a reader that may not.

States (codes in the API and the store, names on screen):

    pending_check 待核实 -> contacted 已联系 -> rectifying 整改中 -> closed 已办结
    pending_check | contacted -> invalid 无效差评 (reason mistaken 误评 |
                                                   malicious 恶意评价, and evidence)

Every move records who (an actor string: the console's signed-in user, the
API client, the CLI's OS user) and when, in rectification_steps and in the
audit log; a move the table does not allow is refused, naming the states.
Overdue: still pending_check once contact_due has come (contact), or not
closed/invalid once close_due has come (close). The rating itself is never
changed or hidden (triggers refuse it); no applicant data is read or shown,
and a note holding a phone or ID number is refused.
"""

import datetime
import functools
import logging
import re
from typing import NamedTuple

from hub import halltime, workdays
from hub.errors import HubError
from hub.services import audit
from hub.services.common import and_equal, loads, now_ms, row
from hub.services.ratings import LABEL_TEXTS
from hub.store import tx
from protocol import domain

log = logging.getLogger("hub.rectification")

PENDING, CONTACTED, RECTIFYING, CLOSED, INVALID = (
    "pending_check", "contacted", "rectifying", "closed", "invalid")
STATES = (PENDING, CONTACTED, RECTIFYING, CLOSED, INVALID)
NAMES = {PENDING: "待核实", CONTACTED: "已联系", RECTIFYING: "整改中", CLOSED: "已办结",
         INVALID: "无效差评"}
NEXT = {PENDING: (CONTACTED, INVALID), CONTACTED: (RECTIFYING, INVALID),
        RECTIFYING: (CLOSED,), CLOSED: (), INVALID: ()}
OPEN = (PENDING, CONTACTED, RECTIFYING)
FINAL = (CLOSED, INVALID)
REASONS = {"mistaken": "误评", "malicious": "恶意评价"}
NOTE_MAX = 500
ACTOR_MAX = 64
MAX_SIZE, MAX_PAGE = 500, 10 ** 9
# A citizen's mobile number or ID number must not enter the hub by a note.
_PERSONAL = re.compile(r"(?<!\d)(1[3-9]\d{9}|\d{17}[\dXx])(?![\dXx])")


class Rules(NamedTuple):
    contact_days: int
    close_days: int
    tz: datetime.tzinfo


def rules(cfg):
    """The hall's rules from its config."""
    return Rules(cfg.rectification.contact_days, cfg.rectification.close_days,
                 halltime.zone(cfg))


def _bad(field, message, code="bad_request", status=422):
    return HubError(code, message, status, field=field)


# -- deadlines -------------------------------------------------------------------

def _end_of(day, tz):
    """Epoch ms at which DAY (a date in the hall's zone) has passed."""
    nxt = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(), tz)
    return int(nxt.timestamp() * 1000)


@functools.lru_cache(maxsize=4096)
def _after(day, n):
    # Items of one day share their deadlines: scheduling a backlog counts each day once.
    return workdays.days_after(day, n, fallback=True)


def dues(opened_at, r):
    """-> (contact_due, close_due, exact, note) for an item opened at OPENED_AT (ms)."""
    day = datetime.datetime.fromtimestamp(opened_at / 1000, r.tz).date()
    contact, close = _after(day, r.contact_days), _after(day, r.close_days)
    exact = contact.exact and close.exact
    return (_end_of(contact.date, r.tz), _end_of(close.date, r.tz), exact,
            None if exact else close.note or contact.note)


def needs_schedule(db):
    """Is there an item without deadlines, or with estimated ones the calendar can now count?"""
    last = workdays.known_years()[1]
    # Two EXISTS, each on its partial index, named: the planner scanned every item
    # (47 ms at 80,000 items) for what the indexes answer in microseconds.
    return bool(db.execute(
        "SELECT EXISTS (SELECT 1 FROM rectifications INDEXED BY rectifications_unscheduled "
        "WHERE contact_due IS NULL) OR EXISTS (SELECT 1 FROM rectifications INDEXED BY "
        "rectifications_estimated WHERE due_exact = 0 AND due_calendar_to < ? AND state IN "
        "('pending_check', 'contacted', 'rectifying'))", (last,)).fetchone()[0])


def schedule(db, r, limit=10000):
    """Fill the deadlines of new items (and count estimated ones again when the
    calendar has learnt their years) -> how many items were scheduled."""
    last = workdays.known_years()[1]
    n = 0
    with tx(db):
        todo = db.execute(
            "SELECT id, opened_at, contact_due FROM rectifications INDEXED BY "
            "rectifications_unscheduled WHERE contact_due IS NULL UNION ALL SELECT id, "
            "opened_at, contact_due FROM rectifications INDEXED BY rectifications_estimated "
            "WHERE due_exact = 0 "
            "AND due_calendar_to < ? AND state IN ('pending_check', 'contacted', 'rectifying') "
            "LIMIT ?", (last, limit)).fetchall()
        for item_id, opened_at, old in todo:
            contact, close, exact, note = dues(opened_at, r)
            if not exact:
                log.warning("rectification %d: %s", item_id, note)
            db.execute("UPDATE rectifications SET contact_days = ?, close_days = ?, "
                       "contact_due = ?, close_due = ?, due_exact = ?, due_calendar_to = ? "
                       "WHERE id = ?", (r.contact_days, r.close_days, contact, close,
                                        1 if exact else 0, last, item_id))
            n += 1
    return n


# -- reading ---------------------------------------------------------------------

_COLUMNS = ("x.id, x.rating_id, x.window, x.staff_id, x.level, x.opened_at, x.state, "
            "x.contact_days, x.close_days, x.contact_due, x.close_due, x.due_exact, "
            "x.contacted_at, x.closed_at, x.invalid_reason, x.evidence, x.updated_at, "
            "x.updated_by, r.case_serial, r.labels, r.other, r.channel, i.staff_name, "
            "i.matter_code, i.matter_name")
_FROM = (" FROM rectifications x JOIN ratings r ON r.rating_id = x.rating_id "
         "LEFT JOIN invitations i ON i.eid = r.eid")
_OVERDUE = ("((x.state = 'pending_check' AND x.contact_due <= ?) OR "
            "(x.state IN ('pending_check', 'contacted', 'rectifying') AND x.close_due <= ?))")


def _where(state=None, overdue=None, window=None, staff_id=None, since=None, until=None,
           now=None):
    if state is not None and state not in STATES:
        raise _bad("state", "state must be one of %s, got %r" % (", ".join(STATES), state))
    t = now_ms(now)
    more, params = and_equal((("x.state", state), ("x.window", window),
                              ("x.staff_id", staff_id)))
    sql = " WHERE 1=1" + more
    if since is not None:
        sql, params = sql + " AND x.opened_at >= ?", params + [since]
    if until is not None:
        sql, params = sql + " AND x.opened_at < ?", params + [until]
    if overdue is not None:
        sql += (" AND " if overdue else " AND NOT ") + _OVERDUE
        params += [t, t]
    return sql, params


def decode(r, now=None, rules_=None):
    """A row of the listing -> the item as shown outside (times in epoch ms)."""
    t = now_ms(now)
    item = dict(r)
    if item["contact_due"] is None and rules_ is not None:
        item["contact_due"], item["close_due"], exact, _ = dues(item["opened_at"], rules_)
        item["due_exact"] = 1 if exact else 0
    codes = loads(item.pop("labels"), [])
    state = item["state"]
    over_contact = state == PENDING and item["contact_due"] is not None \
        and item["contact_due"] <= t
    over_close = state in OPEN and item["close_due"] is not None and item["close_due"] <= t
    closed_late = None
    if state in FINAL and item["closed_at"] is not None and item["close_due"] is not None:
        closed_late = item["closed_at"] >= item["close_due"]
    item.update({
        "state_name": NAMES.get(state, state), "level_name": domain.LEVEL_NAMES.get(item["level"], ""),
        "labels": [{"code": c, "text": LABEL_TEXTS.get(c, "")} for c in codes],
        "other": bool(item["other"]), "deadline_estimated": item["due_exact"] == 0,
        "overdue_contact": over_contact, "overdue_close": over_close,
        "overdue": over_contact or over_close,
        "closed_on_time": None if closed_late is None else not closed_late,
        "invalid_reason_name": REASONS.get(item["invalid_reason"]),
    })
    del item["due_exact"]
    return item


def _page_int(value, field, hi):
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= hi:
        raise _bad(field, "%s must be a whole number from 1 to %d" % (field, hi))
    return value


def query(db, state=None, overdue=None, window=None, staff_id=None, since=None, until=None,
          page=1, size=50, now=None, rules_=None):
    """-> {"items", "total", "page", "size", "counts"}: items newest first;
    counts: open, overdue, overdue_contact, overdue_close over the same filters
    (but state and overdue)."""
    page, size = _page_int(page, "page", MAX_PAGE), _page_int(size, "size", MAX_SIZE)
    t = now_ms(now)
    where, params = _where(state, overdue, window, staff_id, since, until, t)
    total = db.execute("SELECT COUNT(*) FROM rectifications x" + where, params).fetchone()[0]
    rows = db.query("SELECT " + _COLUMNS + _FROM + where + " ORDER BY x.id DESC LIMIT ? OFFSET ?",
                    params + [size, (page - 1) * size])
    return {"items": [decode(r, t, rules_) for r in rows], "total": total, "page": page,
            "size": size, "counts": counts(db, window, staff_id, since, until, t)}


def counts(db, window=None, staff_id=None, since=None, until=None, now=None):
    """{state: n, open, overdue, overdue_contact, overdue_close} of the items that match."""
    t = now_ms(now)
    where, params = _where(None, None, window, staff_id, since, until, t)
    out = dict.fromkeys(STATES, 0)
    out.update(open=0, overdue=0, overdue_contact=0, overdue_close=0)
    for state, n, contact, close, either in db.execute(
            "SELECT state, COUNT(*), SUM(state = 'pending_check' AND contact_due <= ?), "
            "SUM(state IN ('pending_check', 'contacted', 'rectifying') AND close_due <= ?), "
            "SUM(%s) FROM rectifications x%s GROUP BY state" % (_OVERDUE, where),
            [t, t, t, t] + params):
        out[state] = n
        out["overdue_contact"] += contact or 0
        out["overdue_close"] += close or 0
        out["overdue"] += either or 0
        if state in OPEN:
            out["open"] += n
    return out


def get(db, item_id, now=None, rules_=None):
    """The item with its history (oldest step first), or None."""
    r = row(db, "SELECT " + _COLUMNS + _FROM + " WHERE x.id = ?", (item_id,))
    if r is None:
        return None
    item = decode(r, now, rules_)
    item["history"] = [dict(s) for s in db.query(
        "SELECT at, actor, from_state, to_state, reason, note FROM rectification_steps "
        "WHERE item_id = ? ORDER BY id", (item_id,))]
    return item


def require(db, item_id, now=None, rules_=None):
    item = get(db, item_id, now, rules_)
    if item is None:
        raise HubError("not_found", "rectification item %r does not exist; `pingjia rectify "
                       "list` or GET /api/v1/rectifications lists them" % (item_id,), 404,
                       field="item_id")
    return item


# -- moving ----------------------------------------------------------------------

def _text(value, field, required, what):
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _bad(field, "%s is required: %s" % (field, what))
        return None
    if not isinstance(value, str):
        raise _bad(field, "%s must be text" % field)
    value = value.strip()
    if len(value) > NOTE_MAX or any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise _bad(field, "%s: at most %d characters, no control characters" % (field, NOTE_MAX))
    if _PERSONAL.search(value):
        raise _bad(field, "%s holds what looks like a phone or ID number; the citizen's "
                   "identity is never written into the hub: describe the contact without it"
                   % field)
    return value


def check_actor(actor):
    if (not isinstance(actor, str) or not actor.strip() or len(actor) > ACTOR_MAX
            or not actor.isprintable()):
        raise _bad("by", "who moves the item: 1 to %d printable characters, e.g. a user "
                   "name, got %r" % (ACTOR_MAX, actor))
    return actor.strip()


def transition(db, item_id, to, actor, note=None, reason=None, now=None, rules_=None):
    """Move item ITEM_ID to state TO as ACTOR -> the item. `reason` (mistaken,
    malicious) and `note` (the evidence) are required for invalid; `note` (what
    was done) for closed. HubError 409 `illegal_transition` for a move the
    table does not allow, 404 for an unknown item."""
    actor = check_actor(actor)
    if to not in STATES:
        raise _bad("to", "to must be one of %s, got %r" % (", ".join(STATES), to))
    if to == INVALID:
        if reason not in REASONS:
            raise _bad("reason", "closing as invalid (无效差评) needs reason mistaken (误评) or "
                       "malicious (恶意评价), got %r" % (reason,))
        note = _text(note, "note", True, "the evidence that the review is invalid")
    else:
        if reason is not None:
            raise _bad("reason", "reason is only for to=invalid")
        note = _text(note, "note", to == CLOSED, "what was rectified")
    t = now_ms(now)
    with tx(db):
        if rules_ is not None:
            schedule(db, rules_)
        item = require(db, item_id, t)
        frm = item["state"]
        if to not in NEXT[frm]:
            allowed = ", ".join("%s (%s)" % (s, NAMES[s]) for s in NEXT[frm]) or "none: it is final"
            raise HubError("illegal_transition", "rectification %d is %s (%s) and cannot become "
                           "%s (%s); from %s it may become: %s" % (
                               item_id, frm, NAMES[frm], to, NAMES[to], frm, allowed),
                           409, field="to")
        sets = {"state": to, "updated_at": t, "updated_by": actor}
        if to == CONTACTED:
            sets["contacted_at"] = t
        if to in FINAL:
            sets["closed_at"] = t
        if to == INVALID:
            sets.update(invalid_reason=reason, evidence=note)
        elif to == CLOSED:
            sets["evidence"] = note
        cur = db.execute("UPDATE rectifications SET %s WHERE id = ? AND state = ?"
                         % ", ".join("%s = ?" % k for k in sets),
                         list(sets.values()) + [item_id, frm])
        if cur.rowcount != 1:      # someone moved it meanwhile
            raise HubError("illegal_transition", "rectification %d changed while this move "
                           "was made; read it again" % item_id, 409, field="to")
        db.execute("INSERT INTO rectification_steps (item_id, at, actor, from_state, to_state, "
                   "reason, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (item_id, t, actor, frm, to, reason, note))
        audit.log(db, actor, "rectification." + to, str(item_id),
                  {"from": frm, "to": to, "reason": reason, "rating_id": item["rating_id"]}, t)
    return require(db, item_id, t)
