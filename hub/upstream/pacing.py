"""How hard the relay may push: per-row backoff, and a circuit breaker for the platform.

Backoff is exponential with full jitter (a uniform draw in [0, min(cap,
base * 2**attempts)]), so hundreds of rows that failed together do not
retry together. There is no attempt limit for transient failures: a
provincial outage of days ends with everything delivered.

The breaker keeps a dead platform from being hammered: after `threshold`
consecutive transient failures it opens, and while open the relay makes one
probe per `probe_s` (doubling up to `probe_cap_s`) instead of working the
backlog. A success closes it at once.
"""

import random


def backoff_s(attempts, base_s=2.0, cap_s=600.0, rand=random.random):
    return rand() * min(cap_s, base_s * (2 ** min(attempts, 30)))


class Breaker:
    CLOSED, OPEN = "closed", "open"

    def __init__(self, threshold=5, probe_s=5.0, probe_cap_s=300.0):
        self.threshold = threshold
        self.probe_base_s = probe_s
        self.probe_cap_s = probe_cap_s
        self.failures = 0
        self.state = self.CLOSED
        self.probe_s = probe_s
        self.next_probe = 0.0
        self.last_error = ""

    def allow(self, now):
        """May a request go out now? While open, only the periodic probe may."""
        if self.state == self.CLOSED:
            return True
        if now >= self.next_probe:
            self.next_probe = now + self.probe_s
            self.probe_s = min(self.probe_cap_s, self.probe_s * 2)
            return True
        return False

    def success(self):
        self.failures = 0
        self.state = self.CLOSED
        self.probe_s = self.probe_base_s
        self.last_error = ""

    def failure(self, now, reason):
        self.failures += 1
        self.last_error = reason
        if self.state == self.CLOSED and self.failures >= self.threshold:
            self.state = self.OPEN
            self.next_probe = now + self.probe_s

    def wait_s(self, now):
        return 0.0 if self.state == self.CLOSED else max(0.0, self.next_probe - now)
