"""Failed sign-ins, counted per account and per browser address.

A sliding window: at most `per_account` failures of one account name (and
`per_address` from one address) within `window_s` seconds; past that,
sign-in for that name (or from that address) waits until the oldest failure
in the window is window_s old. A good sign-in clears its account's count,
not its address's (one person guessing many names from one desk is what the
address limit is for). Kept in the hub's memory: a restart forgives, which
costs an attacker a hub restart, and a hall's LAN has few addresses.
Bounded: at most MAX_KEYS names and addresses are remembered.
"""

import collections
import threading
import time

MAX_KEYS = 10000


class SignInLimiter:
    def __init__(self, per_account, per_address, window_s, clock=time.monotonic):
        self.limits = {"account": per_account, "address": per_address}
        self.window_s = window_s
        self.clock = clock
        self._fails = collections.OrderedDict()     # (kind, key) -> deque of times
        self._lock = threading.Lock()

    def _recent(self, k, now):
        q = self._fails.get(k)
        if q is None:
            return None
        while q and now - q[0] >= self.window_s:
            q.popleft()
        if not q:
            del self._fails[k]
            return None
        return q

    def wait_s(self, name, address):
        """Seconds before NAME may try again from ADDRESS (0: now)."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            for kind, key in (("account", name), ("address", address)):
                q = self._recent((kind, key), now)
                if q is not None and len(q) >= self.limits[kind]:
                    wait = max(wait, q[0] + self.window_s - now)
        return wait

    def failed(self, name, address):
        now = self.clock()
        with self._lock:
            for k in (("account", name), ("address", address)):
                q = self._fails.pop(k, None) or collections.deque()
                q.append(now)
                self._fails[k] = q              # newest last: the oldest keys go first
            while len(self._fails) > MAX_KEYS:
                self._fails.popitem(last=False)

    def succeeded(self, name):
        with self._lock:
            self._fails.pop(("account", name), None)


def wait_text(seconds):
    """'3 分 20 秒' / '45 秒': how long, as the sign-in page says it."""
    s = max(1, int(seconds + 0.999))
    return "%d 分 %d 秒" % divmod(s, 60) if s >= 60 else "%d 秒" % s
