"""Message bodies: compact JSON objects, checked on the way in and out.

`encode` refuses to write a message that `decode` would refuse to read, and
writes fields in catalogue order with no spaces, so a message has exactly one
byte form on CPython and MicroPython alike (vectors.json relies on that).
`decode` returns a new dict holding only the fields it knows, each checked.
"""

import json

from protocol import MAX_PACKET
from protocol.catalogue import MESSAGES, COMMON, UP, DOWN, BOTH
from protocol.errors import (
    ProtocolError, MALFORMED, TOO_LARGE, MISSING, UNKNOWN_TYPE, WRONG_DIRECTION,
)
from protocol.fields import check_field, write_value, quote, I31

# Journal events: answered by seq, which names the record in the terminal's journal.
JOURNAL_TYPES = ("rating", "timeout")

# Deepest nesting of objects and lists a body may have. The catalogue's
# deepest is 4 (cfg {ls {l [[code, text]]}}); the rest is room for optional
# fields a later minor version adds (§3.3: old receivers must parse them).
# Without a bound, CPython's parser raises RecursionError on a 2 KB body of
# "[" while MicroPython's parses it: the bound gives both one answer.
MAX_DEPTH = 8


def _check(raw, direction):
    """Check a parsed object against the catalogue; returns the clean message."""
    mtype = raw.get("t")
    # Kept on an error only when valid, so a receiver can put them in a nack
    # as they are: mid as re, and a journal event's seq as seq.
    mid = _valid_id(raw.get("mid"), 0)
    seq = _valid_id(raw.get("seq"), 1) if mtype in JOURNAL_TYPES else None
    try:
        out = {}
        for key, kind, required, a, b in COMMON:
            if key in raw:
                out[key] = check_field(key, kind, raw[key], a, b)
            elif required:
                raise ProtocolError(MISSING, "every message needs a type in field t", key)
        spec = MESSAGES.get(mtype)
        if spec is None:
            raise ProtocolError(UNKNOWN_TYPE, "unknown message type %r" % (mtype,), "t")
        mdir, fields, mid_required, rules = spec
        if direction is not None and mdir != BOTH and mdir != direction:
            raise ProtocolError(WRONG_DIRECTION, "a %s message must not be sent %s"
                                % (mtype, "by a terminal" if direction == UP else "by the hub"), "t")
        if mid_required and "mid" not in out:
            raise ProtocolError(MISSING, "this message needs a message id (mid) for its answer", "mid")
        for key, kind, required, a, b in fields:
            if key in raw:
                out[key] = check_field(key, kind, raw[key], a, b)
            elif required:
                raise ProtocolError(MISSING, "required field is missing", key)
        if rules is not None:
            rules(out)
        return out
    except ProtocolError as e:
        if e.mtype is None and type(mtype) is str:
            e.mtype = mtype
        e.mid = mid
        e.seq = seq
        raise


def _valid_id(v, lo):
    return v if type(v) is int and lo <= v <= I31 else None


def check(msg, direction=None):
    """Check a message dict as `decode` would; returns the clean copy."""
    if type(msg) is not dict:
        raise ProtocolError(MALFORMED, "a message must be an object")
    return _check(msg, direction)


def encode(msg, direction=None):
    """Message dict -> body bytes. Raises ProtocolError naming the bad field."""
    m = check(msg, direction)
    fields = MESSAGES[m["t"]][1]
    out = ["{"]
    first = True
    for key, _kind, _r, _a, _b in COMMON + fields:
        if key in m:
            if not first:
                out.append(",")
            first = False
            out.append(quote(key))
            out.append(":")
            write_value(m[key], out)
    out.append("}")
    body = "".join(out).encode()
    if len(body) > MAX_PACKET:
        raise too_large(m, "message is %d bytes" % len(body), MAX_PACKET)
    return body


def too_large(msg, what, limit):
    """-> the too_large ProtocolError for a checked message, naming its largest
    field (other than t and mid) as the one to shrink or send on its own."""
    key, size = None, -1
    for k in msg:
        if k != "t" and k != "mid":
            part = []
            write_value(msg[k], part)
            n = len("".join(part).encode())
            if n > size:
                key, size = k, n
    detail = "%s, the limit is %d" % (what, limit)
    if key is not None:
        detail += "; its largest field %s is %d bytes: shorten it or send it in a message of its own" % (key, size)
    return ProtocolError(TOO_LARGE, detail, key, msg.get("t"), msg.get("mid"))


def decode(body, direction=None):
    """Body bytes -> checked message dict. Raises ProtocolError, nothing else.

    `direction` is UP when the hub reads what a terminal sent, DOWN when a
    terminal reads what the hub sent, None to accept either.
    """
    if len(body) > MAX_PACKET:
        raise ProtocolError(TOO_LARGE, "message is %d bytes, the limit is %d" % (len(body), MAX_PACKET))
    body = bytes(body)
    try:
        text = body.decode("utf-8")
    except (UnicodeError, ValueError):
        raise ProtocolError(MALFORMED, "message is not valid UTF-8")
    if not text.startswith("{"):
        raise ProtocolError(MALFORMED, "message must be a JSON object starting with {")
    if too_deep(body):
        raise ProtocolError(MALFORMED, "message nests objects and lists more than %d deep" % MAX_DEPTH)
    try:
        raw = json.loads(text)
    except (ValueError, TypeError, IndexError, KeyError, OverflowError):
        raise ProtocolError(MALFORMED, "message is not valid JSON")
    if type(raw) is not dict:
        raise ProtocolError(MALFORMED, "message must be a JSON object")
    return _check(raw, direction)


def too_deep(body):
    """True if BODY nests "[" and "{" (outside strings) more than MAX_DEPTH deep.

    Counting the brackets first (in C) settles nearly every packet without a
    loop in the interpreter: a body with at most MAX_DEPTH of them cannot be
    too deep. Only the rest are scanned byte by byte. Bytes that are not JSON
    may count wrongly here; the parser refuses them anyway (malformed too).
    """
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:
        return False
    depth = 0
    in_str = esc = False
    for c in body:
        if in_str:
            if esc:
                esc = False
            elif c == 0x5C:           # backslash
                esc = True
            elif c == 0x22:           # closing quote
                in_str = False
        elif c == 0x22:
            in_str = True
        elif c == 0x5B or c == 0x7B:  # [ {
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif c == 0x5D or c == 0x7D:  # ] }
            depth -= 1
    return False


__all__ = ("encode", "decode", "check", "UP", "DOWN")
