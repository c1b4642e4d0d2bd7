"""The hub's health: one entry per part, the rules of the verdict, and the
rules the `ingest` part follows. GET /api/v1/health renders it; it knows
nothing of the API.

Parts: database, ingest, serial, mqtt, upstream, webhooks, api. Each part's
own code (hub/app.py, hub/app_parts.py, the serial transport) keeps its entry
up to date with a state and a sentence a hall IT person can act on:

    starting   not reported yet
    ok         working
    degraded   working, but something needs a person (a port not open, a
               write that failed a moment ago, upstream not answering)
    down       not working (the broker unreachable, the writer stopped)
    disabled   switched off in the configuration

The hub is `ok` when every part is ok or disabled, else `degraded`. It
answers 503 only when the database is down; a broker or upstream outage
leaves serial terminals and the API working, so monitors get 200 and read
the parts.

This module imports nothing of the hub: the writer is read through what it
shows (running, stats, backlog, last_error, checkpointer).
"""

import os
import time

STATES = ("starting", "ok", "degraded", "down", "disabled")


class Component:
    """Health of one part of the hub: a state of STATES, with a sentence."""

    def __init__(self, name, state="starting", detail=""):
        self.name = name
        self.state = state
        self.detail = detail
        self.since = time.time()

    def set(self, state, detail=""):
        if state not in STATES:
            raise ValueError("health state must be one of %s, got %r" % (", ".join(STATES), state))
        if state != self.state:
            self.since = time.time()
        self.state = state
        self.detail = detail

    def as_dict(self):
        return {"state": self.state, "detail": self.detail, "since": round(self.since, 3)}


class Health:
    """The registry of parts, and the verdict over them."""

    def __init__(self):
        self.components = {}
        self.started = time.time()

    def component(self, name):
        if name not in self.components:
            self.components[name] = Component(name)
        return self.components[name]

    def uptime_s(self):
        return int(time.time() - self.started)

    def report(self):
        """-> (status, {part: state dict}, HTTP status code)."""
        parts = {name: c.as_dict() for name, c in sorted(self.components.items())}
        states = {p["state"] for p in parts.values()}
        status = "ok" if states <= {"ok", "disabled"} else "degraded"
        code = 503 if parts.get("database", {}).get("state") == "down" else 200
        return status, parts, code


class WriterHealth:
    """The `ingest` part follows the group-commit writer: degraded for
    `hold_s` after a failed write (with SQLite's error and the data directory
    to check) or a failed WAL checkpoint, degraded when far behind, down when
    stopped. A full disk used to leave the part green while terminals got
    'busy' for every rating.

    A refusal (a 409 duplicate_visit, a 404 unknown_window) is the answer to its
    caller, not a failed write: the writer does not count it in `failed_jobs`
    (hub.store.writer.refusal), so a client's mistakes never send hall IT to
    check the disk."""

    HOLD_S = 60.0           # a write failure keeps the part degraded this long
    BEHIND_JOBS = 10000     # a writer this far behind is degraded

    def __init__(self, writer, db_path):
        self.writer = writer
        self.hold_s = self.HOLD_S
        self._data_dir = os.path.dirname(db_path)
        self._failures = (0, 0)      # writer failures, checkpoint failures seen so far
        self._failed_at = None
        self._problem = None

    def check(self, now):
        """-> (state, sentence) at monotonic time `now`."""
        w = self.writer
        if not w.running:
            return "down", ("the group-commit writer has stopped: no rating is stored or "
                            "answered; restart the hub and read its log")
        ck = w.checkpointer
        failures = (w.stats["failed_jobs"] + w.stats["failed_commits"],
                    ck.stats["failures"] if ck is not None else 0)
        if failures[0] > self._failures[0]:
            self._failed_at, self._problem = now, (
                "storing failed %d time(s) (%s): terminals keep those ratings and send them "
                "again; check free disk space and the data directory %s"
                % (failures[0] - self._failures[0], w.last_error, self._data_dir))
        elif failures[1] > self._failures[1]:
            self._failed_at, self._problem = now, (
                "WAL checkpoints fail (%s): ratings are stored, but the -wal file grows; "
                "check free disk space" % (ck.last_error,))
        self._failures = failures
        if self._failed_at is not None and now - self._failed_at < self.hold_s:
            return "degraded", self._problem
        if w.backlog > self.BEHIND_JOBS:
            return "degraded", ("the writer is %d jobs behind: ratings are answered late; "
                                "the disk may be slow" % w.backlog)
        return "ok", "group-commit writer running: %d writes committed since start" \
            % w.stats["jobs"]
