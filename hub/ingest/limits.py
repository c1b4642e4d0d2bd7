"""Flood limits and per-terminal error counters."""

import collections
import threading


class TokenBucket:
    """At most `rate` packets per second on average, bursts up to `burst`."""

    def __init__(self, rate, burst):
        self.rate = float(rate)
        self.burst = float(burst)
        self._tokens = float(burst)
        self._at = None

    def take(self, now_s):
        if self._at is not None:
            self._tokens = min(self.burst, self._tokens + (now_s - self._at) * self.rate)
        self._at = now_s
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False


# Names in the counters come from the wire (device ids in hellos and MQTT
# topics, nack codes): an open broker lets anyone make up millions. Past these
# bounds new names are counted together instead of growing the hub's memory.
MAX_COUNTED = 2048
MAX_CODES = 64
MORE_TERMINALS = "(more terminals)"
OTHER_CODE = "other"


def bounded_key(table, key, limit, overflow):
    """KEY if TABLE has it or has room for it, else OVERFLOW."""
    return key if key in table or len(table) < limit else overflow


class ErrorCounters:
    """code counts per terminal (device id, or transport:label before a
    handshake names the device). `unflushed()` hands the counts added since
    the last call to whoever stores them in the registry. At most MAX_COUNTED
    names and MAX_CODES codes each: the rest add up under MORE_TERMINALS and
    OTHER_CODE."""

    def __init__(self):
        self._lock = threading.Lock()
        self._total = collections.defaultdict(collections.Counter)
        self._new = collections.defaultdict(collections.Counter)

    def add(self, who, code, n=1):
        with self._lock:
            who = bounded_key(self._total, who, MAX_COUNTED, MORE_TERMINALS)
            code = bounded_key(self._total[who], code, MAX_CODES, OTHER_CODE)
            self._total[who][code] += n
            self._new[who][code] += n

    def of(self, who):
        with self._lock:
            return dict(self._total.get(who, {}))

    def all(self):
        with self._lock:
            return {who: dict(c) for who, c in self._total.items()}

    def unflushed(self):
        with self._lock:
            new, self._new = self._new, collections.defaultdict(collections.Counter)
        return {who: dict(c) for who, c in new.items()}
