"""Staff on duty at a window (sign in / sign out, with history).

One staff member is on duty per window at a time: signing in while someone
else is signed in signs that person out (a shift change at the window).
"""

from hub.errors import HubError
from hub.services import audit, windows
from hub.services.common import message_field, now_ms, row
from hub.store import tx


def sign_in(db, window, staff_id, staff_name, actor="api", now=None):
    windows.require(db, window)
    staff_id = message_field("staff_id", "duty", "stf", staff_id, lo=1)
    staff_name = message_field("staff_name", "duty", "stn", staff_name, lo=1)
    t = now_ms(now)
    with tx(db):
        db.execute("UPDATE duty SET signed_out_at = ? WHERE window = ? AND signed_out_at IS NULL",
                   (t, window))
        db.execute("INSERT INTO duty (window, staff_id, staff_name, signed_in_at) VALUES (?, ?, ?, ?)",
                   (window, staff_id, staff_name, t))
        audit.log(db, actor, "duty.sign_in", window, {"staff_id": staff_id}, t)
    return current(db, window)


def sign_out(db, window, staff_id=None, actor="api", now=None):
    """Sign out whoever is on duty (or check it is `staff_id`) -> the closed record."""
    windows.require(db, window)
    cur = current(db, window)
    if cur is None or (staff_id is not None and cur["staff_id"] != staff_id):
        raise HubError("not_on_duty", "%s is not signed in at window %s; sign in first, or "
                       "check the staff id" % ("staff %s" % staff_id if staff_id else "nobody",
                                               window), field="staff_id")
    t = now_ms(now)
    with tx(db):
        db.execute("UPDATE duty SET signed_out_at = ? WHERE id = ?", (t, cur["id"]))
        audit.log(db, actor, "duty.sign_out", window, {"staff_id": cur["staff_id"]}, t)
    return row(db, "SELECT * FROM duty WHERE id = ?", (cur["id"],))


def current(db, window):
    return row(db, "SELECT * FROM duty WHERE window = ? AND signed_out_at IS NULL", (window,))


def history(db, window=None, limit=100):
    sql, params = "SELECT * FROM duty", []
    if window is not None:
        sql += " WHERE window = ?"
        params.append(window)
    return list(db.query(sql + " ORDER BY id DESC LIMIT ?", params + [int(limit)]))
