"""The ingest's notes of what goes wrong per device id, before they are stored.

    book = ProblemBook(log)
    book.note("T0002", "auth_failed", "the key ...", "serial:/dev/ttyUSB0", now_ms)
    rows = book.take()          # the housekeeping hands them to services.problems.store

A note is kept in memory until the next flush (the housekeeping, every
second), so a terminal saying hello ten times a second costs one row update
a second. Each (device id, code) is logged at WARNING once per LOG_EVERY_S
(an auth failure once a minute, not at every attempt), with how many times
it happened since; and each code is logged for at most LOG_BURST ids a
minute. What that holds back is summed up once per LOG_EVERY_S by
summarise() (the housekeeping calls it): "unknown_device: 5990 more times
from 2995 device ids in the last 60 s, not logged one by one". So a flood
of made-up ids costs a few lines a minute, however fast it comes.
warn() is the same throttle for a log line that is no problem of the
registry (a plain nack from a sender without a session).

Bounded, because the ids come from the wire: at most MAX_PENDING device ids
wait for a flush (past that, notes of new ids are dropped and counted in
`dropped`: the flood itself is in the log and the error counters), and at
most MAX_THROTTLED (id, code) pairs are remembered for the log's throttle,
the least recently logged forgotten first.
"""

import collections
import threading

from hub.ingest.limits import TokenBucket

LOG_EVERY_S = 60.0
LOG_BURST = 5
MAX_PENDING = 1024
MAX_THROTTLED = 4096
MAX_HELD_IDS = 4096     # distinct ids counted per code in a summary; past it "over N"


class ProblemBook:
    def __init__(self, log):
        self._log = log
        self._lock = threading.Lock()
        self._pending = {}                          # id -> [code, detail, via, at, n]
        self._logged = collections.OrderedDict()    # (id, code) -> [last logged s, repeats]
        self._per_code = {}                         # code -> TokenBucket
        self._held = {}                             # code -> [since s, times, ids, (who, via)]
        self.dropped = 0

    def note(self, who, code, detail, via, now_ms):
        """One occurrence of problem CODE for device id WHO."""
        with self._lock:
            p = self._pending.get(who)
            if p is not None and p[0] == code:
                p[1], p[2], p[3], p[4] = detail, via, now_ms, p[4] + 1
            elif p is not None or len(self._pending) < MAX_PENDING:
                self._pending[who] = [code, detail, via, now_ms, 1]
            else:
                self.dropped += 1
        self.warn(who, code, detail, via, now_ms)

    def warn(self, who, code, detail, via, now_ms):
        """Log problem CODE of WHO at WARNING, within the throttle (see above)."""
        now_s = now_ms / 1000.0
        with self._lock:
            key = (who, code)
            seen = self._logged.get(key)
            if seen is not None and now_s - seen[0] < LOG_EVERY_S:
                seen[1] += 1            # said in its own line within the minute
                return
            if not self._code_budget(code, now_s):
                self._hold(code, who, via, now_s)
                return
            repeats = seen[1] if seen is not None else 0
            self._said(key, now_s)
        more = " (%d more times in the last %d s)" % (repeats, LOG_EVERY_S) if repeats else ""
        self._log.warning("%s %s via %s: %s%s", who, code, via or "-", detail, more)

    def _code_budget(self, code, now_s):
        """-> False when CODE logged LOG_BURST lines this minute."""
        if code not in self._per_code and len(self._per_code) < 64:
            self._per_code[code] = TokenBucket(LOG_BURST / 60.0, LOG_BURST)
        budget = self._per_code.get(code)
        return budget is None or budget.take(now_s)

    def _hold(self, code, who, via, now_s):
        held = self._held.get(code)
        if held is None:
            if len(self._held) >= 64:
                return
            held = self._held[code] = [now_s, 0, set(), None]
        held[1] += 1
        if len(held[2]) < MAX_HELD_IDS:
            held[2].add(who)
        held[3] = (who, via)

    def summarise(self, now_ms):
        """Log one line per code for what the budget held back, once per
        LOG_EVERY_S (called every second by the housekeeping)."""
        now_s = now_ms / 1000.0
        with self._lock:
            due = [(code, h) for code, h in self._held.items() if now_s - h[0] >= LOG_EVERY_S]
            for code, _h in due:
                del self._held[code]
        for code, (since, times, ids, (who, via)) in sorted(due, key=lambda d: d[0]):
            n = len(ids)
            self._log.warning("%s: %d more times from %s device id%s in the last %d s, not "
                              "logged one by one (the last: %s via %s)", code, times,
                              ("over %d" % n) if n >= MAX_HELD_IDS else n, "" if n == 1 else "s",
                              now_s - since, who, via or "-")

    def _said(self, key, now_s):
        self._logged[key] = [now_s, 0]
        self._logged.move_to_end(key)
        while len(self._logged) > MAX_THROTTLED:
            self._logged.popitem(last=False)

    def take(self):
        """-> [(id, code, detail, via, at, n)] noted since the last take."""
        with self._lock:
            pending, self._pending = self._pending, {}
        return [(who,) + tuple(p) for who, p in pending.items()]
