"""Switchable faults of the simulated platform, set by tests or over HTTP.

  down          the platform refuses connections (the listener is closed)
  delay_s       every answer waits this long first (a slow platform)
  errors_5xx    the next N requests answer 503 without touching the ledger
  lose_after_commit
                the next N write requests are committed to the ledger, then
                the connection is dropped without an answer — the case that
                doubles ratings in a naive client
  reject        the next N rating pushes are refused with this reason
                (a permanent rejection, e.g. a province-side rule)
"""

import threading


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self.down = False
        self.delay_s = 0.0
        self.errors_5xx = 0
        self.lose_after_commit = 0
        self.reject = 0
        self.reject_reason = "rejected by the simulated platform"
        self.served = {"requests": 0, "5xx": 0, "lost": 0, "rejected": 0}

    def set(self, **kw):
        with self._lock:
            for k, v in kw.items():
                if k not in ("down", "delay_s", "errors_5xx", "lose_after_commit", "reject", "reject_reason"):
                    raise ValueError("unknown fault %r" % k)
                setattr(self, k, v)

    def snapshot(self):
        with self._lock:
            return {"down": self.down, "delay_s": self.delay_s, "errors_5xx": self.errors_5xx,
                    "lose_after_commit": self.lose_after_commit, "reject": self.reject,
                    "served": dict(self.served)}

    def _take(self, name, counter):
        with self._lock:
            n = getattr(self, name)
            if n > 0:
                setattr(self, name, n - 1)
                self.served[counter] += 1
                return True
            return False

    def take_5xx(self):
        with self._lock:
            self.served["requests"] += 1
        return self._take("errors_5xx", "5xx")

    def take_lost(self):
        return self._take("lose_after_commit", "lost")

    def take_reject(self):
        if self._take("reject", "rejected"):
            return self.reject_reason
        return None
