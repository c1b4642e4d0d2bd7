"""The one read model of ratings, for the API, the CLI and CSV export.

Each rating comes with its case (matter, staff name) from the invitation.
Order: received_at then rating_id, newest first, or oldest first with
order="asc" (what a system collecting ratings incrementally wants). Two ways
to page: page numbers, with `total`; or a cursor, the (received_at,
rating_id) pair of the last row, opaque to clients, which never skips or
repeats a row while new ratings arrive (page numbers shift when rows are
added at the top). Read-only.
"""

import base64
import json

from hub import halltime
from hub.errors import HubError
from hub.services.common import loads
from protocol import domain

MAX_SIZE = 500
MAX_PAGE = 10 ** 9
DEFAULT_SIZE = 50
ORDERS = ("desc", "asc")
LABEL_TEXTS = dict(domain.NATIONAL_LABELS)

_COLUMNS = ("r.rating_id, r.eid, r.device_id, r.case_serial, r.visit, r.window, r.staff_id, "
            "r.level, r.labels, r.other, r.display_press_ms, r.device_time, r.origin, "
            "r.fraud_terminal, r.fraud_hub, r.channel, r.status, r.received_at, "
            "i.staff_name, i.matter_code, i.matter_name")
_FROM = " FROM ratings r LEFT JOIN invitations i ON i.eid = r.eid"

# filter -> (SQL condition with one parameter, what the value must convert to)
_EQUAL = {
    "window": ("r.window = ?", str), "staff_id": ("r.staff_id = ?", str),
    "device_id": ("r.device_id = ?", str), "case_serial": ("r.case_serial = ?", str),
    "eid": ("r.eid = ?", str), "level": ("r.level = ?", int), "status": ("r.status = ?", str),
    "since": ("r.received_at >= ?", int),     # epoch ms, received time
    "until": ("r.received_at < ?", int),
    "label": ("EXISTS (SELECT 1 FROM json_each(r.labels) WHERE json_each.value = ?)", int),
}
_FLAGGED = "(r.fraud_terminal != '[]' OR r.fraud_hub != '[]')"


def bad_level_sql(column, bad=True):
    """SQL condition: COLUMN holds a 差评 level (domain.BAD_LEVELS), or with
    bad=False does not. The levels are written as literals: they are ints
    from the protocol, never input."""
    return "%s %s (%s)" % (column, "IN" if bad else "NOT IN",
                           ", ".join("%d" % level for level in domain.BAD_LEVELS))


def _bad(field, message):
    return HubError("bad_request", message, 422, field=field)


class Filters:
    """Which ratings: any of NAMES, each None for "any", combined with AND.

    bad: True only 差评, False none; flagged: True only with fraud signals,
    False none; since/until: epoch ms of receipt; label: a national reason
    code, which must belong to `level` when both are given.
    """

    NAMES = tuple(_EQUAL) + ("bad", "flagged")
    __slots__ = NAMES

    def __init__(self, **given):
        for name in given:
            if name not in self.NAMES:
                raise _bad(name, "unknown rating filter %r; use one of %s"
                           % (name, ", ".join(sorted(self.NAMES))))
        for name in self.NAMES:
            setattr(self, name, _convert(name, given.get(name)))
        if self.level is not None and not domain.is_level(self.level):
            raise _bad("level", "level must be 1..5 (5 非常满意 .. 1 非常不满意), got %d"
                       % self.level)
        check_label(self.label, self.level)

    def where(self):
        """-> (SQL conditions, parameters)."""
        conds, params = [], []
        for name in self.NAMES:
            value = getattr(self, name)
            if value is None:
                continue
            if name == "bad":
                conds.append(bad_level_sql("r.level", value))
            elif name == "flagged":
                conds.append(_FLAGGED if value else "NOT " + _FLAGGED)
            else:
                conds.append(_EQUAL[name][0])
                params.append(value)
        return conds, params


def _convert(name, value):
    if value is None:
        return None
    if name in ("bad", "flagged"):
        return bool(value)
    try:
        return _EQUAL[name][1](value)
    except (TypeError, ValueError):
        raise _bad(name, "filter %s: %r is not a valid value" % (name, value)) from None


def check_label(label, level):
    """422 bad_label when the reason label is not a national code, or not of `level`."""
    if label is None:
        return
    if label not in LABEL_TEXTS:
        raise HubError("bad_label", "label %d is not a reason label code; codes are three digits "
                       "whose first digit is the level, e.g. 510 (非常满意) or 207 (不满意)" % label,
                       422, field="label")
    owner = domain.label_level(label)
    if level is not None and owner != level:
        raise HubError("bad_label", "label %d (%s) belongs to level %d (%s), not to level %d (%s); "
                       "use a label whose first digit is the level"
                       % (label, LABEL_TEXTS[label], owner, domain.LEVEL_NAMES[owner],
                          level, domain.LEVEL_NAMES[level]), 422, field="label")


def encode_cursor(received_at, rating_id):
    raw = json.dumps([received_at, rating_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


CURSOR_MAX = 200     # characters: a cursor this hub gives out is well under it


def decode_cursor(cursor):
    try:
        if len(cursor) > CURSOR_MAX:
            raise ValueError
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, rid = json.loads(raw)
        # SQLite's integer range: a larger one was a 500 ("too large to convert").
        if type(at) is not int or not -2 ** 63 <= at < 2 ** 63 or not isinstance(rid, str):
            raise ValueError
        return at, rid
    except (ValueError, TypeError, RecursionError):     # RecursionError: deep nesting
        raise _bad("cursor", "cursor %r is not one this hub gave out; pass `next_cursor` "
                   "from the previous answer unchanged, or leave it out to start again"
                   % cursor[:CURSOR_MAX]) from None


def _page_int(value, field, hi):
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(field, "%s must be an integer, got %r" % (field, value))
    if not 1 <= value <= hi:
        raise _bad(field, "%s must be 1..%d" % (field, hi))
    return value


def query(db, filters=None, page=1, size=DEFAULT_SIZE, cursor=None, order="desc"):
    """-> {"items": [rating], "total", "page", "size", "next_cursor"}; a rating as
    decode() makes it.

    filters: a Filters, or a dict of its keywords (None values ignored).
    With `cursor`, `page` is ignored.
    """
    if not isinstance(filters, Filters):
        filters = Filters(**(filters or {}))
    page = _page_int(page, "page", MAX_PAGE)
    size = _page_int(size, "size", MAX_SIZE)
    if order not in ORDERS:
        raise _bad("order", "order must be desc (newest first) or asc (oldest first)")
    conds, params = filters.where()
    clause = (" WHERE " + " AND ".join(conds)) if conds else ""
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
    return {"items": [decode(r) for r in rows], "total": total, "page": page, "size": size,
            "next_cursor": encode_cursor(last["received_at"], last["rating_id"]) if more else None}


def get(db, rating_id):
    """The rating with this id (DEVICE:SEQ), or None."""
    for r in db.query("SELECT " + _COLUMNS + _FROM + " WHERE r.rating_id = ?", (rating_id,)):
        return decode(r)
    return None


def of_invitation(db, inv):
    """The rating of an invitation, or None."""
    return get(db, inv["rating_id"]) if inv.get("rating_id") else None


def decode(r):
    """A row of the join -> the rating as shown outside (the API's RatingOut names),
    with its times still in epoch ms: view() writes them for the API. Any
    integer in a column decodes (a level no scale has gets no name)."""
    codes = loads(r["labels"], [])
    flags = loads(r["fraud_terminal"], []) + loads(r["fraud_hub"], [])
    return {
        "id": r["rating_id"], "invitation_id": r["eid"], "window": r["window"],
        "device_id": r["device_id"], "case_serial": r["case_serial"], "visit": r["visit"],
        "staff_id": r["staff_id"], "staff_name": r["staff_name"],
        "matter_code": r["matter_code"], "matter_name": r["matter_name"],
        "level": r["level"], "level_name": domain.LEVEL_NAMES.get(r["level"], ""),
        "bad": domain.is_bad(r["level"]),
        "labels": [{"code": c, "text": LABEL_TEXTS.get(c, "")} for c in codes],
        "other": bool(r["other"]), "channel": r["channel"],
        "origin": r["origin"], "status": r["status"], "rated_at": r["received_at"],
        "device_time": r["device_time"], "display_to_press_ms": r["display_press_ms"],
        "fraud_flags": sorted(set(flags)),
    }


def view(rating, tz):
    """A decoded rating with its times as ISO 8601 in `tz`: the API's and the CLI's
    JSON, and the CSV's cells."""
    out = dict(rating)
    out["rated_at"] = halltime.iso(rating["rated_at"], tz)
    out["device_time"] = halltime.iso(rating["device_time"], tz)
    return out
