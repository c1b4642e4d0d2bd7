"""The ingest's notes of what goes wrong per device id, before they are stored.

    book = ProblemBook(log)
    book.note("T0002", "auth_failed", "the key ...", "serial:/dev/ttyUSB0", now_ms)
    rows = book.take()          # the housekeeping hands them to services.problems.store

A note is kept in memory until the next flush (the housekeeping, every
second), so a terminal saying hello ten times a second costs one row update
a second. Each (device id, code) is logged at WARNING once per LOG_EVERY_S
(an auth failure once a minute, not at every attempt), with how many times
it happened since; and each code is logged for at most LOG_BURST new ids a
minute (a flood of made-up ids is one line a few seconds, saying how many
went unlogged).

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
LOG_BURST = 20
MAX_PENDING = 1024
MAX_THROTTLED = 4096


class ProblemBook:
    def __init__(self, log):
        self._log = log
        self._lock = threading.Lock()
        self._pending = {}                          # id -> [code, detail, via, at, n]
        self._logged = collections.OrderedDict()    # (id, code) -> [last logged s, repeats]
        self._per_code = {}                         # code -> (TokenBucket, lines held back)
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
            say, repeats = self._throttle(who, code, now_ms / 1000.0)
            held = self._code_budget(code, now_ms / 1000.0) if say else None
        if say and held is not None:
            more = " (%d more times in the last %d s)" % (repeats, LOG_EVERY_S) if repeats else ""
            if held:
                more += " (%d more %s of other ids not logged)" % (held, code)
            self._log.warning("%s %s via %s: %s%s", who, code, via or "-", detail, more)

    def _code_budget(self, code, now_s):
        """-> None when CODE logged LOG_BURST lines this minute, else how many it held back."""
        if code not in self._per_code and len(self._per_code) < 64:
            self._per_code[code] = [TokenBucket(LOG_BURST / 60.0, LOG_BURST), 0]
        budget = self._per_code.get(code)
        if budget is None:
            return 0
        if not budget[0].take(now_s):
            budget[1] += 1
            return None
        held, budget[1] = budget[1], 0
        return held

    def _throttle(self, who, code, now_s):
        key = (who, code)
        seen = self._logged.get(key)
        if seen is not None and now_s - seen[0] < LOG_EVERY_S:
            seen[1] += 1
            return False, 0
        repeats = seen[1] if seen is not None else 0
        self._logged[key] = [now_s, 0]
        self._logged.move_to_end(key)
        while len(self._logged) > MAX_THROTTLED:
            self._logged.popitem(last=False)
        return True, repeats

    def take(self):
        """-> [(id, code, detail, via, at, n)] noted since the last take."""
        with self._lock:
            pending, self._pending = self._pending, {}
        return [(who,) + tuple(p) for who, p in pending.items()]
