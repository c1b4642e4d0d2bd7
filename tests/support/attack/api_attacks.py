"""Attacks on the hub's HTTP API, from 127.0.0.1: schemathesis over the live
OpenAPI in rounds of new seeds for as long as the run lasts, and floods of
hostile requests. Every answer's status is counted in `answers` (code ->
n, "unreachable" for a request no hub took: it was being killed); a 5xx is
a violation of "no answer of the API is a 500".

    api = ApiAttacks(base_url, token, answers, rnd)
    api.start_schemathesis(stop_event)     # a thread until the event is set
    api.flood(seconds, threads=4)          # blocks for SECONDS
"""

import threading
import time

import httpx
import requests

from tests.support.schemathesis_run import MODES, operations, run_operation

EXAMPLES_PER_ROUND = 4        # per operation and mode; a new seed each round
BIG_BODY = b"{\"x\": \"" + b"a" * (1024 * 1024) + b"\"}"     # 1 MiB, sent without a token


class ApiAttacks:
    def __init__(self, base_url, token, answers, rnd):
        self.base = base_url
        self.token = token
        self.answers = answers          # collections.Counter, shared
        self.schema_failures = []
        self.rnd = rnd
        self.rounds = 0
        self._lock = threading.Lock()
        self._threads = []

    def seen(self, status):
        with self._lock:
            self.answers["unreachable" if status is None else str(status)] += 1

    # -------------------------------------------------------- schemathesis
    def start_schemathesis(self, stop):
        ops = operations(self.base)

        def rounds():
            while not stop.is_set():
                self.rounds += 1
                for op in ops:
                    for mode in MODES:
                        if stop.is_set():
                            return
                        try:
                            self.schema_failures += run_operation(
                                op, mode, self.token, EXAMPLES_PER_ROUND, seed=self.rounds,
                                seen=self.seen)
                        except requests.RequestException:   # a hub killed mid-answer
                            self.seen(None)
                        except Exception as e:  # noqa: BLE001 - anything else is a finding
                            self.schema_failures.append("%s (%s): %r" % (op.label, mode, e)[:500])
        t = threading.Thread(target=rounds, name="schemathesis", daemon=True)
        t.start()
        self._threads.append(t)
        return t

    # -------------------------------------------------------------- floods
    def _hostile(self, client):
        """One hostile request, drawn at random."""
        auth = {"Authorization": "Bearer " + self.token}
        kind = self.rnd.randrange(6)
        if kind == 0:       # a large body without a token: refused before it is read
            return client.post("/api/v1/invitations", content=BIG_BODY,
                               headers={"Content-Type": "application/json"})
        if kind == 1:       # a wrong token
            return client.get("/api/v1/ratings", headers={"Authorization": "Bearer wrong"})
        if kind == 2:       # parameters past every bound
            return client.get("/api/v1/ratings", headers=auth,
                              params={"page": str(2 ** 63), "since": "1" * 40})
        if kind == 3:       # not JSON
            return client.post("/api/v1/invitations", content=b"{\"window\": [[[[", headers=auth)
        if kind == 4:       # deep nesting
            return client.post("/api/v1/upstream/dead/replay", headers=auth,
                               content=b"[" * 5000 + b"]" * 5000)
        return client.get("/api/v1/health")

    def flood(self, seconds, threads=4):
        end = time.monotonic() + seconds

        def hammer():
            with httpx.Client(base_url=self.base, timeout=10) as client:
                while time.monotonic() < end:
                    try:
                        r = self._hostile(client)
                        self.seen(r.status_code)
                    except httpx.TransportError:
                        self.seen(None)
                        time.sleep(0.1)
        workers = [threading.Thread(target=hammer, daemon=True) for _ in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(seconds + 30)

    def join(self, timeout=60):
        for t in self._threads:
            t.join(timeout)
