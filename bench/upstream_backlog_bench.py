"""Backlog drain per dialect with calls in flight: calls/s against the bound, hub CPU per rating.

    .venv/bin/python bench/upstream_backlog_bench.py [--dialects zhejiang,shandong,fujian]
        [--cases 100000] [--latency-ms 50] [--in-flight 4,16] [--window-s 20]
        [--outage 35000] [--outage-in-flight 8] [--outage-limit-s 400]

For each dialect of hub.upstream.ADAPTERS (configured as the tests configure
it, tests/support/upstream.py adapter_config, so a new dialect plugs in):

1. Backlog: a hub database with CASES finished cases and their ratings
   (seeded once through the hub's own services, then copied per run); the
   simulated platform in its own process (its CPU is not the hub's) adds
   LATENCY to every answer (a fresh platform per run, so its ledger holds
   only that run's cases). The relay thread drains with N calls in flight;
   over a window of WINDOW seconds after a warm-up the bench counts the HTTP
   requests the platform answered and the hub process's CPU time. Prints
   calls/s against the bound (N / latency), ratings forwarded per second,
   and CPU per forwarded rating (process CPU ÷ ratings accepted in the
   window, each with its case's registration: Shandong's SM2 sealing of its
   service records and ratings, Fujian's SM4, JSON, SOAP and SQLite all
   included). A row refused for good stops the bench: a drain that
   dead-letters is not a drain. Next to it, the ceiling of the moment: the
   same number of threads calling the adapter directly, with no relay and
   no database, against the same platform — on a shared machine the load
   of other work moves both, and the relay's share of the ceiling is what
   the relay itself costs.
2. Outage: OUTAGE rated cases (a busy hall's week) drained to the end with
   8 in flight; wall time against the five-minute goal. When the drain would
   take longer than --outage-limit-s, the rate over the first part is
   extrapolated and the figure says so.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from hub.services import invitations, journal, terminals  # noqa: E402
from hub.store import open_db, tx  # noqa: E402
from hub.upstream import ADAPTERS, make_adapter  # noqa: E402
from hub.upstream.relay import Relay  # noqa: E402
from simulator.ports import free_port  # noqa: E402
from tests.support.upstream import adapter_config  # noqa: E402

PLATFORM = """
import sys, time
from simulator.province.server import ProvincePlatform
from tests.support.upstream import SM4
p = ProvincePlatform(area_code="330100", sm4_key=SM4, port=int(sys.argv[1])).start()
print("ready", flush=True)
time.sleep(10 ** 6)
"""


class Platform:
    """The simulated platform in a process of its own, as the tests configure it."""

    def __init__(self, latency_ms):
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.proc = subprocess.Popen([sys.executable, "-c", PLATFORM, str(self.port)], cwd=ROOT,
                                     stdout=subprocess.PIPE)
        assert self.proc.stdout.readline().strip() == b"ready"
        self._post("/_control/faults", {"delay_s": latency_ms / 1000})

    def _post(self, path, body):
        req = urllib.request.Request(self.url + path, method="POST", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        return json.loads(urllib.request.urlopen(req).read())

    def requests(self):
        with urllib.request.urlopen(self.url + "/_control/faults") as r:
            return json.loads(r.read())["served"]["requests"]

    def cpu_s(self):
        """The platform process's CPU seconds so far (Linux /proc)."""
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def seed(folder, n):
    """A data directory holding N rated cases, made once and kept for later runs.
    The cases name no area: each dialect sends its configured one (a
    Zhejiang area code is refused by the Shandong platform, and so on)."""
    done = os.path.join(folder, "seeded")
    if os.path.exists(done):
        return folder
    os.makedirs(folder, exist_ok=True)
    db = open_db(os.path.join(folder, "hub.sqlite3"))
    terminals.provision(db, "T001", "1")
    seq = 0
    for start in range(0, n, 1000):
        with tx(db):
            for i in range(start, min(n, start + 1000)):
                t_s = int(time.time()) - 7 * 86400 + i * 5
                inv = invitations.create(db, "1", "330100%012d" % i, "T0001", "个体工商户设立登记",
                                         staff_id="S001", staff_name="王芳", upstream_case={
                                             "applicant": {"name": "申请人%d" % i, "kind": 1, "id_type": "111",
                                                           "id_number": "3701021990%08d" % i,
                                                           "mobile": "139%08d" % i},
                                             "task_type": "01", "accept_time": t_s - 600,
                                             "org_code": "11370100MB28470613", "org_name": "行政审批服务局"})
                seq += 1
                journal.record_rating(db, "T001", {"t": "rating", "seq": seq, "eid": inv["eid"],
                                                   "cs": inv["case_serial"], "lv": 5, "lb": [517], "dp": 2400,
                                                   "mt": 1000, "org": "live"})
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    open(done, "w").close()
    return folder


def copy_of(seeded, tmp):
    out = tempfile.mkdtemp(prefix="run-", dir=tmp)
    for f in os.listdir(seeded):
        if f != "seeded":
            shutil.copy(os.path.join(seeded, f), out)
    return os.path.join(out, "hub.sqlite3")


def settled(db):
    """-> (case rows accepted, rating rows accepted, rows refused for good)."""
    got = dict(db.execute("SELECT kind || '/' || state, COUNT(*) FROM outbox GROUP BY kind, state").fetchall())
    return got.get("case/accepted", 0), got.get("rating/accepted", 0), got.get("case/rejected", 0) + \
        got.get("rating/rejected", 0)


def refused_sample(db):
    row = db.execute("SELECT kind, last_error FROM outbox WHERE state='rejected' LIMIT 1").fetchone()
    return tuple(row) if row else None


def relay_for(db_path, platform, dialect, in_flight):
    cfg = adapter_config(platform, dialect)
    cfg["timeout_s"] = 30
    return Relay(db_path, make_adapter(cfg), in_flight=in_flight, poll_s=0.05)


def ceiling(platform, dialect, in_flight, seconds):
    """What the machine and the platform allow right now, without the relay:
    IN_FLIGHT threads registering fresh cases through the adapter, no
    database -> HTTP requests per second the platform answered."""
    adapter = relay_for(os.devnull, platform, dialect, 1).adapter
    stop, t_s = time.perf_counter() + seconds, int(time.time()) - 3600

    def work(k):
        i = 0
        while time.perf_counter() < stop:
            batch = []
            for _ in range(max(1, adapter.max_batch)):      # full batches, as the relay sends them
                i += 1
                batch.append({"project_no": "CEIL%d%02d%06d" % (in_flight, k, i), "task_code": "T0001",
                              "task_name": "个体工商户设立登记", "user_prop": 1, "service_time": t_s,
                              "window": "1", "staff_id": "S001", "staff_name": "王芳", "upstream": {},
                              "applicant": None})
            if not adapter.cases_local:
                adapter.register_cases(batch)
                continue
            # A dialect whose case travels with its rating: registering is
            # local, the request is the rating carrying its case.
            adapter.push_ratings([{"uuid": "u" + c["project_no"], "project_no": c["project_no"],
                                   "assess_number": 1, "level": 5, "labels": [517], "other": False, "text": "",
                                   "channel": "terminal", "rated_at": t_s + 300, "service_time": t_s,
                                   "user_prop": 1, "case": c} for c in batch])
    r0, t0 = platform.requests(), time.perf_counter()
    threads = [threading.Thread(target=work, args=(k,)) for k in range(in_flight)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return (platform.requests() - r0) / (time.perf_counter() - t0)


def window(db_path, platform, dialect, in_flight, latency_ms, window_s, warm_s=3.0):
    """-> {calls/s, bound, ratings/s, hub CPU ms per call and per forwarded
    rating, hub and platform CPU share} over a window of the drain. A
    forwarded rating is counted with its case: (case rows + rating rows
    accepted) / 2, so a window in which cases run ahead of their ratings is
    not misread; the CPU is the whole hub process's (relay, HTTP, SQLite,
    SM2/SM3/SM4, JSON). Where cases are only held in the hub until their
    rating carries them (cases_local), the ratings alone are counted."""
    db = open_db(db_path)
    relay = relay_for(db_path, platform, dialect, in_flight).start()
    try:
        time.sleep(warm_s)
        r0, c0, p0, t0, s0 = (platform.requests(), time.process_time(), platform.cpu_s(), time.perf_counter(),
                              settled(db))
        time.sleep(window_s)
        r1, c1, p1, t1, s1 = (platform.requests(), time.process_time(), platform.cpu_s(), time.perf_counter(),
                              settled(db))
    finally:
        relay.stop()
    refused = s1[2]
    if refused:
        raise SystemExit("%s: %d rows refused for good, e.g. %r: the bench's cases do not pass the platform"
                         % (dialect, refused, refused_sample(db)))
    wall = t1 - t0
    rated = s1[1] - s0[1]
    if not relay.adapter.cases_local:
        rated = ((s1[0] - s0[0]) + rated) / 2
    return {"calls": (r1 - r0) / wall, "bound": in_flight / (latency_ms / 1000),
            "ratings": rated / wall, "cpu_call_ms": (c1 - c0) / max(1, r1 - r0) * 1000,
            "cpu_rating_ms": (c1 - c0) / max(1, rated) * 1000, "hub_cpu": (c1 - c0) / wall,
            "platform_cpu": (p1 - p0) / wall}


def outage(db_path, platform, dialect, in_flight, n, limit_s):
    """-> (seconds to drain N rated cases, measured or extrapolated; extrapolated?;
    hub CPU ms per forwarded rating, its case's registration included;
    ratings the platform accepted)."""
    db = open_db(db_path)
    relay = relay_for(db_path, platform, dialect, in_flight).start()
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        while True:
            time.sleep(0.25)
            left = db.execute("SELECT COUNT(*) FROM outbox WHERE state IN ('pending','sent')").fetchone()[0]
            took = time.perf_counter() - t0
            if left == 0 or took > limit_s:
                break
    finally:
        relay.stop()
    cases, ratings, refused = settled(db)
    if refused:
        raise SystemExit("%s: %d rows refused for good, e.g. %r: the bench's cases do not pass the platform"
                         % (dialect, refused, refused_sample(db)))
    # Per rated case forwarded (its registration and its rating: two rows),
    # so that a drain cut short while cases still go first is not misread.
    # Cases only held in the hub (cases_local) are settled far ahead of
    # their ratings: there the ratings alone count.
    done = ratings if relay.adapter.cases_local else (cases + ratings) / 2
    cpu_ms = (time.process_time() - c0) / max(1, done) * 1000
    if left == 0:
        return took, False, cpu_ms, ratings
    return took * n / max(1, done), True, cpu_ms, ratings


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dialects", default=",".join(ADAPTERS))
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--latency-ms", type=float, default=50.0)
    ap.add_argument("--in-flight", default="4,16")
    ap.add_argument("--window-s", type=float, default=20.0)
    ap.add_argument("--outage", type=int, default=35_000)
    ap.add_argument("--outage-in-flight", type=int, default=8)
    ap.add_argument("--outage-limit-s", type=float, default=400.0)
    ap.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "pingjia-backlog-bench"))
    args = ap.parse_args()
    dialects = [d for d in args.dialects.split(",") if d]
    tmp = tempfile.mkdtemp(prefix="pingjia-backlog-")
    t = time.perf_counter()
    backlog = seed(os.path.join(args.cache, "cases-%d" % args.cases), args.cases)
    week = seed(os.path.join(args.cache, "cases-%d" % args.outage), args.outage) if args.outage else None
    print("seeded (or reused) in %.0f s: %s" % (time.perf_counter() - t, args.cache))
    try:
        for dialect in dialects:
            print("\n%s, platform latency %.0f ms, backlog %d rated cases" % (dialect, args.latency_ms, args.cases))
            print("  in flight   calls/s   bound   share   ratings/s   ceiling now   of ceiling   hub CPU/call"
                  "   hub CPU/rating   hub CPU   platform CPU   load")
            for n in [int(x) for x in args.in_flight.split(",")]:
                # A fresh platform per run: its ledger holds only this run's
                # cases (the same serials come back in every copy).
                platform = Platform(args.latency_ms)
                try:
                    ceil = ceiling(platform, dialect, n, min(10.0, args.window_s))
                    w = window(copy_of(backlog, tmp), platform, dialect, n, args.latency_ms, args.window_s)
                finally:
                    platform.stop()
                print("  %9d  %8.1f  %6.0f  %5.0f %%  %9.0f  %11.1f  %9.0f %%  %10.3f ms  %12.3f ms  %6.0f %%"
                      "  %10.0f %%  %5.1f"
                      % (n, w["calls"], w["bound"], 100 * w["calls"] / w["bound"], w["ratings"], ceil,
                         100 * w["calls"] / max(ceil, 1e-9), w["cpu_call_ms"], w["cpu_rating_ms"],
                         100 * w["hub_cpu"], 100 * w["platform_cpu"], os.getloadavg()[0]), flush=True)
            if week:
                platform = Platform(args.latency_ms)
                try:
                    took, extrapolated, cpu_ms, ratings = outage(copy_of(week, tmp), platform, dialect,
                                                                 args.outage_in_flight, args.outage,
                                                                 args.outage_limit_s)
                finally:
                    platform.stop()
                print("  outage of %d rated cases, %d in flight: drained in %.0f s%s (goal 300 s); "
                      "%d ratings accepted; hub CPU %.3f ms per forwarded rating, its case included; load %.1f"
                      % (args.outage, args.outage_in_flight, took,
                         " (extrapolated from the first %.0f s)" % args.outage_limit_s if extrapolated else "",
                         ratings, cpu_ms, os.getloadavg()[0]), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
