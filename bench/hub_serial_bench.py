"""Serial throughput of a terminal's journal replay against the line's limit.

A terminal (protocol.session + protocol.arq.Link, from tests/support/hub_peer.py)
on a pseudo-terminal queues N ratings at once (a journal replay after an
outage); the hub (Ingest + SerialPort, pyserial on the pty's slave side)
stores each in a group commit and acks it. A pty moves bytes as fast as
the CPU does and ignores the baud rate, so the terminal's writes are paced
to baud/10 bytes/s (8N1: 10 bits a byte), as on a real UART. Both ends
use the retransmission timeout of the line speed (rto_for), as the firmware
and the hub's SerialPort do.

Utilisation = bytes the terminal put on the line per second ÷ (baud/10),
measured from its first rating byte to the last app-level ack. Goal ≥ 90 %.

    .venv/bin/python bench/hub_serial_bench.py [--ratings 400] [--baud 115200]
"""

import argparse
import os
import sys
import tempfile
import time
import tty

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT]

from hub.ingest import Ingest  # noqa: E402
from hub.services import invitations, terminals  # noqa: E402
from hub.store import open_db  # noqa: E402
from hub.transports.serial_port import SerialPort  # noqa: E402
from tests.support.hub_peer import PtyLink, Terminal  # noqa: E402
from protocol.linkparams import rto_for  # noqa: E402


def run(n, baud):
    folder = tempfile.mkdtemp(prefix="hub-serial-bench-")
    path = os.path.join(folder, "hub.db")
    db = open_db(path)
    key = terminals.provision(db, "T1", "A01")
    eids = [invitations.create(db, "A01", "C%05d" % i, "11440300MB0000001", "企业开办一件事",
                               staff_id="S0107", staff_name="张三", expire_s=3600)["eid"]
            for i in range(n)]
    db.conn.close()
    master, slave = os.openpty()
    tty.setraw(slave)
    ingest = Ingest(path, hall="bench", flood_rate=100000, flood_burst=100000)
    ingest.start()
    port = SerialPort(ingest, os.ttyname(slave), baudrate=baud).start()
    term = Terminal("T1", key)
    # Both ends time out as the firmware and the hub do: rto_for the line speed.
    term.link = PtyLink(master, term.inbox.put, bytes_per_s=baud / 10, rto_ms=rto_for(baud))
    term.out = term.link.send
    try:
        term.handshake(timeout=10)
        # Let the session's downlink (time, cfg, the newest invitation; the hub closes
        # the older queued ones as superseded) pass first.
        time.sleep(0.5)
        while not term.inbox.empty():
            term.recv(0.1)
        term.seen.clear()
        sent0 = term.link.bytes_out
        t0 = time.monotonic()
        for i, eid in enumerate(eids):
            term.rating(eid, "C%05d" % i, lv=5, lb=[510, 517], seq=i + 1, org="replay",
                        dt=1_763_900_000_000 + i, bt=7, lsv=1)
        acked = set()
        while len(acked) < n:
            m = term.wait_for(lambda m: m["t"] in ("ack", "nack") and "seq" in m, timeout=30)
            if m["t"] == "nack":
                raise SystemExit("rating %d refused: %s" % (m["seq"], m))
            acked.add(m["seq"])
        elapsed = time.monotonic() - t0
        line_bytes = term.link.bytes_out - sent0
        payload = sum(len(term.session.seal({"t": "rating", "seq": i + 1, "eid": eid,
                                             "cs": "C%05d" % i, "lv": 5, "lb": [510, 517],
                                             "dp": 2500, "mt": 1000 * (i + 1),
                                             "dt": 1_763_900_000_000 + i, "bt": 7, "lsv": 1,
                                             "org": "replay"}))
                      for i, eid in enumerate(eids))
        stored = ingest.read(lambda d: d.execute("SELECT COUNT(*) FROM ratings").fetchone()[0])
        stats = term.link.link.stats
    finally:
        term.link.stop()
        port.stop()
        ingest.stop()
    limit = baud / 10
    return {
        "ratings": n, "stored": stored, "baud": baud, "seconds": round(elapsed, 2),
        "ratings_per_s": round(n / elapsed, 1), "line_bytes_per_s": round(line_bytes / elapsed),
        "line_limit_bytes_per_s": round(limit), "utilisation_pct": round(100 * line_bytes / elapsed / limit, 1),
        "payload_share_pct": round(100 * payload / line_bytes, 1),
        "retransmits": stats["retransmits"], "writer_batches": ingest.writer.stats["batches"],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ratings", type=int, default=400)
    ap.add_argument("--baud", type=int, default=115200)
    args = ap.parse_args()
    r = run(args.ratings, args.baud)
    for k, v in r.items():
        print("%-24s %s" % (k, v))
    print("goal utilisation >= 90 %%: %s" % ("met" if r["utilisation_pct"] >= 90 else "NOT met"))


if __name__ == "__main__":
    main()
