"""The outbox relay: forwards cases and ratings upstream, exactly once in effect.

One relay thread per hub, with its own database connection. Each pass:
  1. due rows, oldest first;
  2. cases first, one call each (upstream refuses a rating for an unknown case);
  3. ratings whose case upstream accepted, in batches of the adapter's
     max_batch; a rating whose case is still waiting waits with it, one
     whose case was rejected waits for the case's replay (its last_error
     says so), one that cannot be forwarded (no invitation behind it, or
     refused by 一次一评 at the hub) is dead-lettered with that reason;
  4. every row goes to `sent` (committed) before its call and is settled
     after it, so a kill -9 between the two repeats the call on restart —
     upstream's (projectNo, assessNumber) key makes the repeat harmless, and
     the adapter reports it as a duplicate success with upstream's id.
Transient failures back off per row with full jitter and feed the breaker
(hub/upstream/pacing.py); permanent ones become dead letters. A rating
upstream answers with "no such case" (unknown_case) is settled by what the
hub knows of that case serial (_unknown_case): never registered by the hub,
or refused upstream, it is final; registered and accepted, the platform lost
it and the case is sent again, the rating waiting for it; still on its way,
the rating waits.
"""

import logging
import threading
import time

from hub.metrics import upstream_call
from hub.store import open_db
from hub.upstream import outbox
from hub.upstream.base import Outcome
from hub.upstream.pacing import Breaker, backoff_s

log = logging.getLogger("pingjia.upstream")
WAIT_FOR_CASE_MS = 60_000


class Relay:
    def __init__(self, db_path, adapter, clock=time.time, breaker=None, base_s=2.0, cap_s=600.0,
                 poll_s=1.0, batch_rows=500):
        self.db_path = db_path
        self.adapter = adapter
        self.clock = clock
        self.breaker = breaker or Breaker()
        self.base_s, self.cap_s = base_s, cap_s
        self.poll_s = poll_s
        self.batch_rows = batch_rows
        self.stats = {"calls": 0, "accepted": 0, "duplicates": 0, "transient": 0, "rejected": 0}
        self._db = None
        self._stop = threading.Event()
        self._thread = None

    # ---------------------------------------------------------------- thread
    def start(self):
        self._thread = threading.Thread(target=self._run, name="upstream-relay", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=30)

    def _run(self):
        while not self._stop.is_set():
            try:
                done = self.run_once()
            except Exception:  # a relay that dies silently loses nothing but forwards nothing: say so
                log.exception("upstream relay pass failed; retrying in %.0f s", self.poll_s)
                done = 0
            if not done:
                wait = max(self.poll_s, self.breaker.wait_s(self.clock()))
                self._stop.wait(min(wait, 30.0))

    # ---------------------------------------------------------------- one pass
    @property
    def db(self):
        if self._db is None:
            self._db = open_db(self.db_path)
        return self._db

    def run_once(self):
        """One pass over the due rows -> how many rows were settled."""
        now = self.clock()
        if not self.breaker.allow(now):
            return 0
        probing = self.breaker.state == Breaker.OPEN
        rows = outbox.due(self.db, int(now * 1000), 1 if probing else self.batch_rows)
        cases = [r for r in rows if r["kind"] == "case"]
        ratings = [r for r in rows if r["kind"] == "rating"]
        settled = 0
        step = max(1, self.adapter.max_batch)
        for i in range(0, len(cases), step):
            settled += self._cases(cases[i:i + step])
            if self.breaker.state == Breaker.OPEN:
                return settled
        ready = self._ready_ratings(ratings)
        settled += len(ratings) - len(ready)
        for i in range(0, len(ready), step):
            settled += self._send(ready[i:i + step], self.adapter.push_ratings)
            if self.breaker.state == Breaker.OPEN:
                break
        return settled

    def _cases(self, rows):
        now_ms = int(self.clock() * 1000)
        batch, missing = [], []
        for row in rows:
            payload = outbox.case_payload(self.db, row["ref"])
            if payload is None:
                missing.append((row["id"], "rejected", now_ms, "invitation %s is missing" % row["ref"], None))
            else:
                batch.append((row, payload))
        if missing:
            outbox.settle(self.db, missing, now_ms)
        if batch:
            self._send(batch, self.adapter.register_cases)
        return len(rows)

    def _ready_ratings(self, rows):
        """-> [(row, payload)] that may go now; settles the rest (wait or dead letter)."""
        ready, held = [], []
        now_ms = int(self.clock() * 1000)
        for row in rows:
            eid, payload = outbox.rating_payload(self.db, row["ref"])
            if payload is None:
                why = ("rating %s was refused at the hub (一次一评) or has no invitation behind it "
                       "(evaluation %s unknown): there is no case to rate upstream" % (row["ref"], eid))
                held.append((row["id"], "rejected", now_ms, why, None))
                continue
            case = outbox.case_state(self.db, eid)
            if case is not None and case[0] == "accepted":
                ready.append((row, payload))
            elif case is None:
                held.append((row["id"], "rejected", now_ms, "no case row for evaluation %s" % eid, None))
            elif case[0] == "rejected":
                held.append((row["id"], row["state"], now_ms + WAIT_FOR_CASE_MS,
                             "waiting for its case, which upstream rejected: %s" % case[1], None))
            else:
                held.append((row["id"], row["state"], max(case[2], now_ms), "waiting for its case", None))
        if held:
            outbox.settle(self.db, held, now_ms)
        return ready

    def _send(self, batch, call):
        """[(row, payload)] through call(payloads) -> [Outcome]; sent first, settled after."""
        outbox.mark_sent(self.db, [row["id"] for row, _p in batch], int(self.clock() * 1000))
        outs = self._call(lambda: call([p for _r, p in batch]), len(batch))
        outbox.settle(self.db, [self._result(row, p, out) for (row, p), out in zip(batch, outs)],
                      int(self.clock() * 1000))
        return len(batch)

    def _call(self, fn, n):
        self.stats["calls"] += 1
        try:
            with upstream_call(self.adapter.name):      # GET /metrics (hub/metrics.py)
                outs = fn()
        except Exception as e:  # an adapter bug must not kill forwarding of everything else
            log.exception("upstream adapter %s raised", self.adapter.name)
            outs = [Outcome.transient("adapter error: %s: %s" % (type(e).__name__, e))] * n
        now = self.clock()
        if any(o.status == Outcome.TRANSIENT for o in outs) and not any(o.status != Outcome.TRANSIENT for o in outs):
            self.breaker.failure(now, outs[0].reason)
        else:
            self.breaker.success()
        return outs

    def _result(self, row, payload, out):
        now_ms = int(self.clock() * 1000)
        if out.status == Outcome.UNKNOWN_CASE:
            out = self._unknown_case(row, payload["project_no"], out, now_ms)
        if out.status == Outcome.OK:
            self.stats["duplicates" if out.duplicate else "accepted"] += 1
            return (row["id"], "accepted", now_ms, None, out.upstream_id)
        if out.status == Outcome.PERMANENT:
            self.stats["rejected"] += 1
            log.warning("upstream rejected %s %s: %s", row["kind"], row["ref"], out.reason)
            return (row["id"], "rejected", now_ms, out.reason, None)
        self.stats["transient"] += 1
        delay_ms = int(backoff_s(row["attempts"] + 1, self.base_s, self.cap_s) * 1000)
        return (row["id"], "sent", now_ms + delay_ms, out.reason, None)

    def _unknown_case(self, row, serial, out, now_ms):
        """Upstream has no case `serial` for this rating -> the Outcome that settles it."""
        if row["kind"] != "rating":
            return Outcome.transient(out.reason)
        cases = outbox.cases_of_serial(self.db, serial)
        if not cases:
            return Outcome.permanent("%s; the hub never registered case %s (no invitation of this hub has "
                                     "that serial), so the platform cannot take this rating"
                                     % (out.reason, serial))
        waiting = [c for c in cases if c[1] in ("pending", "sent")]
        accepted = [c for c in cases if c[1] == "accepted"]
        if accepted and not waiting:
            # The platform took the case once and has lost it: register it again.
            outbox.register_again(self.db, accepted[0][0], now_ms)
            log.warning("upstream no longer knows case %s; registering it again", serial)
        if accepted or waiting:
            return Outcome.transient("%s; waiting for case %s to be registered again" % (out.reason, serial))
        return Outcome.permanent("%s; the platform refused case %s: %s" % (out.reason, serial, cases[-1][2]))
