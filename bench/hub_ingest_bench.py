"""Ingest throughput with durable acks, without a transport in between.

T terminals (tests/support/hub_peer.py: protocol handshake and seals) are attached
to one Ingest directly; each keeps W ratings in flight (the firmware's
journal window is 8) and sends the next when one is acked. The ack leaves
the hub only after the group commit (synchronous=FULL) that stored it.
Reports ratings/s, ack latency p50/p99, and the writer's batch sizes: the
ceiling the serial and MQTT transports work under on this machine. The
terminals run in the same process, so their sealing shares the CPU.

    .venv/bin/python bench/hub_ingest_bench.py [--terminals 50] [--ratings 6000] [--window 8]
    .venv/bin/python bench/hub_ingest_bench.py --rate 200 --ratings 2000   # latency at a set load
"""

import argparse
import os
import queue
import statistics
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT]

from hub.ingest import Ingest  # noqa: E402
from hub.services import invitations, terminals  # noqa: E402
from hub.store import open_db, tx  # noqa: E402
from tests.support.hub_peer import Terminal  # noqa: E402
from protocol.catalogue import acked_seqs  # noqa: E402


def run(n_terms, n_ratings, window, rate=None):
    folder = tempfile.mkdtemp(prefix="hub-ingest-bench-")
    path = os.path.join(folder, "hub.db")
    db = open_db(path)
    keys = {"T%03d" % i: terminals.provision(db, "T%03d" % i, "W%03d" % i) for i in range(n_terms)}
    per = n_ratings // n_terms
    # Each rating of an invitation of its terminal's window: a made-up eid is
    # refused (not_invited, answered by a nack of its own, not the commit's ack).
    with tx(db):
        eids = {(dev, seq): invitations.create(db, "W" + dev[1:], "C%s-%d" % (dev, seq), "M1",
                                               "事项", staff_id="S1", staff_name="张三")["eid"]
                for dev in keys for seq in range(1, per + 1)}
    db.conn.close()
    ingest = Ingest(path, hall="bench")
    ingest.start()
    events = queue.Queue()      # (device, packet) from the hub, one queue for all terminals
    terms = {}
    for dev, key in keys.items():
        t = Terminal.direct(ingest, dev, key)
        t.handshake()
        t.conn._send = (lambda d: (lambda p: events.put((d, p))))(dev)
        terms[dev] = t
    sent_at, latencies = {}, []
    next_seq = {dev: 1 for dev in terms}

    def send_next(dev):
        seq = next_seq[dev]
        if seq > per:
            return
        next_seq[dev] = seq + 1
        sent_at[(dev, seq)] = time.perf_counter()
        terms[dev].rating(eids[(dev, seq)], "C%s-%d" % (dev, seq), lv=5, lb=[517], seq=seq,
                          bt=1, dt=1_763_900_000_000)

    t0 = time.perf_counter()
    done = 0
    if rate:
        # Open loop: one rating every 1/rate s, terminals in turn.
        order = [dev for _ in range(per) for dev in terms]
        k = 0
        while done < len(order):
            due = t0 + k / rate
            if k < len(order) and time.perf_counter() >= due:
                send_next(order[k])
                k += 1
                continue
            wait = max(0.0, due - time.perf_counter()) if k < len(order) else 30
            try:
                dev, packet = events.get(timeout=wait)
            except queue.Empty:
                continue
            m = terms[dev].session.open(packet)
            for seq in acked_seqs(m) if m["t"] == "ack" else ():
                latencies.append(time.perf_counter() - sent_at.pop((dev, seq)))
                done += 1
    else:
        for dev in terms:
            for _ in range(window):
                send_next(dev)
        while done < per * n_terms:
            dev, packet = events.get(timeout=30)
            m = terms[dev].session.open(packet)
            for seq in acked_seqs(m) if m["t"] == "ack" else ():
                latencies.append(time.perf_counter() - sent_at.pop((dev, seq)))
                done += 1
                send_next(dev)
    elapsed = time.perf_counter() - t0
    stats = dict(ingest.writer.stats)
    stored = ingest.read(lambda d: d.execute("SELECT COUNT(*) FROM ratings").fetchone()[0])
    ingest.stop()
    latencies.sort()
    return {
        "terminals": n_terms, "window": None if rate else window, "offered_per_s": rate, "ratings": done, "stored": stored,
        "seconds": round(elapsed, 2), "ratings_per_s": round(done / elapsed),
        "ack_p50_ms": round(1000 * statistics.median(latencies), 2),
        "ack_p99_ms": round(1000 * latencies[int(0.99 * (len(latencies) - 1))], 2),
        "commits": stats["batches"], "mean_batch": round(stats["jobs"] / stats["batches"], 1),
        "max_batch": stats["max_batch"],
        "mean_commit_ms": round(stats["commit_ms_total"] / stats["batches"], 2),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--terminals", type=int, default=50)
    ap.add_argument("--ratings", type=int, default=6000)
    ap.add_argument("--window", type=int, default=8)
    ap.add_argument("--rate", type=float, help="open loop: this many ratings/s in total "
                                                "(default: closed loop, window per terminal)")
    args = ap.parse_args()
    for k, v in run(args.terminals, args.ratings, args.window, args.rate).items():
        print("%-16s %s" % (k, v))


if __name__ == "__main__":
    main()
