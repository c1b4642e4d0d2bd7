"""Service windows of the hall (窗口). Invitations are made for a window;
the terminal assigned to it shows them."""

from hub.errors import HubError
from hub.services.common import message_field, now_ms, row, wire_field
from hub.store import tx
from protocol.fields import TEXT


def add(db, window, name="", now=None):
    """Create a window (no-op if it exists; the name is then updated if given)."""
    window = message_field("window", "duty", "win", window, lo=1)
    name = wire_field("name", TEXT, name or "", 0, 32)
    with tx(db):
        if get(db, window) is None:
            db.execute("INSERT INTO windows (window, name, created_at) VALUES (?, ?, ?)",
                       (window, name, now_ms(now)))
        elif name:
            db.execute("UPDATE windows SET name = ? WHERE window = ?", (name, window))
    return get(db, window)


def get(db, window):
    return row(db, "SELECT * FROM windows WHERE window = ?", (window,))


def require(db, window):
    """The window's row, or HubError unknown_window saying how to fix it."""
    w = get(db, window) if isinstance(window, str) else None
    if w is None:
        raise HubError("unknown_window", "window %r is not known to this hub; check the window "
                       "number, or add it (provision a terminal for it: pingjia terminals "
                       "provision DEVICE --window %s)" % (window, window), field="window")
    return w


def list_all(db):
    return list(db.query("SELECT * FROM windows ORDER BY window"))
