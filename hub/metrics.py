"""The hub's metrics for the hall's monitoring, in the Prometheus text format.

Two kinds:
- measured in this process, kept in REGISTRY: the writer's commit latency
  (hub/store/writer.py calls observe_commit), upstream call latency by
  dialect (hub/upstream/relay.py wraps each adapter call in upstream_call),
  journal records acked and nacks sent by code (hub/ingest/connection.py
  calls acked / nacked). They start at 0 with the process, as Prometheus
  counters do; rate() and increase() read across a restart.
- read from the database at scrape time (collect_db): what the database
  already counts, so it survives restarts and cannot drift: ratings stored
  by level, channel and status, terminals online by transport, each
  terminal's error counters and journal depth, the upstream outbox (backlog,
  oldest waiting, dead letters), the webhook queue, rectification items.
  Ratings are counted incrementally (rows added since the last scrape, by
  rowid: ratings are never deleted), so a scrape stays cheap at a million.

Names start with pingjia_. No label carries a citizen's data: device ids,
windows, codes and levels only.
"""

import contextlib
import json
import threading
import time

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.process_collector import ProcessCollector

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)

COMMIT_SECONDS = Histogram(
    "pingjia_writer_commit_seconds", "Group commits of the writer: BEGIN to COMMIT, fsync "
    "included", buckets=(.0005, .001, .002, .005, .01, .02, .05, .1, .2, .5, 1, 2, 5),
    registry=REGISTRY)
UPSTREAM_SECONDS = Histogram(
    "pingjia_upstream_call_seconds", "Calls of the provincial platform's adapter, by dialect",
    ["dialect"], buckets=(.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60), registry=REGISTRY)
ACKS = Counter("pingjia_acks", "Journal records (ratings, timeouts) acknowledged to terminals "
               "by this process", ["dup"], registry=REGISTRY)
NACKS = Counter("pingjia_nacks", "Nacks sent to terminals by this process, by code", ["code"],
                registry=REGISTRY)
_ACK_NEW, _ACK_DUP = ACKS.labels("false"), ACKS.labels("true")
MAX_NACK_CODES = 64      # codes are the protocol's own; a bound all the same


def observe_commit(seconds):
    COMMIT_SECONDS.observe(seconds)


@contextlib.contextmanager
def upstream_call(dialect):
    """with upstream_call(adapter.name): outs = adapter_call() — timed, raising or not."""
    t0 = time.perf_counter()
    try:
        yield
    finally:
        UPSTREAM_SECONDS.labels(dialect or "?").observe(time.perf_counter() - t0)


def acked(dup=False):
    (_ACK_DUP if dup else _ACK_NEW).inc()


def nacked(code):
    if len(NACKS._metrics) < MAX_NACK_CODES or (str(code),) in NACKS._metrics:
        NACKS.labels(str(code)).inc()
    else:
        NACKS.labels("other").inc()


# -- read from the database at scrape time ------------------------------------------

class _RatingCounts:
    """Ratings by (level, channel, status), counted on from the last rowid seen."""

    def __init__(self):
        self._lock = threading.Lock()
        self._seen = {}       # database path -> (last rowid, {(level, channel, status): n})

    def get(self, db, key):
        with self._lock:
            last, counts = self._seen.get(key, (0, {}))
            counts = dict(counts)
            top = last
            for level, channel, status, n, hi in db.execute(
                    "SELECT level, channel, status, COUNT(*), MAX(rowid) FROM ratings "
                    "WHERE rowid > ? GROUP BY level, channel, status", (last,)):
                counts[(level, channel, status)] = counts.get((level, channel, status), 0) + n
                top = max(top, hi)
            self._seen[key] = (top, counts)
            return counts


_RATINGS = _RatingCounts()


def collect_db(db, now_ms, key="db"):
    """-> the metric families read from DB at NOW_MS (KEY: whose rating counts to reuse)."""
    fams = []
    c = CounterMetricFamily("pingjia_ratings_stored", "Ratings stored, by level (5 非常满意 .. "
                            "1 非常不满意), channel code and status", labels=["level", "channel",
                                                                       "status"])
    for (level, channel, status), n in sorted(_RATINGS.get(db, key).items()):
        c.add_metric([str(level), str(channel), status], n)
    fams.append(c)
    g = GaugeMetricFamily("pingjia_terminals", "Provisioned terminals, online or not, by "
                          "transport", labels=["transport", "online"])
    for transport, online, n in db.execute(
            "SELECT CASE WHEN online = 1 THEN COALESCE(substr(transport, 1, instr(transport || "
            "':', ':') - 1), '') ELSE '' END, online, COUNT(*) FROM terminals GROUP BY 1, 2"):
        g.add_metric([transport, "true" if online else "false"], n)
    fams.append(g)
    depth = GaugeMetricFamily("pingjia_terminal_journal_depth", "Ratings on a terminal not yet "
                              "acknowledged, as it last reported", labels=["device", "window"])
    errors = CounterMetricFamily("pingjia_terminal_errors", "Errors counted against a terminal "
                                 "(bad frames, refused packets, nacks), by code",
                                 labels=["device", "code"])
    for device, window, jd, errs in db.execute(
            "SELECT device_id, COALESCE(window, ''), journal_depth, errors FROM terminals"):
        if jd is not None:
            depth.add_metric([device, window], jd)
        try:
            counts = json.loads(errs or "{}")
        except ValueError:
            counts = {}
        for code, n in sorted(counts.items()):
            if isinstance(n, int):
                errors.add_metric([device, str(code)], n)
    fams += [depth, errors]
    ob = GaugeMetricFamily("pingjia_upstream_outbox", "Rows of the upstream outbox by kind and "
                           "state (pending and sent: the backlog; rejected: dead letters)",
                           labels=["kind", "state"])
    for kind, state, n in db.execute("SELECT kind, state, COUNT(*) FROM outbox "
                                     "GROUP BY kind, state"):
        ob.add_metric([kind, state], n)
    fams.append(ob)
    oldest = db.execute("SELECT MIN(created_at) FROM outbox WHERE state IN ('pending', 'sent')"
                        ).fetchone()[0]
    fams.append(GaugeMetricFamily(
        "pingjia_upstream_oldest_pending_age_seconds", "Age of the oldest row waiting to go "
        "upstream (0 when none waits)", value=max(0, now_ms - oldest) / 1000 if oldest else 0))
    dead = db.execute("SELECT COUNT(*) FROM outbox WHERE state = 'rejected'").fetchone()[0]
    fams.append(GaugeMetricFamily("pingjia_upstream_dead_letters", "Rows the platform refused "
                                  "for good (`pingjia upstream dead`)", value=dead))
    wh = GaugeMetricFamily("pingjia_webhook_deliveries", "Webhook deliveries by state (pending "
                           "and sending: the backlog)", labels=["state"])
    for state, n in db.execute("SELECT state, COUNT(*) FROM webhook_deliveries GROUP BY state"):
        wh.add_metric([state], n)
    fams.append(wh)
    rect = GaugeMetricFamily("pingjia_rectifications", "Rectification items of bad reviews by "
                             "state", labels=["state"])
    for state, n in db.execute("SELECT state, COUNT(*) FROM rectifications GROUP BY state"):
        rect.add_metric([state], n)
    fams.append(rect)
    over = db.execute(
        "SELECT COUNT(*) FROM rectifications WHERE state IN ('pending_check', 'contacted', "
        "'rectifying') AND (close_due <= ?1 OR (state = 'pending_check' AND contact_due <= ?1))",
        (now_ms,)).fetchone()[0]
    fams.append(GaugeMetricFamily("pingjia_rectifications_overdue", "Open rectification items "
                                  "past their contact or close deadline", value=over))
    return fams


class _Families:
    def __init__(self, fams):
        self._fams = fams

    def collect(self):
        return self._fams


def exposition(fams):
    """The text a scrape gets: this process's metrics, then FAMS (from the database)."""
    extra = CollectorRegistry()
    extra.register(_Families(fams))
    return generate_latest(REGISTRY) + generate_latest(extra)
