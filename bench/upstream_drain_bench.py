"""Drain of an upstream backlog after a long outage, and the hub's CPU per forwarded rating.

    .venv/bin/python bench/upstream_drain_bench.py [--ratings 100000] [--adapter zhejiang]
                                                   [--latency-ms 0]

Seeds a hub database with N finished cases and their ratings through the
hub's own services (what a hall's terminals would have left in the outbox
during the outage), starts the simulated provincial platform in a separate
process (so its CPU is not counted as the hub's), then runs the relay until
the outbox is empty. Prints wall time, ratings/s, calls, and the relay
process's CPU per forwarded rating. --latency-ms adds a delay to every
platform answer to show the drain is bounded by the platform, not the hub.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from hub.services import invitations, journal, terminals  # noqa: E402
from hub.store import open_db, tx  # noqa: E402
from hub.upstream import make_adapter  # noqa: E402
from hub.upstream.relay import Relay  # noqa: E402
from simulator.ports import free_port  # noqa: E402


def start_platform(port, latency_ms):
    proc = subprocess.Popen([sys.executable, "-m", "hub.cli", "province", "--port", str(port)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    proc.stdout.readline()
    if latency_ms:
        req = urllib.request.Request("http://127.0.0.1:%d/_control/faults" % port, method="POST",
                                     data=json.dumps({"delay_s": latency_ms / 1000}).encode())
        urllib.request.urlopen(req).read()
    return proc


def seed(db, n):
    terminals.provision(db, "T001", "1")
    t0 = time.time()
    seq = 0
    for start in range(0, n, 1000):
        with tx(db):
            for i in range(start, min(n, start + 1000)):
                inv = invitations.create(db, "1", "330100%012d" % i, "T0001", "个体工商户设立登记",
                                         staff_id="S001", staff_name="王芳")
                seq += 1
                journal.record_rating(db, "T001", {"t": "rating", "seq": seq, "eid": inv["eid"],
                                                   "cs": inv["case_serial"], "lv": 5, "lb": [517], "dp": 2400,
                                                   "mt": 1000, "org": "live"})
    return time.time() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ratings", type=int, default=100000)
    ap.add_argument("--adapter", choices=("zhejiang", "shandong", "fujian"), default="zhejiang")
    ap.add_argument("--latency-ms", type=float, default=0.0)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="pingjia-drain-")
    db_path = os.path.join(tmp, "hub.sqlite3")
    db = open_db(db_path)
    seeded_s = seed(db, args.ratings)
    port = free_port()
    platform = start_platform(port, args.latency_ms)
    url = "http://127.0.0.1:%d" % port
    cfg = {"adapter": args.adapter, "area_code": "330100", "dept_code": "D01",
           "channels": {"terminal": 5, "qr": 3}, "timeout_s": 30}
    if args.adapter == "zhejiang":
        cfg.update(endpoint=url + "/zj/offlinereport.do", username="hall-user", password="hall-pass",
                   dept_code="91330100MA27XL0E1D", area_name="杭州市", pro_depart="杭州市市场监督管理局")
    elif args.adapter == "fujian":
        cfg.update(endpoint=url + "/fj/webservice", token_url=url + "/fj/get-token", app_key="fj-app-key",
                   app_code="fj-app-code", dept_code="11350300003610123Y", dept_name="莆田市行政服务中心",
                   data_source="135")
    else:
        cfg.update(endpoint=url + "/sd", app_mark="pingjia-hall", app_word="secret-word")
    relay = Relay(db_path, make_adapter(cfg), batch_rows=2000)
    try:
        wall0, cpu0 = time.perf_counter(), time.process_time()
        while True:
            if relay.run_once() == 0:
                left = db.execute("SELECT COUNT(*) FROM outbox WHERE state != 'accepted'").fetchone()[0]
                if left == 0:
                    break
                time.sleep(0.05)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    finally:
        platform.terminate()
        platform.wait()
    n = args.ratings
    print("upstream drain (%s, platform latency %.0f ms)" % (args.adapter, args.latency_ms))
    print("  backlog seeded          %8d cases + %d ratings in %.1f s" % (n, n, seeded_s))
    print("  drained in              %8.1f s" % wall)
    print("  ratings/s               %8.0f   (cases and ratings: %d rows)" % (n / wall, 2 * n))
    print("  calls to the platform   %8d   (batch %d)" % (relay.stats["calls"], relay.adapter.max_batch))
    print("  hub CPU per rating      %8.3f ms (relay process, cases included)" % (cpu / n * 1000))
    print("  hub CPU share           %8.0f %%  of the drain's wall time" % (100 * cpu / wall))


if __name__ == "__main__":
    main()
