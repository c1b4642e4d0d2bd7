"""The JSON an event travels as, the same for a webhook body and for the
`data:` of GET /api/v1/events:

    {"id": 42, "type": "invitation.rated", "at": "2024-06-11T10:15:00.123+08:00",
     "invitation": {... as GET /api/v1/invitations/{id} shows it ...},
     "reason": "..."}                          # rating.rejected only

`invitation` is the invitation right after the change the event is about
(the trigger's snapshot), with its rating once rated; None for a refused
rating that has no invitation behind it.
"""

import json

from hub import halltime
from hub.api import convert
from hub.services import ratings


def event_body(db, event, tz):
    """An events row -> the event's JSON object (a dict)."""
    inv = json.loads(event["invitation"]) if event["invitation"] else None
    view = None
    if inv is not None:
        rating = ratings.get(db, inv["rating_id"]) if inv.get("rating_id") else None
        view = convert.invitation(inv, tz, ratings.view(rating, tz) if rating else None)
    out = {"id": event["id"], "type": event["type"], "at": halltime.iso(event["at"], tz),
           "invitation": view}
    if event["type"] == "rating.rejected":
        out["reason"] = event["reason"]
    return out


def encode(body):
    """The bytes sent (and signed): compact UTF-8 JSON."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
