"""The incarnation of the hub's end of a serial link, new at every port open.

PROTOCOL.md §6.4: an end derives its incarnation from a boot counter that is
incremented and made durable before the link starts, so it never repeats the
last one; next_incarnation() puts the counter's low byte in the high byte
and folds 16 random bits into the low byte. The hub counts per line (table
link_boots, schema_links.py), so a reopen or a hub restart always shows the
terminal on that line a new incarnation, and two lines opened alike rarely
share one. The counter is written through the ingest's writer (the one
writing connection) and committed with synchronous=FULL before this returns.
"""

import logging
import os

from protocol.linkparams import next_incarnation

log = logging.getLogger("hub.serial")


def next_boot(db, line, now_ms):
    """Increment and return the boot counter of LINE (runs inside the writer's
    transaction)."""
    db.conn.execute(
        "INSERT INTO link_boots (line, boots, updated_at) VALUES (?, 1, ?) "
        "ON CONFLICT(line) DO UPDATE SET boots = boots + 1, updated_at = excluded.updated_at",
        (line, now_ms))
    return db.conn.execute("SELECT boots FROM link_boots WHERE line = ?", (line,)).fetchone()[0]


def incarnation_for(ingest, line):
    """-> this open's incarnation for LINE. If the counter cannot be stored
    (database failing), a random one with a warning: the peer's dst=0 rule
    still recovers the rare repeat (PROTOCOL.md §6.5)."""
    random16 = int.from_bytes(os.urandom(2), "big")
    now = ingest.now_ms()
    try:
        boot = ingest.writer.call(lambda db: next_boot(db, line, now))
    except Exception as e:                      # noqa: BLE001 - the line must still open
        log.warning("serial %s: boot counter not stored (%s); random incarnation", line, e)
        return random16 | 1
    return next_incarnation(boot, random16)
