"""A per-day cache of the statistics' two large parts (ratings, and the cases
of the invitations), so a month or a year reads a few thousand rows instead of
every rating.

A day of the hall (midnight to midnight in its zone) is cached once it ended
SETTLED_MS ago. Ratings are stored with the hub's receive time, so a day past
never gets a new one; an invitation of a past day can still change (a late
rating), and a change to an invitation older than SETTLED_MS, or to a
rating's status (triggers of hub/store/schema_rectification.py), drops the
cached days around it and bumps stats_gen, so a fill computed before that
change is not stored. Ratings inserted with an old time by hand (an import)
need `DELETE FROM stats_days_done` after them.
Rows: per day and key, the ratings' counts per level and per channel kind
(statistics.rating_vectors) and the cases' (cases_part), per grouping (day
serves week and month) and zone offset. The rectification part is always
read live: its states change.

    for a, b in todo(db, by, since, until, offset_ms):        # read
        gen, r, c = compute_days(db, by, a, b, offset_ms)     # read (the slow part)
        store(db, by, offset_ms, a, b, gen, r, c)             # write (fast)

fill() does the three on one connection (the CLI); the API reads on its own
connection and stores through the writer.
"""

from hub.services.common import now_ms
from hub.store import tx

DAY = 86400 * 1000
SETTLED_MS = DAY
CHUNK_DAYS = 31


def cache_by(by):
    return "day" if by in ("day", "week", "month") else by


def _cacheable(since, until, offset_ms, now):
    """-> (first midnight, end) of the whole days in [since, until) settled at NOW, or None."""
    first = -((-(since + offset_ms)) // DAY) * DAY - offset_ms
    end = min(((until + offset_ms) // DAY) * DAY, ((now - SETTLED_MS + offset_ms) // DAY) * DAY)
    end -= offset_ms
    return (first, end) if end > first else None


def _done(db, by, offset_ms, a, b):
    return [r[0] for r in db.execute(
        "SELECT day_start FROM stats_days_done WHERE by = ? AND offset_ms = ? AND day_start >= ? "
        "AND day_start < ? ORDER BY day_start", (cache_by(by), offset_ms, a, b))]


def _runs(days):
    """Sorted day starts -> [(start, end)] of consecutive days."""
    runs = []
    for d in days:
        if runs and runs[-1][1] == d:
            runs[-1][1] = d + DAY
        else:
            runs.append([d, d + DAY])
    return [tuple(r) for r in runs]


def split(db, by, since, until, offset_ms, now=None):
    """-> (cached [(a, b)], live [(a, b)]): [since, until) as ranges the cache
    holds and ranges to read live."""
    span = _cacheable(since, until, offset_ms, now_ms(now))
    if span is None:
        return [], [(since, until)]
    cached = _runs(_done(db, by, offset_ms, *span))
    live, at = [], since
    for a, b in cached:
        if a > at:
            live.append((at, a))
        at = b
    if at < until:
        live.append((at, until))
    return cached, live


_VEC = "n5, n4, n3, n2, n1, buttons, qr, follow_up, other"


def read(db, by, offset_ms, a, b):
    """-> (rating vectors [((None, key), vector)], case rows) of the cached days in
    [a, b), in the shapes of statistics.rating_vectors and cases_part."""
    key = (cache_by(by), offset_ms, a, b)
    sums = ", ".join("SUM(%s)" % c for c in _VEC.split(", "))
    vectors = [((None, r[0]), list(r[1:])) for r in db.execute(
        "SELECT key, %s FROM stats_day_ratings WHERE by = ? AND offset_ms = ? AND "
        "day_start >= ? AND day_start < ? GROUP BY key" % sums, key)]
    cases = db.execute(
        "SELECT NULL, key, SUM(finished), SUM(rated), MAX(name) FROM stats_day_cases "
        "WHERE by = ? AND offset_ms = ? AND day_start >= ? AND day_start < ? GROUP BY key",
        key).fetchall()
    return vectors, cases


def todo(db, by, since, until, offset_ms, now=None):
    """-> [(a, b)] runs of settled days in [since, until) not cached yet, at most
    CHUNK_DAYS each."""
    span = _cacheable(since, until, offset_ms, now_ms(now))
    if span is None:
        return []
    done = set(_done(db, by, offset_ms, *span))
    missing = [d for d in range(span[0], span[1], DAY) if d not in done]
    out = []
    for a, b in _runs(missing):
        while a < b:
            out.append((a, min(b, a + CHUNK_DAYS * DAY)))
            a += CHUNK_DAYS * DAY
    return out


def compute_days(db, by, a, b, offset_ms):
    """-> (generation, {(day, key): rating vector}, case rows) per day of [a, b), read live."""
    from hub.services import statistics
    gen = db.execute("SELECT n FROM stats_gen").fetchone()[0]
    by = cache_by(by)
    return (gen, statistics.rating_vectors(statistics.ratings_part(db, by, a, b, offset_ms,
                                                                     per_day=True)),
            statistics.cases_part(db, by, a, b, offset_ms, per_day=True))


def store(db, by, offset_ms, a, b, gen, vectors, case_rows):
    """Keep the days [a, b) computed at generation GEN -> False when something
    changed since (nothing is kept then: those days are read live)."""
    by = cache_by(by)
    with tx(db):
        if db.execute("SELECT n FROM stats_gen").fetchone()[0] != gen:
            return False
        for table in ("stats_day_ratings", "stats_day_cases", "stats_days_done"):
            db.execute("DELETE FROM %s WHERE by = ? AND offset_ms = ? AND day_start >= ? AND "
                       "day_start < ?" % table, (by, offset_ms, a, b))
        db.conn.executemany(
            "INSERT INTO stats_day_ratings (by, offset_ms, day_start, key, %s) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" % _VEC,
            [(by, offset_ms, d, k or "", *vec) for (d, k), vec in vectors.items()])
        db.conn.executemany(
            "INSERT INTO stats_day_cases (by, offset_ms, day_start, key, finished, rated, name) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(by, offset_ms, d, k or "", f, r or 0, name) for d, k, f, r, name in case_rows])
        db.conn.executemany("INSERT INTO stats_days_done (by, offset_ms, day_start) VALUES "
                            "(?, ?, ?)", [(by, offset_ms, d) for d in range(a, b, DAY)])
    return True


def fill(db, by, since, until, offset_ms, now=None):
    """Cache every settled day of [since, until) on this one connection -> days cached."""
    n = 0
    for a, b in todo(db, by, since, until, offset_ms, now):
        if store(db, by, offset_ms, a, b, *compute_days(db, by, a, b, offset_ms)):
            n += (b - a) // DAY
    return n
