"""The outbox relay: forwards cases and ratings upstream, exactly once in effect.

One relay thread per hub, with its own database connection, and a small
pool of call threads (`in_flight`, [upstream] in_flight) that only run the
adapter's calls. Everything that reads or writes the database happens on
the relay thread; a call thread gets the payloads and hands back Outcomes.

Why threads and not one thread with an asynchronous HTTP client: the
adapters are synchronous (each dialect's signing, SM2/SM4 and HTTP live in
its module, written against httpx.Client), and a dialect's case
registration is several calls in order inside register_case. A pool lets
every dialect overlap its calls without being rewritten, and the CPU work
(JSON, SM2) runs under the GIL either way. The pool shares one adapter
(hub/upstream/base.py: adapters are thread-safe).

What order is kept, whatever the number in flight:
  - a case's registration before its ratings: a rating is handed to a call
    only once its case row is `accepted` in the database (the registration's
    call has returned and been settled); a dialect with steps does them in
    order inside one register_case;
  - nothing of the same projectNo is in flight twice: a case and its
    ratings, or two ratings of one case, go one after the other, oldest row
    first (so assessNumber 1 before 2);
  - cases before ratings among what may go now (a case unblocks ratings).

Each row goes to `sent` (committed) before its call and is settled after it,
so a kill -9 between the two repeats the call on restart — upstream's
(projectNo, assessNumber) key makes the repeat harmless, and the adapter
reports it as a duplicate success with upstream's id. A lost answer is a
transient failure: the row stays `sent`, is retried after a backoff, and the
repeat is answered "already held".

Transient failures back off per row with full jitter and feed the breaker
(hub/upstream/pacing.py): while it is open, one probe call at a time.
Permanent ones become dead letters whose reason says, in hall IT's words,
what the platform refused and what to do (`pingjia upstream dead`). A rating
upstream answers with "no such case" is settled by what the hub knows of
that case serial (_unknown_case).
"""

import concurrent.futures as futures
import logging
import threading
import time

from hub.store import data_dir, open_db, sealbox, tx
from hub.upstream import outbox
from hub.metrics import upstream_call
from hub.upstream.base import Outcome, case_times, rating_times
from hub.upstream.pacing import Breaker, backoff_s

log = logging.getLogger("pingjia.upstream")
WAIT_FOR_CASE_MS = 60_000
DEFAULT_IN_FLIGHT = 4
IN_FLIGHT_MAX = 64
_KIND_ZH = {"case": "办件登记", "rating": "评价"}
_KIND_EN = {"case": "registration", "rating": "rating"}


class _Unit:
    """One adapter call: rows of one kind, at most max_batch, distinct projectNos."""

    __slots__ = ("kind", "items", "payloads")

    def __init__(self, kind, items):
        self.kind = kind
        self.items = items
        self.payloads = []


class Relay:
    """The relay over the outbox of DB_PATH through ADAPTER. IN_FLIGHT calls
    at once (1 here unless given; the hub passes [upstream] in_flight, 4 by
    default). run_once() is one pass for tests and tools; start() runs the
    thread that keeps the slots filled."""

    def __init__(self, db_path, adapter, clock=time.time, breaker=None, base_s=2.0, cap_s=600.0,
                 poll_s=1.0, batch_rows=None, in_flight=1):
        if type(in_flight) is not int or not 1 <= in_flight <= IN_FLIGHT_MAX:
            raise ValueError("in_flight must be a whole number from 1 to %d, got %r" % (IN_FLIGHT_MAX, in_flight))
        self.db_path = db_path
        self.adapter = adapter
        self.clock = clock
        self.breaker = breaker or Breaker()
        self.base_s, self.cap_s = base_s, cap_s
        self.poll_s = poll_s
        self.batch_rows = batch_rows
        self.in_flight = in_flight
        self.stats = {"calls": 0, "accepted": 0, "duplicates": 0, "transient": 0, "rejected": 0}
        self._db = None
        self._key = None
        self._pool = None
        self._rows = {}       # id -> item: fetched, due, not yet handed to a call (id order)
        self._flight = {}     # future -> _Unit
        self._busy = set()    # projectNos of the rows in flight
        self._cases = {}      # eid -> case row id, for case rows fetched or in flight
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
        if self._pool is not None:
            self._pool.shutdown(wait=False)

    def _run(self):
        """Keep `in_flight` calls going: refill as each returns (no pass barrier)."""
        while not self._stop.is_set():
            try:
                busy = self._cycle()
            except Exception:  # a relay that dies silently loses nothing but forwards nothing: say so
                log.exception("upstream relay pass failed; retrying in %.0f s", self.poll_s)
                self._forget()
                busy = False
            if not busy:
                wait = max(self.poll_s, self.breaker.wait_s(self.clock()))
                self._stop.wait(min(wait, 30.0))
        try:
            while self._flight:         # settle what is under way: nothing is left `sent` needlessly
                self._round(timeout=None, start=False)
        except Exception:
            log.exception("upstream relay: settling the calls under way at stop failed")

    def _cycle(self):
        """Settle what returned, fetch when low, start calls -> whether there was work."""
        self._round(timeout=self.poll_s if self._flight else 0, fetch=True)
        if self._flight:
            return True
        self._forget()
        return False

    def _round(self, timeout, fetch=False, start=True):
        """Wait up to TIMEOUT for calls to return, then in ONE transaction settle
        them, read more rows (FETCH, when few are left), mark the next calls'
        rows sent; start those calls after the commit -> rows settled.

        One commit per round, not two per call: with calls coming back every
        few milliseconds, the rows of all that returned meanwhile are settled
        and the next ones marked together (a slow disk makes the rounds
        bigger, not the relay slower)."""
        done = self._returned(timeout) if self._flight else []
        with tx(self.db):
            settled = self._settle(done)
            if fetch and len(self._rows) < self.in_flight * self._step() * 2:
                settled += self._fetch(self._limit())
            units = self._plan() if start else []
        for unit in units:
            self._start(unit)
        return settled

    # ---------------------------------------------------------------- one pass
    @property
    def db(self):
        if self._db is None:
            self._db = open_db(self.db_path)
            # This connection writes only the outbox's states, and for those a
            # commit that a power cut takes back is harmless: a row back to
            # pending or `sent` is sent again, and upstream's key makes the
            # repeat "already held". A kill -9 loses nothing either way (the
            # WAL is in the OS's cache). So no fsync per commit here: on a
            # busy disk one took 170 ms, and bounded the calls in flight.
            # The ratings themselves are written durably by the writer.
            self._db.conn.execute("PRAGMA synchronous=NORMAL")
        return self._db

    def _step(self):
        return max(1, self.adapter.max_batch)

    def _limit(self):
        """Rows read per pass: by default enough to keep every call slot busy
        with full batches (a pass ends when its rows are settled)."""
        if self.batch_rows is not None:
            return self.batch_rows
        return max(500, self.in_flight * self._step() * 4)

    def run_once(self):
        """One pass over the due rows, calls overlapping up to in_flight -> rows settled."""
        probing = self.breaker.state == Breaker.OPEN
        with tx(self.db):
            settled = self._fetch(1 if probing else self._limit())
            units = self._plan()
        for unit in units:
            self._start(unit)
        while self._flight:
            settled += self._round(timeout=None)
        self._forget()
        return settled

    def _forget(self):
        """Drop fetched rows not under way (re-read fresh next time). After a
        failed round, what is known to be under way is rebuilt from the calls
        still in flight: a row whose settling failed is `sent` in the database
        and goes again (answered "already held"), never stuck as busy."""
        self._rows.clear()
        flying = [it for u in self._flight.values() for it in u.items]
        self._busy = {it["serial"] for it in flying}
        self._cases = {it["eid"]: it["id"] for it in flying if it["kind"] == "case"}

    def _now_ms(self):
        return int(self.clock() * 1000)

    def _fetch(self, limit):
        """Read due rows not yet known into self._rows -> rows settled at once (no case behind them)."""
        known = set(self._rows) | {it["id"] for u in self._flight.values() for it in u.items}
        now_ms = self._now_ms()
        dead = []
        for row in outbox.due(self.db, now_ms, limit + len(known)):
            if row["id"] in known:
                continue
            item = {"id": row["id"], "kind": row["kind"], "ref": row["ref"], "state": row["state"],
                    "attempts": row["attempts"]}
            if row["kind"] == "case":
                item["eid"], item["serial"] = row["ref"], outbox.case_serial(self.db, row["ref"])
                if item["serial"] is None:
                    dead.append((row["id"], "rejected", now_ms, "invitation %s is missing" % row["ref"], None))
                    continue
                self._cases[item["eid"]] = row["id"]
            else:
                eid, payload = outbox.rating_payload(self.db, row["ref"])
                if payload is None:
                    why = ("rating %s was refused at the hub (一次一评) or has no invitation behind it "
                           "(evaluation %s unknown): there is no case to rate upstream" % (row["ref"], eid))
                    dead.append((row["id"], "rejected", now_ms, why, None))
                    continue
                item["eid"], item["serial"], item["payload"] = eid, payload["project_no"], payload
            self._rows[row["id"]] = item
        if dead:
            outbox.settle(self.db, dead, now_ms)
        return len(dead)

    def _plan(self):
        """Units for the free call slots, their rows marked sent (inside the
        caller's transaction: committed before any of them starts) -> [_Unit]."""
        units = []
        while len(self._flight) + len(units) < self.in_flight:
            size = self._step()
            if self.breaker.state == Breaker.OPEN and not self._local_case_waiting():
                # One probe at a time, at the breaker's pace. A case that makes
                # no request (cases_local) is no probe: it goes at once, and
                # must not spend the probe a rating needs to find the platform back.
                requests = [u for u in list(self._flight.values()) + units if not self._local(u)]
                if requests or not self.breaker.allow(self.clock()):
                    break
                size = 1
            unit = self._next_unit(size)
            if unit is None:
                break
            self._prepare(unit)
            units.append(unit)
        return units

    def _local(self, unit):
        return unit.kind == "case" and self.adapter.cases_local

    def _local_case_waiting(self):
        return self.adapter.cases_local and any(
            item["kind"] == "case" and item["serial"] not in self._busy for item in self._rows.values())

    def _next_unit(self, size):
        """Cases first, then ratings whose case upstream holds; settles ratings that must wait."""
        picked, serials = [], set()
        for item in self._rows.values():
            if item["kind"] == "case" and item["serial"] not in self._busy and item["serial"] not in serials:
                picked.append(item)
                serials.add(item["serial"])
                if len(picked) == size:
                    break
        if picked:
            return _Unit("case", picked)
        held, now_ms = [], self._now_ms()
        for item in list(self._rows.values()):
            if item["kind"] != "rating" or item["serial"] in self._busy or item["serial"] in serials:
                continue
            if item["eid"] in self._cases:          # its case is fetched or under way: wait for it here
                continue
            case = outbox.case_state(self.db, item["eid"])
            if case is not None and case[0] == "accepted":
                picked.append(item)
                serials.add(item["serial"])
                if len(picked) == size:
                    break
                continue
            del self._rows[item["id"]]
            if case is None:
                held.append((item["id"], "rejected", now_ms, "no case row for evaluation %s" % item["eid"], None))
            elif case[0] == "rejected":
                held.append((item["id"], item["state"], now_ms + WAIT_FOR_CASE_MS,
                             "waiting for its case, which upstream rejected: %s" % case[1], None))
            else:
                held.append((item["id"], item["state"], max(case[2], now_ms), "waiting for its case", None))
        if held:
            outbox.settle(self.db, held, now_ms)
        return _Unit("rating", picked) if picked else None

    def _prepare(self, unit):
        """The unit's payloads (the applicant opened here, times through the
        rule), its rows marked sent and taken off the fetched rows."""
        now_s = self.clock()
        if unit.kind == "case":
            key = self._sealbox_key()
            for item in unit.items:
                case = outbox.case_payload(self.db, item["eid"], key)
                unit.payloads.append(case_times(case, now_s))
        else:
            # A rating carries its case (and the case's applicant) along: a
            # dialect whose record holds both needs no memory of an earlier
            # call, and a rating record that names the applicant (Shandong's
            # `name`) has it.
            key = self._sealbox_key()
            unit.payloads = []
            for item in unit.items:
                r = rating_times(item["payload"], now_s)
                case = outbox.case_payload(self.db, item["eid"], key)
                # (only its own case: a rating that names another serial than its
                # invitation's must be judged by what upstream knows of that one)
                if case is not None and case["project_no"] == r["project_no"]:
                    case = case_times(case, now_s)
                    r = dict(r, case=case, applicant=case.get("applicant"))
                unit.payloads.append(r)
        outbox.mark_sent(self.db, [item["id"] for item in unit.items], int(now_s * 1000))
        for item in unit.items:
            del self._rows[item["id"]]
            self._busy.add(item["serial"])

    def _start(self, unit):
        """After the commit: the unit's call on a call thread."""
        call = self.adapter.register_cases if unit.kind == "case" else self.adapter.push_ratings
        if self._pool is None:
            self._pool = futures.ThreadPoolExecutor(self.in_flight, thread_name_prefix="upstream-call")
        self.stats["calls"] += 1
        self._flight[self._pool.submit(self._call, call, unit.payloads)] = unit

    def _sealbox_key(self):
        if self._key is None:
            self._key = sealbox.load_key(data_dir(self.db))
        return self._key

    def _call(self, call, payloads):
        """On a call thread: the adapter's answer, one Outcome per payload, never raises."""
        try:
            with upstream_call(self.adapter.name):      # GET /metrics (hub/metrics.py)
                outs = list(call(payloads))
        except Exception as e:  # an adapter bug must not kill forwarding of everything else
            log.exception("upstream adapter %s raised", self.adapter.name)
            return [Outcome.transient("adapter error: %s: %s" % (type(e).__name__, e))] * len(payloads)
        if len(outs) != len(payloads):
            return [Outcome.transient("adapter %s answered %d results for %d items"
                                      % (self.adapter.name, len(outs), len(payloads)))] * len(payloads)
        return outs

    def _returned(self, timeout):
        """The calls that have returned, waiting up to TIMEOUT for the first -> [(unit, outcomes)]."""
        done, _ = futures.wait(list(self._flight), timeout=timeout, return_when=futures.FIRST_COMPLETED)
        return [(self._flight.pop(fut), fut.result()) for fut in done]

    def _settle(self, done):
        """Settle returned calls (inside the caller's transaction) -> rows settled."""
        settled = 0
        for unit, outs in done:
            now = self.clock()
            if self._local(unit):
                pass        # no request was made: it says nothing of the platform's health
            elif all(o.status == Outcome.TRANSIENT for o in outs):
                self.breaker.failure(now, outs[0].reason)
            else:
                self.breaker.success()
            results = [self._result(item, case, out)
                       for item, case, out in zip(unit.items, unit.payloads, outs)]
            outbox.settle(self.db, results, int(self.clock() * 1000))
            for item in unit.items:
                self._busy.discard(item["serial"])
                if item["kind"] == "case":
                    self._cases.pop(item["eid"], None)
            unit.payloads = None            # the decrypted applicant goes with it
            settled += len(unit.items)
        return settled

    def _result(self, item, payload, out):
        now_ms = int(self.clock() * 1000)
        if out.status == Outcome.UNKNOWN_CASE:
            out = self._unknown_case(item, item["serial"], out, now_ms)
        if out.status == Outcome.OK:
            self.stats["duplicates" if out.duplicate else "accepted"] += 1
            return (item["id"], "accepted", now_ms, None, out.upstream_id)
        reason = _scrub(out.reason, self._applicant_of(item, payload))
        if out.status == Outcome.PERMANENT:
            self.stats["rejected"] += 1
            why = refusal_text(item["kind"], item["serial"], reason)
            log.warning("upstream rejected %s %s: %s", item["kind"], item["ref"], reason)
            return (item["id"], "rejected", now_ms, why, None)
        self.stats["transient"] += 1
        delay_ms = int(backoff_s(item["attempts"] + 1, self.base_s, self.cap_s) * 1000)
        return (item["id"], "sent", now_ms + delay_ms, reason, None)

    def _applicant_of(self, item, payload):
        """The applicant a refusal could quote: the case's (for a rating too:
        a dialect whose one call carries case and rating sends it with the
        rating). A rating's payload carries it when its case went along
        (_prepare); read only for an answer that is kept as a reason."""
        if item["kind"] == "case" or "applicant" in payload:
            return payload.get("applicant")
        case = outbox.case_payload(self.db, item["eid"], self._sealbox_key())
        return case and case.get("applicant")

    def _unknown_case(self, item, serial, out, now_ms):
        """Upstream has no case `serial` for this rating -> the Outcome that settles it."""
        if item["kind"] != "rating":
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


def refusal_text(kind, serial, reason):
    """A dead letter's reason as hall IT reads it in `pingjia upstream dead`:
    what was refused, the platform's own words, and what to do."""
    return ("省平台拒收此%s（办件 %s）：%s。请按平台给出的原因改正（多为 [upstream] 配置或业务系统所传的"
            "办件字段），再运行 pingjia upstream replay --id N — the platform refused this %s of case %s; "
            "fix the cause, then replay it" % (_KIND_ZH[kind], serial, reason, _KIND_EN[kind], serial))


def _scrub(reason, applicant):
    """A platform may quote what it refused: never keep a personal value in a reason."""
    reason = reason or ""
    for value in (applicant or {}).values():
        if isinstance(value, str) and len(value) >= 2 and value in reason:
            reason = reason.replace(value, "…")
    return reason
