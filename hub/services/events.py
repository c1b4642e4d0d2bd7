"""The event log: what happened to invitations, in commit order.

Rows are written by the database itself (triggers of
hub/store/schema_events.py) in the transaction of the change, so this
module only reads them, and purges old ones. Webhooks
(hub/webhooks/) and GET /api/v1/events both read from here; the body they
send is hub/webhooks/payload.py.

Types: `invitation.created`, then `invitation.<state>` for every later
state of hub/services/invitation_states.py (shown, rated, timed_out,
cancelled, expired, and any state added later), and `rating.rejected` when
the provincial platform refused a rating (its outbox row became a dead
letter; `reason` says why).
"""

from hub.errors import HubError
from hub.services import invitation_states as states
from hub.services.common import and_equal, now_ms

CREATED = "invitation.created"
REJECTED = "rating.rejected"
TYPES = (CREATED,) + tuple("invitation." + s for s in states.ALL if s != states.INITIAL) \
    + (REJECTED,)

KEEP_MS = 7 * 86400 * 1000      # an event stays resumable (Last-Event-ID) for a week at least

_COLUMNS = "id, eid, type, at, client, window, invitation, reason"


def parse_types(text, field):
    """'shown,rated' or 'invitation.shown' ... -> a tuple of full type names;
    None or '' -> None (every type). HubError naming FIELD otherwise."""
    if text is None or not text.strip():
        return None
    out = []
    for part in text.split(","):
        name = part.strip()
        full = name if "." in name else ("rating." + name if name == "rejected"
                                         else "invitation." + name)
        if full not in TYPES:
            raise HubError("bad_request", "%s: %r is not an event type; use any of %s"
                           % (field, name, ", ".join(TYPES)), 422, field=field)
        if full not in out:
            out.append(full)
    return tuple(out)


def after(db, since, types=None, window=None, client=None, limit=500):
    """Events with id > SINCE, oldest first, filtered by type, window and the
    client that created the invitation."""
    sql, params = "SELECT " + _COLUMNS + " FROM events WHERE id > ?", [int(since)]
    if types:
        sql += " AND type IN (%s)" % ", ".join("?" * len(types))
        params += list(types)
    more, values = and_equal((("window", window), ("client", client)))
    sql += more + " ORDER BY id LIMIT ?"
    return list(db.query(sql, params + values + [int(limit)]))


def get(db, event_id):
    for r in db.query("SELECT " + _COLUMNS + " FROM events WHERE id = ?", (event_id,)):
        return r
    return None


def last_id(db):
    return db.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]


def purge(db, now=None, keep_ms=KEEP_MS):
    """Delete events older than KEEP_MS that no webhook delivery still needs
    (fanned out, and delivered or gone) -> how many."""
    cutoff = now_ms(now) - keep_ms
    cur = db.execute(
        "DELETE FROM events WHERE at < ? AND id <= (SELECT last_event FROM webhook_cursor) "
        "AND id NOT IN (SELECT event_id FROM webhook_deliveries WHERE state != 'delivered')",
        (cutoff,))
    db.execute("DELETE FROM webhook_deliveries WHERE state = 'delivered' AND updated_at < ?",
               (cutoff,))
    return cur.rowcount
