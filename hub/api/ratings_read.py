"""The read model of ratings for the API, the CLI and CSV export.

Why not only hub.services.ratings.query: a business system wants each rating
with its case (matter, staff name) from the invitation, a reason-label
filter, and a cursor that does not skip or repeat rows while new ratings
arrive (page numbers shift when rows are added at the top). This module
adds those on top of the same tables, read-only.

Order: received_at then rating_id (newest first by default, or oldest
first with order="asc" — what a system collecting ratings incrementally
wants). The cursor is that pair of the last row returned, opaque to clients.
"""

import base64
import json

from hub.errors import HubError
from hub.api import convert
from hub.api.timefmt import iso
from hub.services.ratings import bad_level_sql
from protocol import domain

MAX_SIZE = 500

_COLUMNS = ("r.rating_id, r.eid, r.device_id, r.case_serial, r.visit, r.window, r.staff_id, "
            "r.level, r.labels, r.other, r.display_press_ms, r.device_time, r.origin, "
            "r.fraud_terminal, r.fraud_hub, r.channel, r.status, r.received_at, "
            "i.staff_name, i.matter_code, i.matter_name")
_FROM = " FROM ratings r LEFT JOIN invitations i ON i.eid = r.eid"

# filter -> SQL condition with one parameter
_EQUAL = {"window": "r.window = ?", "staff_id": "r.staff_id = ?", "device_id": "r.device_id = ?",
          "case_serial": "r.case_serial = ?", "level": "r.level = ?", "status": "r.status = ?",
          "since": "r.received_at >= ?", "until": "r.received_at < ?",
          "label": "EXISTS (SELECT 1 FROM json_each(r.labels) WHERE json_each.value = ?)"}


def check_label(label, level):
    """422 bad_label when the reason label is not a national code, or not of `level`."""
    if label is None:
        return
    texts = convert.NATIONAL_LABEL_TEXTS
    if label not in texts:
        raise HubError("bad_label", "label %d is not a reason label code; codes are three digits "
                       "whose first digit is the level, e.g. 510 (非常满意) or 207 (不满意)" % label,
                       422, field="label")
    if level is not None and label // 100 != level:
        raise HubError("bad_label", "label %d (%s) belongs to level %d (%s), not to level %d (%s); "
                       "use a label whose first digit is the level"
                       % (label, texts[label], label // 100, domain.LEVEL_NAMES[label // 100],
                          level, domain.LEVEL_NAMES[level]), 422, field="label")


def encode_cursor(received_at, rating_id):
    raw = json.dumps([received_at, rating_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor):
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, rid = json.loads(raw)
        if type(at) is not int or not isinstance(rid, str):
            raise ValueError
        return at, rid
    except (ValueError, TypeError):
        raise HubError("bad_request", "cursor %r is not one this hub gave out; pass `next_cursor` "
                       "from the previous answer unchanged, or leave it out to start again"
                       % cursor, 422, field="cursor") from None


def query(db, filters=None, page=1, size=50, cursor=None, order="desc"):
    """-> {"items": [row dict], "total", "page", "size", "next_cursor"}.

    filters: window, staff_id, device_id, case_serial, level, status, since,
    until (epoch ms, received time), label (code), bad (True/False), flagged
    (True/False). With `cursor`, `page` is ignored.
    """
    filters = {k: v for k, v in (filters or {}).items() if v is not None}
    check_label(filters.get("label"), filters.get("level"))
    where, params = [], []
    for name, value in filters.items():
        if name in _EQUAL:
            where.append(_EQUAL[name])
            params.append(value)
        elif name == "bad":
            where.append(bad_level_sql("r.level", value))
        elif name == "flagged":
            cond = "(r.fraud_terminal != '[]' OR r.fraud_hub != '[]')"
            where.append(cond if value else "NOT " + cond)
        else:
            raise HubError("bad_request", "unknown rating filter %r" % name, field=name)
    if not 1 <= size <= MAX_SIZE:
        raise HubError("bad_request", "size must be 1..%d" % MAX_SIZE, 422, field="size")
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    total = db.execute("SELECT COUNT(*)" + _FROM + clause, params).fetchone()[0]
    desc = order == "desc"
    sql_order = " ORDER BY r.received_at %s, r.rating_id %s" % (("DESC",) * 2 if desc else ("ASC",) * 2)
    page_params = list(params)
    if cursor:
        at, rid = decode_cursor(cursor)
        keyset = "(r.received_at < ? OR (r.received_at = ? AND r.rating_id < ?))" if desc else \
                 "(r.received_at > ? OR (r.received_at = ? AND r.rating_id > ?))"
        clause = (clause + " AND " if clause else " WHERE ") + keyset
        page_params += [at, at, rid]
        offset = 0
    else:
        offset = (page - 1) * size
    rows = list(db.query("SELECT " + _COLUMNS + _FROM + clause + sql_order + " LIMIT ? OFFSET ?",
                         page_params + [size + 1, offset]))
    more = len(rows) > size
    rows = rows[:size]
    last = rows[-1] if rows else None
    return {"items": rows, "total": total, "page": page, "size": size,
            "next_cursor": encode_cursor(last["received_at"], last["rating_id"]) if more else None}


def by_id(db, rating_id):
    for r in db.query("SELECT " + _COLUMNS + _FROM + " WHERE r.rating_id = ?", (rating_id,)):
        return r
    return None


def to_api(r, tz):
    """A row of query()/by_id() -> the API's rating dict (RatingOut)."""
    flags = json.loads(r["fraud_terminal"] or "[]") + json.loads(r["fraud_hub"] or "[]")
    codes = json.loads(r["labels"] or "[]")
    return {
        "id": r["rating_id"], "invitation_id": r["eid"], "window": r["window"],
        "device_id": r["device_id"], "case_serial": r["case_serial"], "visit": r["visit"],
        "staff_id": r["staff_id"], "staff_name": r["staff_name"],
        "matter_code": r["matter_code"], "matter_name": r["matter_name"],
        "level": r["level"], "level_name": domain.LEVEL_NAMES[r["level"]],
        "bad": domain.is_bad(r["level"]), "labels": convert.labels(codes, convert.NATIONAL_LABEL_TEXTS),
        "other": bool(r["other"]), "channel": r["channel"],
        "origin": r["origin"], "status": r["status"], "rated_at": iso(r["received_at"], tz),
        "device_time": iso(r["device_time"], tz), "display_to_press_ms": r["display_press_ms"],
        "fraud_flags": sorted(set(flags)),
    }


def rating_for(db, inv, tz):
    """The API rating dict of an invitation's rating, or None."""
    r = by_id(db, inv["rating_id"]) if inv.get("rating_id") else None
    return to_api(r, tz) if r else None
