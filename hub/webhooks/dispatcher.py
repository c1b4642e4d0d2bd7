"""The webhook delivery thread: at least once, until the receiver answers 2xx.

One thread per hub (a hub/periodic.py Periodic, which logs a failed pass
and runs the next) with its own database connection, like the upstream
relay (hub/upstream/relay.py). Each pass, repeated at once while it found
work, else every poll_s:
  1. fan out: events after the cursor become one delivery row per
     subscribed client (hub/services/webhooks.py fan_out), one transaction;
  2. park as `failed` what has waited longer than give_up_ms;
  3. send what is due, oldest first: each row is marked `sending` and
     committed before the HTTP call and settled after it, so a kill -9
     between the two repeats the call on restart (the receiver sees the
     same Pingjia-Event-Id twice; at least once, never lost).
A 2xx answer delivers; any other answer, a timeout or a refused connection
is retried with exponential backoff and full jitter, capped (the relay's
hub/upstream/pacing.py backoff_s). After a failure the client's queue waits
until that row's next attempt, so a receiver that is down is probed by one
request at a time instead of being sent its whole backlog. Events go out in
event-id order while the receiver answers; after failures and retries a
receiver must order by the event id, not by arrival. Other clients are not
held up except by the time one request takes (at most timeout_s).
"""

import logging
import threading
import time

import httpx

from hub.errors import HubError
from hub.periodic import Periodic
from hub.services import events, webhooks
from hub.store import open_db
from hub.upstream.pacing import backoff_s
from hub.webhooks import payload, signing

log = logging.getLogger("pingjia.webhooks")


class Dispatcher:
    def __init__(self, db_path, tz, allow, timeout_s=10.0, give_up_s=24 * 3600, base_s=2.0,
                 cap_s=600.0, poll_s=0.5, clock=time.time):
        self.db_path = db_path
        self.tz = tz
        self.allow = list(allow)
        self.timeout_s = timeout_s
        self.give_up_ms = int(give_up_s * 1000)
        self.base_s, self.cap_s = base_s, cap_s
        self.poll_s = poll_s
        self.clock = clock
        self.failing = {}          # client -> (paused until epoch ms, last error)
        self.failed = 0            # parked deliveries, as of the last pass
        self.stats = {"sent": 0, "delivered": 0, "retried": 0, "parked": 0}
        self._db = None
        self._http = None
        self._stop = threading.Event()
        self._loop = None

    # ---------------------------------------------------------------- thread
    def start(self):
        self._loop = Periodic("hub-webhooks", self.poll_s, self._drain, first=True, log=log)
        self._loop.start()
        return self

    def stop(self):
        self._stop.set()
        if self._loop is not None:
            self._loop.stop(timeout=self.timeout_s + 5)    # a call in progress ends first
        if self._http is not None:
            self._http.close()
        if self._db is not None:
            self._db.close()
            self._db = None

    def _drain(self):
        while self.run_once() and not self._stop.is_set():
            pass

    @property
    def db(self):
        if self._db is None:
            self._db = open_db(self.db_path)
        return self._db

    def _now_ms(self):
        return int(self.clock() * 1000)

    # ---------------------------------------------------------------- one pass
    def run_once(self):
        """One pass -> True when there may be more to do at once."""
        fanned = webhooks.fan_out(self.db, self._now_ms())
        parked = webhooks.give_up(self.db, self.give_up_ms, self._now_ms())
        if parked:
            self.stats["parked"] += parked
            log.warning("webhooks: %d deliveries parked as failed after %g h; "
                        "`pingjia webhooks deliveries --failed`", parked,
                        round(self.give_up_ms / 3600000, 2))
        sent = 0
        for d in webhooks.due(self.db, self._now_ms()):
            if self._stop.is_set():
                break
            paused = self.failing.get(d["client"])
            if paused is not None and paused[0] > self._now_ms():
                continue
            self._deliver(d)
            sent += 1
        self.failed = self.db.execute("SELECT COUNT(*) FROM webhook_deliveries "
                                      "WHERE state = 'failed'").fetchone()[0]
        return bool(fanned or sent)

    def _deliver(self, d):
        webhooks.mark_sending(self.db, [d["id"]], self._now_ms())
        self.stats["sent"] += 1
        status, error = self._post(d)
        now = self._now_ms()
        if error is None:
            self.stats["delivered"] += 1
            self.failing.pop(d["client"], None)
            webhooks.settle(self.db, d["id"], "delivered", now, status, None, now)
            return
        attempts = d["attempts"] + 1
        nxt = now + int(backoff_s(attempts, self.base_s, self.cap_s) * 1000)
        state = "failed" if now - d["queued_at"] >= self.give_up_ms else "pending"
        if d["client"] not in self.failing:
            log.warning("webhook of %s failing: %s; retrying with backoff", d["client"], error)
        self.failing[d["client"]] = (nxt, error)
        self.stats["retried" if state == "pending" else "parked"] += 1
        webhooks.settle(self.db, d["id"], state, nxt, status, error, now)

    def _post(self, d):
        """-> (HTTP status or None, None when delivered else the error in words)."""
        event = events.get(self.db, d["event_id"])
        if event is None:
            return None, "event %d is no longer stored" % d["event_id"]
        try:
            webhooks.check_url(d["url"], self.allow)
        except HubError as e:
            return None, e.message
        body = payload.encode(payload.event_body(self.db, event, self.tz))
        head = signing.headers(d["secret"], event["id"], event["type"], int(self.clock()), body)
        if self._http is None:
            self._http = httpx.Client(timeout=self.timeout_s, follow_redirects=False)
        try:
            r = self._http.post(d["url"], content=body, headers=head)
        except httpx.HTTPError as e:
            return None, "%s: %s" % (type(e).__name__, e or "no answer")
        if 200 <= r.status_code < 300:
            return r.status_code, None
        return r.status_code, "HTTP %d" % r.status_code
