"""Reading ratings: filters and paging for the API, the CLI and CSV export."""

from hub.errors import HubError
from hub.services.common import loads, row
from protocol import domain

MAX_PAGE_SIZE = 500

# filter name -> (SQL condition, how to convert the value)
_FILTERS = {
    "window": ("window = ?", str),
    "device_id": ("device_id = ?", str),
    "staff_id": ("staff_id = ?", str),
    "case_serial": ("case_serial = ?", str),
    "eid": ("eid = ?", str),
    "level": ("level = ?", int),
    "status": ("status = ?", str),
    "since": ("received_at >= ?", int),     # epoch ms
    "until": ("received_at < ?", int),
}


def bad_level_sql(column, bad=True):
    """SQL condition: COLUMN holds a 差评 level (domain.BAD_LEVELS), or with
    bad=False does not. The levels are written as literals: they are ints
    from the protocol, never input."""
    return "%s %s (%s)" % (column, "IN" if bad else "NOT IN",
                           ", ".join("%d" % level for level in domain.BAD_LEVELS))


def _decode(r):
    out = dict(r)
    for k in ("labels", "fraud_terminal", "fraud_hub"):
        out[k] = loads(r[k], [])
    out["other"] = bool(r["other"])
    out["level_name"] = domain.LEVEL_NAMES[r["level"]]
    out["bad"] = domain.is_bad(r["level"])
    out["flagged"] = bool(out["fraud_terminal"] or out["fraud_hub"])
    return out


def get(db, rating_id):
    r = row(db, "SELECT * FROM ratings WHERE rating_id = ?", (rating_id,))
    return _decode(r) if r else None


def query(db, filters=None, page=None):
    """-> {"items", "total", "page", "size"}, newest first.

    filters: any of _FILTERS (None values are ignored), plus bad (True: only
    差评, False: none), flagged (True: only with fraud flags). page: a dict
    {"page": 1-based, "size": ..} or None (first page of 50).
    """
    filters = dict(filters or {})
    page = dict(page or {})
    where, params = [], []
    for name, value in filters.items():
        if value is None:
            continue
        if name == "bad":
            where.append(bad_level_sql("level", value))
        elif name == "flagged":
            where.append("(fraud_terminal != '[]' OR fraud_hub != '[]')" if value
                         else "(fraud_terminal = '[]' AND fraud_hub = '[]')")
        elif name in _FILTERS:
            cond, conv = _FILTERS[name]
            try:
                params.append(conv(value))
            except (TypeError, ValueError):
                raise HubError("bad_request", "filter %s: %r is not a valid value" % (name, value),
                               field=name)
            where.append(cond)
        else:
            raise HubError("bad_request", "unknown filter %r; use one of %s" % (
                name, ", ".join(sorted(list(_FILTERS) + ["bad", "flagged"]))), field=name)
    number = _int(page.get("page", 1), "page", 1, 10 ** 9)
    size = _int(page.get("size", 50), "size", 1, MAX_PAGE_SIZE)
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    total = db.execute("SELECT COUNT(*) FROM ratings" + clause, params).fetchone()[0]
    items = [_decode(r) for r in db.query(
        "SELECT * FROM ratings%s ORDER BY received_at DESC, rating_id LIMIT ? OFFSET ?" % clause,
        params + [size, (number - 1) * size])]
    return {"items": items, "total": total, "page": number, "size": size}


def _int(value, field, lo, hi):
    try:
        v = int(value)
    except (TypeError, ValueError):
        raise HubError("bad_request", "%s must be an integer, got %r" % (field, value), field=field)
    if not lo <= v <= hi:
        raise HubError("bad_request", "%s must be within %d..%d, got %d" % (field, lo, hi, v),
                       field=field)
    return v
