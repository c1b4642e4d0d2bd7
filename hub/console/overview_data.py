"""What the hall overview shows, read in one pass over the database.

Per window: its terminal (online, printer, journal depth, last problem), who
is on duty, and today's figures: cases finished (invitations made today, not
cancelled), ratings (accepted ones received today), satisfaction (average
level, 5 = 非常满意), bad reviews (不满意 / 非常不满意), and the active-rating
rate: cases of today rated ÷ cases of today. Plus the same figures for the
whole hall. "Today" is the hall's calendar day ([hall] tz_offset_minutes).
No applicant data is read.
"""

import datetime

from hub.services import duty, ratings, terminals, windows


def day_start_ms(tz, now=None):
    now = now or datetime.datetime.now(tz)
    start = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    return int(start.timestamp() * 1000)


def _figures(cases=0, rated=0, n=0, level_sum=0, bad=0):
    return {"cases": cases, "rated": rated, "ratings": n, "bad": bad,
            "satisfaction": round(level_sum / n, 2) if n else None,
            "active_rate": round(100.0 * rated / cases, 1) if cases else None}


def read(db, since_ms):
    cases = {w: (c, r) for w, c, r in db.execute(
        "SELECT window, COUNT(*), SUM(state = 'rated') FROM invitations "
        "WHERE created_at >= ? AND state != 'cancelled' GROUP BY window", (since_ms,))}
    rated = {w: (n, s, b) for w, n, s, b in db.execute(
        "SELECT window, COUNT(*), SUM(level), SUM(CASE WHEN %s THEN 1 ELSE 0 END) FROM ratings "
        "WHERE received_at >= ? AND status = 'accepted' GROUP BY window"
        % ratings.bad_level_sql("level"), (since_ms,))}
    by_window = {}
    for t in terminals.list_all(db):
        by_window.setdefault(t["window"], []).append(t)
    rows, total = [], [0, 0, 0, 0, 0]
    for w in windows.list_all(db):
        win = w["window"]
        c, r = cases.get(win, (0, 0))
        n, s, b = rated.get(win, (0, 0, 0))
        for i, v in enumerate((c, r or 0, n, s or 0, b or 0)):
            total[i] += v
        rows.append({"window": win, "name": w["name"], "terminals": by_window.get(win, []),
                     "duty": duty.current(db, win), "today": _figures(c, r or 0, n, s or 0, b or 0)})
    online = sum(1 for ts in by_window.values() for t in ts if t["online"])
    count = sum(len(ts) for ts in by_window.values())
    return {"windows": rows, "today": _figures(*total), "terminals_online": online,
            "terminals": count}
