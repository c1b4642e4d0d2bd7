"""Milliseconds for timers, and capped exponential backoff with jitter.

MicroPython has time.ticks_ms (wrapping) and ticks_diff; CPython has
time.monotonic. Everything in firmware/net measures time through these two
functions, so it runs on both.
"""

import time

try:
    import random
    _randbits = random.getrandbits
except (ImportError, AttributeError):   # a port built without random
    _randbits = None

if hasattr(time, "ticks_ms"):
    def now_ms():
        return time.ticks_ms()

    def since_ms(t0):
        return time.ticks_diff(time.ticks_ms(), t0)
else:
    def now_ms():
        return int(time.monotonic() * 1000)

    def since_ms(t0):
        return int(time.monotonic() * 1000) - t0


def _rand16():
    if _randbits is not None:
        return _randbits(16)
    return now_ms() & 0xFFFF


class Backoff:
    """Delays between reconnect attempts: min_ms, doubling up to max_ms.

    Each delay is drawn between half and all of the current step ("equal
    jitter"), so a hall full of terminals that lost the broker together does
    not reconnect in one burst. reset() after a connection that worked.
    """

    def __init__(self, min_ms=500, max_ms=30000, rand16=_rand16):
        self.min_ms = min_ms
        self.max_ms = max_ms
        self._rand16 = rand16
        self._step = min_ms

    def next_ms(self):
        step = self._step
        self._step = min(self.max_ms, step * 2)
        half = step // 2
        return half + (half * self._rand16()) // 0xFFFF

    def reset(self):
        self._step = self.min_ms
