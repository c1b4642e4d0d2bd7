"""CPU per stored rating on the hub's group-commit writer thread, alone.

N no_case ratings from 50 provisioned terminals are queued to one
hub.store.writer.Writer while it is held, then released in batches of
--batch (as under load); the writer thread's own CPU time (time.thread_time,
so other jobs on this shared machine and the queueing thread do not count)
is divided by N, and SQLite's trace callback counts the statements run per
rating. No transport, no sealing: only journal.record_rating, its savepoint
and the group commit (WAL, synchronous=FULL).

    .venv/bin/python bench/hub_writer_bench.py [--ratings 20000] [--batch 200]
"""

import argparse
import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from hub.store.writer import Writer  # noqa: E402
from hub.services import journal, terminals  # noqa: E402
from hub.store import open_db  # noqa: E402

T0 = 1_763_900_000_000


def run(n, batch):
    path = os.path.join(tempfile.mkdtemp(prefix="hub-writer-bench-"), "hub.db")
    db = open_db(path)
    for i in range(50):
        terminals.provision(db, "T%03d" % i, "W%03d" % i)
    db.conn.close()
    w = Writer(path, max_batch=batch)
    cpu, statements = [0.0], [0]
    run_thread = w._run

    def measured(db):
        db.conn.set_trace_callback(lambda sql: statements.__setitem__(0, statements[0] + 1))
        try:
            run_thread(db)
        finally:
            cpu[0] = time.thread_time()
    w._run = measured
    w.start()
    gate = threading.Event()
    w.submit(lambda db: gate.wait())
    for k in range(n):
        dev, seq = "T%03d" % (k % 50), k // 50 + 1
        msg = {"t": "rating", "seq": seq, "eid": "e-%s-%d" % (dev, seq), "cs": "C%d" % seq,
               "lv": 5, "lb": [517], "dp": 2500, "mt": 1000 * seq, "org": "live", "bt": 1,
               "dt": T0}
        w.submit(lambda db, dev=dev, msg=msg: journal.record_rating(db, dev, msg, T0))
    gate.set()
    w.stop(120)
    return {"ratings": n, "batches": w.stats["batches"], "failed_jobs": w.stats["failed_jobs"],
            "writer_cpu_us_per_rating": round(1e6 * cpu[0] / n, 1),
            "statements_per_rating": round(statements[0] / n, 2)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ratings", type=int, default=20000)
    ap.add_argument("--batch", type=int, default=200)
    args = ap.parse_args()
    for k, v in run(args.ratings, args.batch).items():
        print("%-26s %s" % (k, v))


if __name__ == "__main__":
    main()
