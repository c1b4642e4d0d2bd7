"""A daemon thread that runs one function every few seconds until stopped.

    watch = Periodic("hub-mqtt-watch", 1.0, check, log=log).start()
    watch.stop()        # the wait ends at once; returns when the round in progress has

The hub's watches, housekeeping, serial rescans and WAL checkpoints all run
this way. fn runs `period_s` after start (at once too with first=True), then
`period_s` after each round ends: rounds never overlap, and a slow one
delays the next instead of piling up. An exception from fn is logged with
the thread's name and the next round runs, because a part whose loop died
would leave its work undone with nothing but one traceback saying so.
`last` runs once on the same thread after stop(), for what a part does on
its way out (the checkpointer's final checkpoint); stop() waits for it too.
"""

import logging
import threading

_log = logging.getLogger("hub.periodic")


class Periodic:
    def __init__(self, name, period_s, fn, first=False, last=None, log=None):
        self.name = name
        self.period_s = period_s
        self._fn = fn
        self._first = first
        self._last = last
        self._log = log or _log
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout=5):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self):
        if self._first:
            self._round(self._fn)
        while not self._stop.wait(self.period_s):
            self._round(self._fn)
        if self._last is not None:
            self._round(self._last)

    def _round(self, fn):
        try:
            fn()
        except Exception:
            self._log.exception("%s failed", self.name)
