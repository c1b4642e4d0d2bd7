"""Waiting for something another thread or process does."""

import time


def wait(cond, timeout=15.0, what="condition"):
    """Poll COND until it gives something true; -> that value. Fails naming
    WHAT after TIMEOUT seconds."""
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError("timed out after %s s waiting for %s" % (timeout, what))
        time.sleep(0.01)
