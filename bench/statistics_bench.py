"""Statistics on a million ratings: p50 / p99 of each query of
hub/services/statistics.py, for a day and for a month of the hall.

    .venv/bin/python bench/statistics_bench.py [--ratings 1000000] [--runs 20] [--db FILE]

The database is filled directly (one transaction per 50,000 rows, as the
schema and its triggers store them: every bad rating opens a rectification
item), 50 windows, 200 staff, 300 matters, 5,000 ratings a day ending today,
and a tenth of the invitations timed out (no rating). The events trigger is off while
filling (a million invitation.created events are not what is measured).
A --db that exists is reused. Then every settled day goes into the per-day
cache (hub/services/statistics_cache.py, what the API and CLI do before a
query), and a day (read live, as today always is), 30 days and a year
(cached days plus a live part) are timed. Figures: docs/PERFORMANCE.md.
"""

import argparse
import os
import random
import statistics as stats
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from hub.services import rectification, statistics, statistics_cache  # noqa: E402
from hub.halltime import zone_of  # noqa: E402
from hub.store import open_db  # noqa: E402
from hub.store.schema_events import create_triggers  # noqa: E402

DAY = 86400 * 1000
OFF = 8 * 3600 * 1000
PER_DAY = 5000
LEVELS = [5] * 70 + [4] * 15 + [3] * 7 + [2] * 5 + [1] * 3


def fill(db, n, now):
    rnd = random.Random(7)
    conn = db.conn
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("DROP TRIGGER IF EXISTS events_invitation_created")
    for w in range(1, 51):
        conn.execute("INSERT OR IGNORE INTO windows (window, name, created_at) VALUES (?, ?, 0)",
                     (str(w), "%d号窗口" % w))
    days = n * 10 // 9 // PER_DAY + 1
    start = (now // DAY - days) * DAY - OFF
    inv, rat, i, rated = [], [], 0, 0
    t0 = time.perf_counter()
    while rated < n:
        at = start + int(i * DAY / PER_DAY) + rnd.randrange(1000)
        w = str(rnd.randrange(1, 51))
        staff = "S%03d" % rnd.randrange(200)
        matter = rnd.randrange(300)
        eid = "e%019d" % i
        timed_out = rnd.random() < 0.1
        inv.append((eid, w, "CS%014d" % i, "M%04d" % matter, "事项%d" % matter, staff,
                    "员工" + staff, 5, "timed_out" if timed_out else "rated", at - 60000,
                    at + DAY, None if timed_out else "T%s:%d" % (w, i)))
        if not timed_out:
            rated += 1
            lv = rnd.choice(LEVELS)
            rat.append(("T%s:%d" % (w, i), "u%d" % i, "T" + w, i, eid, "CS%014d" % i, 1, w,
                        staff, lv, "[115]" if lv == 1 else "[214]" if lv == 2 else "[]",
                        3 if rnd.random() < 0.1 else 5, at))
        i += 1
        if len(inv) >= 50000 or rated >= n:
            with conn:
                conn.executemany(
                    "INSERT INTO invitations (eid, window, case_serial, visit, matter_code, "
                    "matter_name, staff_id, staff_name, applicant_kind, channel, state, "
                    "timeout_s, created_at, deadline, rating_id) VALUES (?, ?, ?, 1, ?, ?, ?, ?, "
                    "1, ?, ?, 60, ?, ?, ?)", inv)
                conn.executemany(
                    "INSERT INTO ratings (rating_id, uuid, device_id, seq, eid, case_serial, "
                    "visit, window, staff_id, level, labels, channel, received_at, status) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'accepted')", rat)
            print("  %d invitations, %.0f s" % (i, time.perf_counter() - t0), file=sys.stderr)
            inv, rat = [], []
    create_triggers(conn)
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("ANALYZE")
    return start


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ratings", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--db")
    args = ap.parse_args()
    path = args.db or os.path.join(tempfile.mkdtemp(prefix="stats-bench-"), "hub.sqlite3")
    fresh = not os.path.exists(path)
    db = open_db(path)
    now = int(time.time() * 1000)
    if fresh:
        print("filling %s with %d cases" % (path, args.ratings), file=sys.stderr)
        fill(db, args.ratings, now)
    n = db.execute("SELECT COUNT(*) FROM ratings").fetchone()[0]
    first, last = db.execute("SELECT MIN(received_at), MAX(received_at) FROM ratings").fetchone()
    t0 = time.perf_counter()
    rectification.schedule(db, rectification.Rules(2, 10, zone_of(480)), limit=10 ** 7)
    print("ratings %d, rectification items %d (deadlines scheduled in %.1f s)" % (
        n, db.execute("SELECT COUNT(*) FROM rectifications").fetchone()[0],
        time.perf_counter() - t0))
    for by in ("window", "staff", "matter", "dept", "day"):
        t0 = time.perf_counter()
        days = statistics_cache.fill(db, by, first - DAY, last + DAY, OFF)
        print("per-day cache by %-7s %4d days filled in %5.1f s" % (by, days,
                                                                   time.perf_counter() - t0))
    rnd = random.Random(1)
    print("%-8s %-6s %8s %8s %8s" % ("by", "period", "p50 ms", "p99 ms", "groups"))
    today = ((last + OFF) // DAY) * DAY - OFF       # the newest day: not settled, read live
    for by in statistics.BYS:
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            out = statistics.compute(db, by, today, today + DAY, "shenzhen", OFF, "001")
            times.append((time.perf_counter() - t) * 1000)
        print("%-8s %-6s %8.1f %8.1f %8d" % (by, "today", pct(times, 50), pct(times, 99),
                                             len(out["rows"])))
    for span_name, span in (("day", DAY), ("month", 30 * DAY), ("year", 365 * DAY)):
        for by in statistics.BYS:
            times, groups = [], 0
            for _ in range(args.runs):
                lo = max(first, last - span - 5 * DAY) if span > 30 * DAY else first
                day0 = ((rnd.randrange(lo, max(lo + 1, last - span)) + OFF) // DAY) * DAY - OFF
                t = time.perf_counter()
                out = statistics.compute(db, by, day0, day0 + span, "shenzhen", OFF, "001")
                times.append((time.perf_counter() - t) * 1000)
                groups = len(out["rows"])
            print("%-8s %-6s %8.1f %8.1f %8d" % (by, span_name, pct(times, 50), pct(times, 99),
                                                 groups))
    db.close()


if __name__ == "__main__":
    main()
