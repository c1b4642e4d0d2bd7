"""Hub API figures: `pingjia hub` running under uvicorn (subprocess, real SQLite,
writes through the ingest's group-commit writer), called over HTTP by httpx.

    .venv/bin/python bench/api_bench.py [--invitations 500] [--ratings 20000]

Prints: invitations created per second and their latency (one client, one
request at a time, like a queue system), and the latency of a ratings page
(50 rows, with filters) over a table of --ratings ratings.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import httpx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.support.api import wait_http  # noqa: E402
from simulator.ports import free_port  # noqa: E402
from hub import config  # noqa: E402
from hub.services.tokens import TokenStore  # noqa: E402
from hub.services import invitations, journal, terminals  # noqa: E402
from hub.store import open_db, tx  # noqa: E402


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def seed(db, n):
    terminals.provision(db, "T-R", "R1")
    with tx(db):
        for i in range(n):
            inv = invitations.create(db, "R1", "SEED%06d" % i, "M1", "事项", "A1", "李明")
            lv = 5 - i % 5
            journal.record_rating(db, "T-R", {
                "t": "rating", "seq": i + 1, "eid": inv["eid"], "cs": inv["case_serial"],
                "lv": lv, "lb": [lv * 100 + 13 if lv < 5 else 517], "dp": 3000,
                "mt": i * 1000, "org": "live"})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--invitations", type=int, default=500)
    ap.add_argument("--ratings", type=int, default=20000)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="api-bench-")
    port = free_port()
    path = os.path.join(work, "hub.toml")
    with open(path, "w") as f:
        f.write('[hub]\ndata_dir = "data"\nlog_level = "warning"\n[broker]\nenabled = false\n'
                '[serial]\ndiscover = []\n[api]\nport = %d\n' % port)
    cfg = config.load(path, env={})
    config.ensure_data_dir(cfg)
    db = open_db(cfg.db_path)
    terminals.provision(db, "T-1", "1")
    t0 = time.perf_counter()
    seed(db, a.ratings)
    seeded_s = time.perf_counter() - t0
    db.close()
    token = TokenStore(cfg.tokens_path).create("bench")
    proc = subprocess.Popen([sys.executable, "-m", "hub.cli", "hub", "--config", path], cwd=ROOT)
    try:
        base = "http://127.0.0.1:%d" % port
        wait_http(base + "/api/v1/health", timeout=30)
        c = httpx.Client(base_url=base, headers={"Authorization": "Bearer " + token}, timeout=30)
        lat = []
        start = time.perf_counter()
        for i in range(a.invitations):
            t = time.perf_counter()
            r = c.post("/api/v1/invitations", json={
                "window": "1", "case_serial": "B%06d" % i, "matter_code": "M1",
                "matter_name": "个体工商户设立登记", "staff_id": "A1", "staff_name": "李明"})
            lat.append((time.perf_counter() - t) * 1000)
            assert r.status_code in (201, 202), r.text
        total = time.perf_counter() - start
        print("POST /invitations: %d in %.2f s = %.0f/s; latency p50 %.1f ms, p99 %.1f ms"
              % (a.invitations, total, a.invitations / total, pct(lat, 50), pct(lat, 99)))
        for query in ("?size=50", "?bad=true&size=50", "?level=2&label=213&size=50",
                      "?order=asc&size=50&since=2000-01-01"):
            lat = []
            for _ in range(50):
                t = time.perf_counter()
                r = c.get("/api/v1/ratings" + query)
                lat.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200
            print("GET /ratings%s over %d ratings (total %d): p50 %.1f ms, p99 %.1f ms"
                  % (query, a.ratings, r.json()["total"], statistics.median(lat), pct(lat, 99)))
        print("(seeding %d ratings took %.1f s)" % (a.ratings, seeded_s))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


if __name__ == "__main__":
    main()
