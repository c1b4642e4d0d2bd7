"""The terminal registry: provisioning, keys, window assignment, live state.

provision() generates the per-device key with `secrets` (32 bytes, shown once
as 64 hex digits for the installer to put into the terminal's config). The
key is stored in the database, protected by the data directory's permissions
(see hub/store/db.py). Live state (online, firmware, journal depth, free heap,
link quality, printer, config applied, error counters) comes from the
ingest: on_hello / on_heartbeat / set_online / add_errors. get() and
list_all() add each terminal's last problem (services/problems.py), the
answer to "why is it offline?".
"""

import secrets

from hub.errors import HubError
from hub.services import audit, problems, windows
from hub.services.common import dumps, found, loads, message_field, now_ms, row
from hub.store import tx

_PUBLIC = ("device_id", "window", "firmware", "board", "caps", "provisioned_at", "last_seen",
           "online", "transport", "journal_depth", "free_heap", "link_quality", "rssi",
           "printer_state", "uptime_s", "boot_counter", "config_version", "errors")


def _public(r):
    """A registry row without its key, JSON columns decoded."""
    if r is None:
        return None
    out = {k: r[k] for k in _PUBLIC}
    out["caps"] = loads(r["caps"], [])
    out["errors"] = loads(r["errors"], {})
    out["online"] = bool(r["online"])
    return out


def provision(db, device_id, window, actor="cli", now=None):
    """Register a new terminal for `window` (created if new) -> its key, 64 hex digits."""
    device_id = message_field("device_id", "hello", "dev", device_id)
    key_hex = secrets.token_bytes(32).hex()
    with tx(db):
        if _row(db, device_id) is not None:
            raise HubError("duplicate_terminal", "terminal %r is already provisioned; use "
                           "rekey to give it a new key or assign to move it" % device_id,
                           field="device_id")
        windows.add(db, window, now=now)
        db.execute("INSERT INTO terminals (device_id, key_hex, window, provisioned_at) "
                   "VALUES (?, ?, ?, ?)", (device_id, key_hex, window, now_ms(now)))
        audit.log(db, actor, "terminal.provision", device_id, {"window": window}, now)
    return key_hex


def rekey(db, device_id, actor="cli", now=None):
    """A new key for a terminal (the old one stops working at its next handshake)."""
    require(db, device_id)
    key_hex = secrets.token_bytes(32).hex()
    with tx(db):
        db.execute("UPDATE terminals SET key_hex = ? WHERE device_id = ?", (key_hex, device_id))
        audit.log(db, actor, "terminal.rekey", device_id, None, now)
    return key_hex


def remove(db, device_id, actor="cli", now=None):
    """Take a terminal out of the registry: its key is gone, so its next hello
    is refused. Its ratings stay (they are the hall's record)."""
    require(db, device_id)
    with tx(db):
        db.execute("DELETE FROM terminals WHERE device_id = ?", (device_id,))
        audit.log(db, actor, "terminal.remove", device_id, None, now)


def assign(db, device_id, window, actor="cli", now=None):
    """Move a terminal to another window (created if new)."""
    require(db, device_id)
    with tx(db):
        windows.add(db, window, now=now)
        db.execute("UPDATE terminals SET window = ? WHERE device_id = ?", (window, device_id))
        audit.log(db, actor, "terminal.assign", device_id, {"window": window}, now)
    return get(db, device_id)


def _row(db, device_id):
    return row(db, "SELECT * FROM terminals WHERE device_id = ?", (device_id,))


def get(db, device_id):
    t = _public(_row(db, device_id))
    if t is not None:
        t["problem"] = problems.last(db, device_id)
    return t


def require(db, device_id):
    return found(get(db, device_id), "unknown_terminal", "terminal %r is not provisioned on this "
                 "hub; list terminals with: pingjia terminals list" % (device_id,), "device_id")


def list_all(db, window=None, online=None):
    sql, params = "SELECT * FROM terminals WHERE 1=1", []
    if window is not None:
        sql += " AND window = ?"
        params.append(window)
    if online is not None:
        sql += " AND online = ?"
        params.append(1 if online else 0)
    last = problems.by_device(db)
    out = [_public(r) for r in db.query(sql + " ORDER BY device_id", params)]
    for t in out:
        t["problem"] = last.get(t["device_id"])
    return out


list = list_all  # noqa: A001 - the contract's name (terminals.list(db))


def key_of(db, device_id):
    """The device key as bytes, or None for a device not provisioned."""
    r = row(db, "SELECT key_hex FROM terminals WHERE device_id = ?", (device_id,))
    return bytes.fromhex(r["key_hex"]) if r else None


def for_window(db, window):
    """The terminal assigned to a window (the one seen last if several), or None."""
    return _public(row(db, "SELECT * FROM terminals WHERE window = ? "
                           "ORDER BY online DESC, last_seen DESC LIMIT 1", (window,)))


def on_hello(db, device_id, hello, transport, now=None):
    """Record what an authenticated hello says about the terminal."""
    db.execute("UPDATE terminals SET firmware = ?, board = ?, caps = ?, journal_depth = ?, "
               "config_version = COALESCE(?, config_version), online = 1, last_seen = ?, "
               "transport = ? WHERE device_id = ?",
               (hello.get("fw"), hello.get("board"), dumps(hello.get("caps", [])),
                hello.get("jd"), hello.get("cv"), now_ms(now), transport, device_id))


def on_heartbeat(db, device_id, hb, now=None):
    db.execute("UPDATE terminals SET uptime_s = ?, free_heap = ?, journal_depth = ?, "
               "link_quality = COALESCE(?, link_quality), rssi = COALESCE(?, rssi), "
               "printer_state = COALESCE(?, printer_state), "
               "boot_counter = COALESCE(?, boot_counter), online = 1, last_seen = ? "
               "WHERE device_id = ?",
               (hb.get("up"), hb.get("heap"), hb.get("jd"), hb.get("lq"), hb.get("rssi"),
                hb.get("pr"), hb.get("bt"), now_ms(now), device_id))


def seen(db, device_id, now=None):
    db.execute("UPDATE terminals SET last_seen = ?, online = 1 WHERE device_id = ?",
               (now_ms(now), device_id))


def set_online(db, device_id, online, now=None):
    db.execute("UPDATE terminals SET online = ?, last_seen = COALESCE(?, last_seen) "
               "WHERE device_id = ?", (1 if online else 0, now_ms(now), device_id))


def set_config_applied(db, device_id, version):
    db.execute("UPDATE terminals SET config_version = ? WHERE device_id = ?", (version, device_id))


def add_errors(db, device_id, counts):
    """Add per-code error counts (code -> n) to the terminal's counters."""
    if not counts:
        return
    with tx(db):
        r = row(db, "SELECT errors FROM terminals WHERE device_id = ?", (device_id,))
        if r is None:
            return
        errors = loads(r["errors"], {})
        for code, n in counts.items():
            errors[code] = errors.get(code, 0) + n
        db.execute("UPDATE terminals SET errors = ? WHERE device_id = ?", (dumps(errors), device_id))


def mark_all_offline(db):
    """At hub start nothing is connected yet."""
    db.execute("UPDATE terminals SET online = 0 WHERE online = 1")
