"""WAL checkpoints off the group-commit writer's path.

SQLite's automatic checkpoint runs inside the COMMIT that pushes the WAL
past 1,000 pages: that commit also copies those pages into the database file
and fsyncs it, and every rating of its batch waits for it before its ack.
At 200 ratings/s that is every ~100 commits, i.e. right at the p99 of ack
latency. The writer's connection turns the automatic checkpoint off and this
thread, with a connection of its own, runs a PASSIVE checkpoint every
`period_s`: it never takes the write lock, so commits go on meanwhile
(measured in docs/PERFORMANCE.md, "Hub MQTT": commits over 10 ms at 200
ratings/s 40 -> 13, sustained throughput +17 %).

Durability is unchanged: a checkpoint only copies committed frames and fsyncs
the database file before the WAL may be reused (synchronous=FULL).
"""

import logging
import sqlite3

from hub.periodic import Periodic

log = logging.getLogger("hub.store.checkpoint")

PERIOD_S = 0.5


class Checkpointer:
    def __init__(self, db_path, period_s=PERIOD_S):
        self.db_path = db_path
        self.period_s = period_s
        self.stats = {"checkpoints": 0, "failures": 0, "last_wal_pages": 0}
        self.last_error = None
        self._conn = None        # opened, used and closed on the checkpoint thread only
        self._loop = None

    def start(self):
        self._loop = Periodic("hub-checkpoint", self.period_s, self._tick, last=self._finish,
                              log=log).start()
        return self

    def stop(self, timeout=10):
        if self._loop is not None:
            self._loop.stop(timeout)
            self._loop = None

    def checkpoint(self, conn):
        """One PASSIVE checkpoint -> (busy, wal pages, pages copied)."""
        row = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self.stats["checkpoints"] += 1
        self.stats["last_wal_pages"] = row[1]
        return row

    def _connection(self):
        if self._conn is None:
            self._conn = sqlite3.connect(self.db_path, timeout=10, check_same_thread=False)
        return self._conn

    def _tick(self):
        try:
            self.checkpoint(self._connection())
        except sqlite3.Error as e:    # a locked or full disk: try again next period
            self.stats["failures"] += 1
            self.last_error = "%s: %s" % (type(e).__name__, e)
            log.warning("WAL checkpoint of %s failed: %s", self.db_path, e)

    def _finish(self):
        try:
            self.checkpoint(self._connection())     # leave a short WAL behind
        except sqlite3.Error as e:
            log.warning("WAL checkpoint of %s failed: %s", self.db_path, e)
        finally:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
