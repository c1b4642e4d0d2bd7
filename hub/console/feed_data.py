"""The live feed's items: each rating as the floor manager needs it.

Read from the hub's event log (hub/services/events.py): every rating that
closes an invitation is an `invitation.rated` event, written by a trigger in
the rating's own commit, so the feed misses none and resumes from an event
id (Last-Event-ID). An item holds the window, the staff member on the case,
the matter, the level, the reason labels as text and the time; never the
applicant (the invitation's snapshot carries no contact, and none is read).
"""

import json

from hub.services import events, ratings

RATED = ("invitation.rated",)


def item(db, event):
    """An invitation.rated event -> the feed's item (a dict), or None when the
    rating is not there (purged)."""
    inv = json.loads(event["invitation"]) if event["invitation"] else {}
    r = ratings.get(db, inv.get("rating_id")) if inv.get("rating_id") else None
    if r is None:
        return None
    return {"id": event["id"], "at": r["rated_at"], "window": r["window"],
            "staff_id": r["staff_id"], "staff_name": r["staff_name"] or "",
            "matter_name": r["matter_name"] or "", "level": r["level"],
            "level_name": r["level_name"], "bad": r["bad"],
            "labels": [label["text"] or str(label["code"]) for label in r["labels"]],
            "other": r["other"], "device_id": r["device_id"]}


def after(db, since, limit=200):
    """-> (last event id looked at, [items]) of the ratings after event SINCE."""
    top = events.last_id(db)
    rows = [e for e in events.after(db, since, RATED, limit=limit) if e["id"] <= top]
    seen = rows[-1]["id"] if len(rows) == limit else max(top, since)
    return seen, [i for i in (item(db, e) for e in rows) if i is not None]


def recent(db, since_ms, limit=50):
    """The newest LIMIT rating items since SINCE_MS (epoch ms), newest first,
    and the last event id, where the page's stream takes over."""
    top = events.last_id(db)
    rows = list(db.query("SELECT id, eid, type, at, client, window, invitation, reason FROM events "
                         "WHERE type = ? AND at >= ? AND id <= ? ORDER BY id DESC LIMIT ?",
                         (RATED[0], since_ms, top, int(limit))))
    return top, [i for i in (item(db, e) for e in rows) if i is not None]
