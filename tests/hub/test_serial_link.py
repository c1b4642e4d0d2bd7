"""The hub's end of a serial link as a terminal sees it on the line
(PROTOCOL.md §6.4): a new incarnation at every open of the port, derived from
a per-line boot counter in the database, so a hub restart never shows the
terminal the incarnation it had before; SYN retries spaced by the timeout
of the configured line speed (rto_for), not a fixed few hundred ms."""

import os
import select
import time
import tty

from hub.ingest import Ingest
from hub.store import open_db
from hub.transports.serial_manager import SerialManager
from protocol.framing import SYN, Deframer
from protocol.linkparams import rto_for

BAUD = 460800          # a standard rate whose timeout (998 ms) keeps the test short


class Pty:
    def __init__(self, folder):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.path.join(folder, "ttyUSB0")
        os.symlink(os.ttyname(self.slave), self.path)

    def syns(self, n, timeout=10.0):
        """-> [(monotonic time read, Frame)] of the next N SYN rounds the hub
        writes: the version 2 SYN of each (its version 1 offer follows it in
        the same batch, PROTOCOL.md §6.4)."""
        reader, out = Deframer(), []
        end = time.monotonic() + timeout
        while len(out) < n:
            left = end - time.monotonic()
            assert left > 0, "the hub sent %d SYNs of %d" % (len(out), n)
            if select.select([self.master], [], [], left)[0]:
                data = os.read(self.master, 4096)
                out += [(time.monotonic(), f) for f in reader.feed(data)
                        if f.ftype == SYN and f.version == 2]
        return out[:n]

    def drain(self):
        while select.select([self.master], [], [], 0.05)[0]:
            os.read(self.master, 4096)

    def close(self):
        os.close(self.master)
        os.close(self.slave)


def run_hub(db_path, line, rounds):
    """Start and stop a whole hub (ingest + serial) ROUNDS times -> the SYN of each."""
    seen = []
    for _ in range(rounds):
        ingest = Ingest(db_path)
        ingest.start()
        mgr = SerialManager(ingest, ports=[line.path], baudrate=BAUD).start()
        try:
            seen.append(line.syns(1)[0][1])
        finally:
            mgr.stop()
            ingest.stop()
        line.drain()
    return seen


def test_hub_restarts_never_repeat_the_incarnation_on_a_line(tmp_path):
    db_path = str(tmp_path / "data" / "hub.db")
    open_db(db_path).conn.close()
    line = Pty(str(tmp_path))
    try:
        syns = run_hub(db_path, line, 3)
    finally:
        line.close()
    assert all(f.dst == 0 for f in syns)               # a boot SYN: the peer is unknown
    # next_incarnation: the high byte is the line's boot counter, 1, 2, 3.
    assert [f.src >> 8 for f in syns] == [1, 2, 3], [hex(f.src) for f in syns]
    db = open_db(db_path)
    assert db["link_boots"].get(line.path)["boots"] == 3


def test_syn_repeats_after_the_timeout_of_the_line_speed(tmp_path):
    db_path = str(tmp_path / "data" / "hub.db")
    open_db(db_path).conn.close()
    line = Pty(str(tmp_path))
    ingest = Ingest(db_path)
    ingest.start()
    mgr = SerialManager(ingest, ports=[line.path], baudrate=BAUD).start()
    try:
        (t1, a), (t2, b) = line.syns(2)
    finally:
        mgr.stop()
        ingest.stop()
        line.close()
    rto = rto_for(BAUD) / 1000
    assert a.src == b.src
    assert rto - 0.05 <= t2 - t1 <= rto + 0.75, (t2 - t1, rto)
