"""Ingest: the one path from every transport to storage (HUB.md contracts).

    ingest = Ingest(db_path, hall, clock=time.time)
    ingest.start()                              # writer + housekeeping threads
    conn = ingest.attach("serial", "/dev/ttyUSB0", send)
    conn.receive(packet); conn.close()
    ingest.notify()                             # after a service changed something
    ingest.stop()

Threads: transports call attach/receive/close from their own threads; the
group-commit writer (hub/store/writer.py) owns the only writing connection; reads for
handshakes and deliveries use one reader connection under a lock; a
housekeeping thread expires invitations at their deadline (then tells the
terminals), takes silent terminals offline (liveness.py), stores
per-terminal error counters and problems (problems.py) in the database, and
once a minute forgets old idempotency keys and events
(hub/services/idempotency.py, events.py say how long each is kept).

Every change of a terminal's state is logged here with device and window:
online at INFO, offline at WARNING with the reason (its line closed, its
last will, no heartbeat for N s, ...), at INFO when the hub stops.
"""

import logging
import threading
import time

from hub.halltime import CST_OFFSET_MINUTES
from hub.ingest.connection import Connection
from hub.ingest.limits import MORE_TERMINALS, ErrorCounters, bounded_key
from hub.ingest.liveness import Liveness
from hub.ingest.problems import ProblemBook
from hub.periodic import Periodic
from hub.services import events, idempotency, invitations, problems, terminals
from hub.store import open_db
from hub.store.writer import Writer

log = logging.getLogger("hub.ingest")

# Packets/s per terminal. A terminal keeps at most 8 journal records in
# flight, so even a replay over MQTT with fast commits stays well under this;
# a terminal above it is broken or hostile, and the others must not pay.
DEFAULT_FLOOD_RATE = 500
DEFAULT_FLOOD_BURST = 1000
HOUSEKEEPING_S = 1.0
PURGE_S = 60.0              # old idempotency keys and events are purged this often
MAX_UNKNOWN_NAMED = 256     # unknown device ids listed by name; the rest counted together


class Ingest:
    def __init__(self, db_path, hall="", clock=time.time, flood_rate=DEFAULT_FLOOD_RATE,
                 flood_burst=DEFAULT_FLOOD_BURST, tz_minutes=CST_OFFSET_MINUTES, max_batch=1000):
        self.db_path = db_path
        self.hall = hall               # what cfg `hall` carries: the name terminals show
        self.clock = clock
        self.flood_rate = flood_rate
        self.flood_burst = flood_burst
        self.tz_minutes = tz_minutes
        self.writer = Writer(db_path, max_batch)
        self.counters = ErrorCounters()
        self.unknown_devices = {}      # device id -> hellos refused
        self.cfg_owed = {}             # device id -> (cfg ver, mids of parts not acked)
        self._reader = None
        self._read_lock = threading.Lock()
        self._conns_lock = threading.Lock()
        self._by_device = {}           # device id -> its authenticated Connection
        self._challenges = {}          # Connection -> when its chal went out, until auth
        self.problems = ProblemBook(log)
        self.liveness = Liveness(self)
        self.monotonic = time.monotonic   # liveness: wall-clock jumps must not silence anyone
        self._housekeeper = None
        self._next_purge = 0.0

    # -- life -----------------------------------------------------------

    def start(self):
        self.writer.start()
        self._reader = open_db(self.db_path)
        self.writer.call(terminals.mark_all_offline)
        self._housekeeper = Periodic("hub-housekeeping", HOUSEKEEPING_S, self._housekeeping,
                                     log=log).start()

    def stop(self):
        if self._housekeeper is not None:
            self._housekeeper.stop(5)
            self._housekeeper = None
        with self._conns_lock:
            conns = list(self._by_device.values())
        for c in conns:
            c.close("the hub stops", logging.INFO)
        self._flush_counters()
        self.writer.stop()
        if self._reader is not None:
            self._reader.conn.close()
            self._reader = None

    def now(self):
        return self.clock()

    def now_ms(self):
        return int(self.clock() * 1000)

    # -- transports -----------------------------------------------------

    def attach(self, transport, label, send):
        if transport not in ("serial", "mqtt"):
            raise ValueError("transport must be 'serial' or 'mqtt', got %r" % (transport,))
        return Connection(self, transport, label, send)

    def register(self, conn, again=None):
        """conn completed a handshake (or AGAIN: a silent one spoke, its
        silence in s): it is now the device's connection."""
        conn.heard_at = self.monotonic()
        conn.silent = False
        with self._conns_lock:
            old = self._by_device.get(conn.device_id)
            self._by_device[conn.device_id] = conn
        dev = conn.device_id
        if old is not None and old is not conn:
            log.info("%s moved from %r to %r", dev, old, conn)
        elif again is not None:
            now = self.now_ms()
            self.writer.submit(lambda db: terminals.set_online(db, dev, True, now))
            log.info("terminal %s (%s) online again over %s: it spoke after %d s of silence",
                     dev, self._window_text(dev), conn.via, again)
        elif old is None:
            log.info("terminal %s (%s) online over %s", dev, self._window_text(dev), conn.via)

    def unregister(self, conn, why="its connection closed", level=logging.WARNING):
        """conn is no longer the device's connection -> True if it was."""
        if conn.device_id is None:
            return False
        with self._conns_lock:
            if self._by_device.get(conn.device_id) is not conn:
                return False
            del self._by_device[conn.device_id]
        dev, now = conn.device_id, self.now_ms()
        self.writer.submit(lambda db: terminals.set_online(db, dev, False, now))
        log.log(level, "terminal %s (%s) offline: %s (%s)", dev, self._window_text(dev), why,
                conn.via)
        return True

    def went_silent(self, conn, silent_s, period_s):
        """Liveness: CONN sent nothing for SILENT_S while it heartbeats every PERIOD_S."""
        why = "no heartbeat for %d s (it sends one every %g s)" % (silent_s, period_s)
        if not self.unregister(conn, why):
            return
        conn.silent = True
        self.problem(conn.device_id, problems.NO_HEARTBEAT, why + "; its session is kept and it "
                     "is online again when it speaks. Check its power, its cable or Wi-Fi; a "
                     "frozen screen means it needs a power cycle", conn.via)

    def connections(self):
        with self._conns_lock:
            return list(self._by_device.values())

    def challenged(self, conn, at):
        """CONN sent a chal at AT (monotonic s), or None: it got its answer or ended."""
        with self._conns_lock:
            if at is None:
                self._challenges.pop(conn, None)
            else:
                self._challenges[conn] = at

    def challenges_older_than(self, at):
        """Connections whose chal went out before AT and got no auth (forgotten here)."""
        with self._conns_lock:
            old = [c for c, t in self._challenges.items() if t < at]
            for c in old:
                del self._challenges[c]
        return old

    def problem(self, who, code, detail, via):
        """Note problem CODE of device id WHO (known or not); stored within a second."""
        self.problems.note(who, code, detail, via, self.now_ms())

    def _window_text(self, dev):
        try:
            t = self.read(lambda db: terminals.get(db, dev))
        except Exception:  # noqa: BLE001 - a log line must not fail a state change
            return "window ?"
        return "window %s" % t["window"] if t and t.get("window") else "no window"

    def connection(self, device_id):
        with self._conns_lock:
            return self._by_device.get(device_id)

    def online(self):
        with self._conns_lock:
            return sorted(self._by_device)

    # -- services -------------------------------------------------------

    def notify(self):
        """Something changed (invitation, cancel, config): deliver to every online terminal."""
        with self._conns_lock:
            conns = list(self._by_device.values())
        for c in conns:
            c.downlink.deliver()

    def deliver_pending(self, device_id):
        c = self.connection(device_id)
        if c is not None:
            c.downlink.deliver()

    # -- used by connections --------------------------------------------

    def read(self, fn):
        """fn(db) on the reader connection (committed data only)."""
        with self._read_lock:
            if self._reader is None:
                self._reader = open_db(self.db_path)
            return fn(self._reader)

    def key_of(self, device_id):
        return self.read(lambda db: terminals.key_of(db, device_id))

    def unknown_device(self, device_id, conn, detail):
        name = bounded_key(self.unknown_devices, device_id, MAX_UNKNOWN_NAMED, MORE_TERMINALS)
        self.unknown_devices[name] = self.unknown_devices.get(name, 0) + 1
        self.problem(device_id, problems.UNKNOWN_DEVICE, detail, conn.via)

    def stats(self):
        return {"online": self.online(), "errors": self.counters.all(),
                "unknown_devices": dict(self.unknown_devices), "writer": dict(self.writer.stats),
                "backlog": self.writer.backlog}

    # -- housekeeping ---------------------------------------------------

    def _housekeeping(self):
        now = self.now_ms()
        expired = self.writer.call(lambda db: invitations.expire_due(db, now))
        if expired:
            self.notify()
        if time.monotonic() >= self._next_purge:
            self._next_purge = time.monotonic() + PURGE_S
            self.writer.call(lambda db: (idempotency.purge(db, now), events.purge(db, now)))
        self.liveness.sweep(self.monotonic())
        self._flush_counters()

    def _flush_counters(self):
        new = self.counters.unflushed()
        if new:
            def store(db):
                for who, counts in new.items():
                    terminals.add_errors(db, who, counts)
            self.writer.submit(store)
        notes = self.problems.take()
        if notes:
            self.writer.submit(lambda db: problems.store(db, notes))
        self.problems.summarise(self.now_ms())
