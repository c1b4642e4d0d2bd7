"""Why is it offline? The last problem of every device id, known or not.

The ingest notes what goes wrong with a terminal as it happens (a wrong key,
an unknown device id, silence, clock skew, a noisy serial line, the printer)
and hands the notes to store() through the writer, at most once a second
(hub/ingest/problems.py). One row per device id (table device_problems,
schema_problems.py): the newest problem replaces the one before; a repeat
of the same code keeps its first time and counts up. Each row carries a
sentence that says what happened and what hall IT can do about it.

Bounded: ids on the wire are anyone's to make up (an open broker, a noisy
line). Rows of ids the registry does not hold are pruned to the newest
MAX_UNKNOWN after every store, so a flood of made-up ids costs a few hundred
rows, never more.
"""

from hub.services.common import row

AUTH_FAILED = "auth_failed"
UNKNOWN_DEVICE = "unknown_device"
DEV_MISMATCH = "dev_mismatch"      # over MQTT: hello's dev is not its topic's device
NO_HEARTBEAT = "no_heartbeat"
CLOCK_SKEW = "clock_skew"
LINK_ERRORS = "link_errors"
PRINTER_FAULT = "printer_fault"
SEQ_CONFLICT = "seq_conflict"

# What the CLI shows next to the code (hall IT reads Chinese, codes stay English).
LABELS = {
    AUTH_FAILED: "密钥不符",
    UNKNOWN_DEVICE: "未登记终端",
    DEV_MISMATCH: "终端号与主题不符",
    NO_HEARTBEAT: "心跳中断",
    CLOCK_SKEW: "时钟偏差",
    LINK_ERRORS: "线路误码",
    PRINTER_FAULT: "打印机故障",
    SEQ_CONFLICT: "序号冲突",
}

MAX_UNKNOWN = 256      # rows kept for device ids not in the registry
_COLUMNS = ("device_id", "code", "detail", "via", "first_at", "at", "count")


def store(db, notes):
    """notes: [(device_id, code, detail, via, at_ms, n)] -> rows upserted.
    Runs inside the writer's transaction."""
    c = db.conn
    for dev, code, detail, via, at, n in notes:
        c.execute(
            "INSERT INTO device_problems (device_id, code, detail, via, first_at, at, count) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(device_id) DO UPDATE SET "
            "first_at = CASE WHEN code = excluded.code THEN first_at ELSE excluded.first_at END, "
            "count = CASE WHEN code = excluded.code THEN count + excluded.count "
            "ELSE excluded.count END, "
            "code = excluded.code, detail = excluded.detail, via = excluded.via, at = excluded.at",
            (dev, code, detail, via, at, at, n))
    prune(db)
    return len(notes)


def prune(db, keep=MAX_UNKNOWN):
    """Forget all but the newest KEEP rows of ids the registry does not hold."""
    db.conn.execute(
        "DELETE FROM device_problems WHERE device_id IN ("
        " SELECT device_id FROM device_problems"
        " WHERE device_id NOT IN (SELECT device_id FROM terminals)"
        " ORDER BY at DESC LIMIT -1 OFFSET ?)", (keep,))


def _public(r, known):
    if r is None:
        return None
    out = {k: r[k] for k in _COLUMNS}
    out["known"] = known
    out["label"] = LABELS.get(r["code"], r["code"])
    return out


def last(db, device_id):
    """The device id's last problem, or None."""
    r = row(db, "SELECT p.*, t.device_id IS NOT NULL AS known FROM device_problems p "
                "LEFT JOIN terminals t ON t.device_id = p.device_id WHERE p.device_id = ?",
            (device_id,))
    return _public(r, bool(r["known"])) if r else None


def by_device(db):
    """device id -> its last problem, for the registry's listing."""
    cur = db.conn.execute("SELECT p.* FROM device_problems p JOIN terminals t "
                          "ON t.device_id = p.device_id")
    names = [d[0] for d in cur.description]
    return {r[0]: _public(dict(zip(names, r)), True) for r in cur.fetchall()}


def recent(db, limit=50, since=None):
    """The newest problems of every device id, known or not, newest first."""
    sql = ("SELECT p.*, t.device_id IS NOT NULL AS known FROM device_problems p "
           "LEFT JOIN terminals t ON t.device_id = p.device_id")
    params = []
    if since is not None:
        sql += " WHERE p.at >= ?"
        params.append(since)
    cur = db.conn.execute(sql + " ORDER BY p.at DESC, p.device_id LIMIT ?", params + [limit])
    names = [d[0] for d in cur.description]
    out = []
    for r in cur.fetchall():
        d = dict(zip(names, r))
        out.append(_public(d, bool(d["known"])))
    return out
