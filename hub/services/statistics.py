"""Statistics of the hall's ratings (Shenzhen §20: matters, departments, staff,
active-rating rate, rectification), per window, staff, matter, department,
or day / week / month of the hall's zone, over a period [since, until).

For each group (and the total):
- ratings: accepted ratings received in the period (refused ones, 一次一评 and
  cases never sent, are not ratings of a case), per level;
- average_level (5 best) and score: the mean of the points of the score
  preset ([statistics] score_preset: shenzhen 10/8/6/3/0, loudi
  100/80/60/40/0, or a list of 5 for levels 5..1);
- bad, bad_rate: ratings of the bad levels (差评: 不满意, 非常不满意) ÷ ratings;
- finished_cases, rated_cases, active_rate: over the invitations created in
  the period (each is a case the window business system finished, 办结).
  A case (case serial + visit) is finished when one of its invitations
  closed: rated, timed_out, superseded or expired; one still queued or
  shown is not decided yet, a cancelled one was a mistake and counts for
  nothing. A case invited twice (expired, then invited again) counts once
  (once a day, when the two invitations were made on different days).
  rated_cases: finished cases whose invitation is rated. active_rate =
  rated_cases ÷ finished_cases (主动评价率);
- channels: buttons (the hall terminal, channel 5), qr (channel 3),
  follow_up (追加评价, assess_number 2, any channel), other;
- rectification: items opened in the period (one per bad review), closed
  (已办结 or 无效差评 by now), on_time (closed before close_due), overdue (open
  past a deadline now); rate = closed ÷ opened, on_time_rate = on_time ÷ closed.

Department: the invitation's dept_code when the business system gave one,
else the hall's [upstream] dept_code (the department every case is
forwarded under), else "" (none configured).

Read only, except that rectification deadlines must be scheduled first
(hub.services.rectification.schedule): callers that may write do it, and
fill the per-day cache (hub/services/statistics_cache.py) that makes a month
or a year fast.
"""

import datetime

from hub.errors import HubError
from hub.services.common import now_ms
from hub.services.rectification import FINAL, OPEN
from protocol import domain

BYS = ("window", "staff", "matter", "dept", "day", "week", "month")
MAX_PERIOD_MS = 367 * 86400 * 1000        # a year (and a day for a leap year's edge)
CLOSED_STATES = ("rated", "timed_out", "superseded", "expired")
CHANNEL_BUTTONS, CHANNEL_QR, FOLLOW_UP = 5, 3, 2


def scores_of(preset):
    """[statistics] score_preset -> {level: points}."""
    from hub.config import SCORE_PRESETS
    points = SCORE_PRESETS[preset] if isinstance(preset, str) else list(preset)
    return dict(zip(domain.LEVELS, points))


def _time_key(column, by, offset_ms):
    local = "(%s + %d) / 1000, 'unixepoch'" % (column, int(offset_ms))
    if by == "day":
        return "date(%s)" % local
    if by == "week":        # the Monday of its ISO week
        return "date(%s, 'weekday 0', '-6 days')" % local
    return "strftime('%%Y-%%m', %s)" % local


def _key(by, table, offset_ms):
    """SQL of the group key for rows of TABLE: r (ratings), i (invitations),
    x (rectifications), each with i joined where the key needs it."""
    time_col = {"r": "r.received_at", "i": "i.created_at", "x": "x.opened_at"}[table]
    own = "i" if by in ("matter", "dept") else table
    if by in ("day", "week", "month"):
        return _time_key(time_col, by, offset_ms)
    if by == "window":
        return "%s.window" % own
    if by == "staff":
        return "%s.staff_id" % own
    if by == "matter":
        return "i.matter_code"
    return "COALESCE(NULLIF(i.dept_code, ''), ?)"


def _period(since, until):
    for name, v in (("from", since), ("until", until)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise HubError("bad_request", "%s must be a time" % name, 422, field=name)
    if until <= since:
        raise HubError("bad_request", "to must be after from", 422, field="to")
    if until - since > MAX_PERIOD_MS:
        raise HubError("bad_request", "the period is at most a year (367 days); ask year by "
                       "year for more", 422, field="to")


def _group():
    return {"ratings": 0, "levels": dict.fromkeys(domain.LEVELS, 0), "level_sum": 0,
            "bad": 0, "channels": {"buttons": 0, "qr": 0, "follow_up": 0, "other": 0},
            "finished_cases": 0, "rated_cases": 0, "name": None,
            "rectification": {"opened": 0, "closed": 0, "on_time": 0, "overdue": 0}}


def _day_start_sql(column, offset_ms):
    """SQL: epoch ms of the hall-time midnight that starts COLUMN's day."""
    return "(((%s + %d) / 86400000) * 86400000 - %d)" % (column, offset_ms, offset_ms)


def _base_key(by, table, offset_ms):
    """The key a per-day cache row holds: the department as stored (the
    configured one is put in when read), the day for day/week/month."""
    if by == "dept":
        return "COALESCE(i.dept_code, '')"
    return _key("day" if by in ("week", "month") else by, table, offset_ms)


def ratings_part(db, by, since, until, offset_ms, window=None, per_day=False):
    """-> rows (day_start or None, key, level, channel, assess_number, n) of the
    accepted ratings received in [since, until), by the index ratings_received.
    No covering index: it would cost every stored rating, and the live part is
    a day or two (the rest comes from hub/services/statistics_cache.py)."""
    join = " JOIN invitations i ON i.eid = r.eid" if by in ("matter", "dept") else ""
    day = _day_start_sql("r.received_at", offset_ms) if per_day else "NULL"
    win_sql, win = (" AND r.window = ?", [window]) if window is not None else ("", [])
    return db.execute(
        "SELECT %s, %s, r.level, r.channel, r.assess_number, COUNT(*) FROM ratings r "
        "INDEXED BY ratings_received%s WHERE r.received_at >= ? AND r.received_at < ? AND "
        "r.status = 'accepted'%s GROUP BY 1, 2, 3, 4, 5"
        % (day, _base_key(by, "r", offset_ms), join, win_sql), [since, until] + win).fetchall()


def cases_part(db, by, since, until, offset_ms, window=None, per_day=False):
    """-> rows (day_start or None, key, finished, rated, name) over the invitations
    created in [since, until) (the module docstring defines finished and rated)."""
    names = {"staff": "MAX(i.staff_name)", "matter": "MAX(i.matter_name)"}.get(by, "NULL")
    day = _day_start_sql("i.created_at", offset_ms)
    win_sql, win = (" AND i.window = ?", [window]) if window is not None else ("", [])
    # Each case once a day: the same on a day read live and on a day from the cache.
    return db.execute(
        "SELECT %s, %s, COUNT(DISTINCT %s || char(31) || i.case_serial || char(31) || i.visit), "
        "SUM(i.state = 'rated'), %s FROM invitations i INDEXED BY invitations_created "
        "WHERE i.created_at >= ? AND i.created_at < ? AND i.state IN (%s)%s GROUP BY 1, 2"
        % (day if per_day else "NULL", _base_key(by, "i", offset_ms), day, names,
           ", ".join("'%s'" % s for s in CLOSED_STATES), win_sql),
        [since, until] + win).fetchall()


CHANNEL_KINDS = ("buttons", "qr", "follow_up", "other")


def rating_vectors(rows):
    """ratings_part rows -> {(day, key): [n of levels 5..1, then of CHANNEL_KINDS]}:
    what a group needs, whatever the level and channel of each rating together."""
    out = {}
    width = len(domain.LEVELS)
    for day, key, level, channel, assess, n in rows:
        vec = out.setdefault((day, key), [0] * (width + len(CHANNEL_KINDS)))
        if level in domain.LEVELS:
            vec[domain.LEVELS.index(level)] += n
        kind = ("follow_up" if assess == FOLLOW_UP else "buttons" if channel == CHANNEL_BUTTONS
                else "qr" if channel == CHANNEL_QR else "other")
        vec[width + CHANNEL_KINDS.index(kind)] += n
    return out


def _regroup(by, key, dept_code):
    """A base key (a day for day/week/month, a stored department) -> BY's key."""
    if by == "dept":
        return key or dept_code
    if by in ("week", "month") and key:
        d = datetime.date.fromisoformat(key)
        return (d - datetime.timedelta(days=d.weekday())).isoformat() if by == "week" \
            else key[:7]
    return key


def compute(db, by, since, until, preset="shenzhen", offset_ms=8 * 3600 * 1000, dept_code="",
            window=None, now=None):
    """-> {"by", "since", "until", "scores", "rows": [group], "total": group}
    with groups as the module docstring says; rows sorted by key. WINDOW: only
    that window's ratings, cases and items. Days the per-day cache holds
    (hub/services/statistics_cache.py) are read from it, the rest live."""
    from hub.services import statistics_cache
    if by not in BYS:
        raise HubError("bad_request", "by must be one of %s, got %r" % (", ".join(BYS), by),
                       422, field="by")
    _period(since, until)
    points = scores_of(preset)
    groups = {}

    def g(key):
        key = "" if key is None else str(key)
        if key not in groups:
            groups[key] = _group()
        return groups[key]

    cached, live = (([], [(since, until)]) if window is not None else
                    statistics_cache.split(db, by, since, until, offset_ms, now))
    vectors, case_rows = [], []
    for a, b in live:
        vectors += rating_vectors(ratings_part(db, by, a, b, offset_ms, window)).items()
        case_rows += cases_part(db, by, a, b, offset_ms, window)
    for c in cached:
        more_v, more_c = statistics_cache.read(db, by, offset_ms, *c)
        vectors += more_v
        case_rows += more_c
    for (_day, key), vec in vectors:
        s = g(_regroup(by, key, dept_code))
        for level, n in zip(domain.LEVELS, vec):
            s["ratings"] += n
            s["level_sum"] += level * n
            s["levels"][level] += n
            if domain.is_bad(level):
                s["bad"] += n
        for kind, n in zip(CHANNEL_KINDS, vec[len(domain.LEVELS):]):
            s["channels"][kind] += n
    for _day, key, finished, rated, name in case_rows:
        s = g(_regroup(by, key, dept_code))
        s["finished_cases"] += finished
        s["rated_cases"] += rated or 0
        s["name"] = name or s["name"]
    _rectification(db, by, since, until, offset_ms, dept_code, window, now_ms(now), g)
    if by == "window":
        for w, name in db.execute("SELECT window, name FROM windows"):
            if w in groups and name:
                groups[w]["name"] = name
    total = _group()
    for s in groups.values():
        _add(total, s)
    return {"by": by, "since": since, "until": until, "scores": [points[lv] for lv in domain.LEVELS],
            "rows": [_finish(dict(s, key=k), points) for k, s in sorted(groups.items())],
            "total": _finish(dict(total, key=None), points)}


def _rectification(db, by, since, until, offset_ms, dept_code, window, t, g):
    """Items opened in the period, always read live (their states change)."""
    dept = [dept_code] if by == "dept" else []
    win_sql, win = (" AND x.window = ?", [window]) if window is not None else ("", [])
    join = (" JOIN ratings r ON r.rating_id = x.rating_id JOIN invitations i ON i.eid = r.eid"
            if by in ("matter", "dept") else "")
    final = ", ".join("'%s'" % s for s in FINAL)
    for key, opened, closed, on_time, overdue in db.execute(
            "SELECT %s, COUNT(*), SUM(x.state IN (%s)), SUM(x.state IN (%s) AND x.closed_at < "
            "x.close_due), SUM(x.state IN (%s) AND (x.close_due <= ? OR (x.state = "
            "'pending_check' AND x.contact_due <= ?))) FROM rectifications x%s WHERE "
            "x.opened_at >= ? AND x.opened_at < ?%s GROUP BY 1"
            % (_key(by, "x", offset_ms), final, final, ", ".join("'%s'" % s for s in OPEN),
               join, win_sql), dept + [t, t, since, until] + win):
        rc = g(key)["rectification"]
        rc["opened"] += opened
        rc["closed"] += closed or 0
        rc["on_time"] += on_time or 0
        rc["overdue"] += overdue or 0


def _add(into, s):
    for k in ("ratings", "level_sum", "bad", "finished_cases", "rated_cases"):
        into[k] += s[k]
    for part in ("levels", "channels", "rectification"):
        for k, v in s[part].items():
            into[part][k] += v


def _ratio(a, b, digits=4):
    return round(a / b, digits) if b else None


def _finish(s, points):
    n = s["ratings"]
    rc = s["rectification"]
    out = {"key": s["key"], "name": s["name"], "ratings": n,
           "levels": {str(lv): s["levels"][lv] for lv in domain.LEVELS},
           "average_level": _ratio(s["level_sum"], n, 3),
           "score": _ratio(sum(points[lv] * c for lv, c in s["levels"].items()), n, 3),
           "bad": s["bad"], "bad_rate": _ratio(s["bad"], n),
           "finished_cases": s["finished_cases"], "rated_cases": s["rated_cases"],
           "active_rate": _ratio(s["rated_cases"], s["finished_cases"]),
           "channels": dict(s["channels"]),
           "rectification": dict(rc, rate=_ratio(rc["closed"], rc["opened"]),
                                 on_time_rate=_ratio(rc["on_time"], rc["closed"]))}
    return out


def period(since, until, tz):
    """A period asked for (epoch ms, each may be None) -> (since, until):
    by default today in the hall's zone TZ, and until a day after since."""
    if since is None:
        today = datetime.datetime.now(tz).date()
        since = int(datetime.datetime.combine(today, datetime.time(), tz).timestamp() * 1000)
    return since, since + 86400 * 1000 if until is None else until


def for_config(db, cfg, by, since, until, window=None, now=None):
    """compute() with the hub config's preset, zone and department."""
    return compute(db, by, since, until, cfg.statistics.score_preset,
                   cfg.hall.tz_offset_minutes * 60000, cfg.upstream.dept_code, window, now)
