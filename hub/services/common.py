"""Small helpers shared by the services."""

import json
import time

from hub.errors import HubError
from protocol import fields
from protocol.catalogue import field_spec
from protocol.errors import ProtocolError


def and_equal(pairs):
    """-> (" AND col = ?" for each (column, value) pair whose value is not None,
    their values): the optional equality filters of a listing query."""
    given = [(col, val) for col, val in pairs if val is not None]
    return "".join(" AND %s = ?" % col for col, _val in given), [val for _col, val in given]


def now_ms(now=None):
    return int(time.time() * 1000) if now is None else int(now)


# One encoder for every call: json.dumps with non-default options builds a
# new JSONEncoder each time (a stored rating makes three of these calls).
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(value):
    if type(value) is list and not value:
        return "[]"          # most ratings: no labels, no terminal flags
    return _ENCODER.encode(value)


def loads(text, default=None):
    if text is None:
        return default
    return json.loads(text)


def row(db, sql, params=()):
    """First row of a query as a dict, or None. (The raw cursor: this runs
    several times per stored rating, and sqlite-utils' query() adds parsing.)"""
    cur = db.conn.execute(sql, params)
    r = cur.fetchone()
    if r is None:
        return None
    return {d[0]: v for d, v in zip(cur.description, r)}


def found(value, code, message, field):
    """value, or HubError(code, message) when it is None (a lookup that must hit)."""
    if value is None:
        raise HubError(code, message, field=field)
    return value


def wire_field(field, kind, value, lo, hi):
    """Check an API value with the wire's own field rules (protocol.fields), so
    that whatever the hub accepts can travel to a terminal. -> clean value;
    HubError bad_request names `field` and says what is allowed."""
    if isinstance(value, str) and kind != fields.INT:
        value = value.strip()
    try:
        return fields.check_field(field, kind, value, lo, hi)
    except ProtocolError as e:
        raise HubError("bad_request", "%s: %s" % (field, e.detail), field=field)


def message_field(field, mtype, key, value, lo=None):
    """wire_field with the bounds of field KEY of the message MTYPE that carries
    VALUE to a terminal (protocol.catalogue), the one source of those bounds.
    `lo` raises the lower bound where the hub's own rule is stricter (a name
    may be cleared on the wire, but not given empty by a caller)."""
    kind, a, b = field_spec(mtype, key)
    return wire_field(field, kind, value, a if lo is None else max(lo, a), b)
