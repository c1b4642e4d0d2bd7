"""Field kinds of the message catalogue: how each is checked and written.

Every string and list has a bound, because a terminal holds whole messages in
a few kilobytes of RAM. Text fields refuse control characters: they are shown
on a screen or printed, and refusing them makes the compact JSON encoding
identical on CPython and MicroPython (only `"` and `\\` ever need escaping).
"""

from protocol.errors import ProtocolError, BAD_TYPE, BAD_VALUE

INT = "int"        # JSON integer within [a, b]
TEXT = "text"      # human text, a..b characters, no C0/C1 control characters
TOKEN = "token"    # ASCII identifier, a..b characters from TOKEN_CHARS
NAME = "name"      # device or window id, a..b characters from NAME_CHARS: safe as an MQTT topic level
HEX = "hex"        # lowercase hexadecimal, exactly a characters
BOOL = "bool"      # JSON true / false
ENUM = "enum"      # one of the strings in a
INTS = "ints"      # list of at most a distinct integers, each within b = (min, max)
TOKENS = "tokens"  # list of at most a distinct tokens, each of at most b characters
TEXTS = "texts"    # list of at most a texts, each of at most b characters
OBJ = "obj"        # JSON object checked by the function a

TOKEN_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._:/-"
NAME_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._-"
_TOKEN_SET = set(TOKEN_CHARS)
_NAME_SET = set(NAME_CHARS)
_HEX_SET = set("0123456789abcdef")

I31 = 2147483647      # ids and counters: positive 31-bit, safe in every language
I53 = 9007199254740991  # epoch milliseconds: exact in a JavaScript number


def fail(field, detail, code=BAD_VALUE):
    raise ProtocolError(code, detail, field)


def _type_name(v):
    if v is None:
        return "null"
    t = type(v)
    if t is bool:
        return "a boolean"
    if t is int:
        return "an integer"
    if t is float:
        return "a number with a fraction"
    if t is str:
        return "a string"
    if t is list:
        return "a list"
    if t is dict:
        return "an object"
    return "something else"


def check_int(field, v, lo, hi):
    if type(v) is not int:
        fail(field, "must be an integer, got %s" % _type_name(v), BAD_TYPE)
    if v < lo or v > hi:
        fail(field, "must be from %d to %d, got %d" % (lo, hi, v))
    return v


def check_text(field, v, lo, hi):
    if type(v) is not str:
        fail(field, "must be a string, got %s" % _type_name(v), BAD_TYPE)
    n = len(v)
    if n < lo or n > hi:
        fail(field, "must be %d to %d characters long, got %d" % (lo, hi, n))
    # C0, DEL and C1 controls (U+0080..U+009F: invisible, and some displays
    # or printers act on them), and lone surrogates. Checked on the UTF-8
    # bytes: on MicroPython `for ch in text` keeps every distinct character
    # it yields in the heap for good, a slow leak over a terminal's life.
    try:
        b = v.encode("utf-8")
    except UnicodeError:                 # CPython: a lone surrogate
        fail(field, "contains a lone surrogate; send text as valid UTF-8")
    n = len(b)
    i = 0
    while i < n:
        c = b[i]
        if c < 32 or c == 127:
            fail(field, "contains control character U+%04X; remove it" % c)
        if i + 1 < n:
            d = b[i + 1]
            if c == 0xC2 and d <= 0x9F:                      # U+0080..U+009F
                fail(field, "contains control character U+%04X; remove it" % d)
            if c == 0xED and d >= 0xA0 and i + 2 < n:        # U+D800..U+DFFF
                fail(field, "contains control character U+%04X; remove it"
                     % (0xD000 | ((d & 0x3F) << 6) | (b[i + 2] & 0x3F)))
        i += 1
    return v


def check_token(field, v, lo, hi, allowed=_TOKEN_SET, say="letters, digits and . _ : / -"):
    if type(v) is not str:
        fail(field, "must be a string, got %s" % _type_name(v), BAD_TYPE)
    n = len(v)
    if n < lo or n > hi:
        fail(field, "must be %d to %d characters long, got %d" % (lo, hi, n))
    for ch in v:
        if ch not in allowed:
            fail(field, "may contain only %s (found %r)" % (say, ch))
    return v


def check_hex(field, v, length):
    if type(v) is not str:
        fail(field, "must be a hex string, got %s" % _type_name(v), BAD_TYPE)
    if len(v) != length:
        fail(field, "must be exactly %d hex digits, got %d" % (length, len(v)))
    for ch in v:
        if ch not in _HEX_SET:
            fail(field, "must be lowercase hex digits (found %r)" % ch)
    return v


def check_list(field, v, max_items):
    if type(v) is not list:
        fail(field, "must be a list, got %s" % _type_name(v), BAD_TYPE)
    if len(v) > max_items:
        fail(field, "may hold at most %d items, got %d" % (max_items, len(v)))
    return v


def _check_distinct(field, items):
    seen = set()
    for x in items:
        if x in seen:
            fail(field, "lists %r twice" % (x,))
        seen.add(x)


def check_field(field, kind, v, a, b):
    """Check one value against its kind; returns it or raises ProtocolError."""
    if kind == INT:
        return check_int(field, v, a, b)
    if kind == TEXT:
        return check_text(field, v, a, b)
    if kind == TOKEN:
        return check_token(field, v, a, b)
    if kind == NAME:
        return check_token(field, v, a, b, _NAME_SET, "letters, digits and . _ -")
    if kind == HEX:
        return check_hex(field, v, a)
    if kind == BOOL:
        if type(v) is not bool:
            fail(field, "must be true or false, got %s" % _type_name(v), BAD_TYPE)
        return v
    if kind == ENUM:
        if type(v) is not str or v not in a:
            fail(field, "must be one of %s, got %r" % ("/".join(a), v))
        return v
    if kind == INTS:
        check_list(field, v, a)
        lo, hi = b
        for i in range(len(v)):
            x = v[i]
            if type(x) is not int or x < lo or x > hi:   # name the item only when it fails
                check_int("%s[%d]" % (field, i), x, lo, hi)
        _check_distinct(field, v)
        return v
    if kind == TOKENS:
        check_list(field, v, a)
        for i in range(len(v)):
            check_token("%s[%d]" % (field, i), v[i], 1, b)
        _check_distinct(field, v)
        return v
    if kind == TEXTS:
        check_list(field, v, a)
        for i in range(len(v)):
            check_text("%s[%d]" % (field, i), v[i], 0, b)
        return v
    if kind == OBJ:
        if type(v) is not dict:
            fail(field, "must be an object, got %s" % _type_name(v), BAD_TYPE)
        return a(field, v)
    raise ValueError("unknown field kind %r" % (kind,))


def quote(s):
    # Only `"` and `\` can occur that need escaping: text fields refuse
    # control characters and tokens are plain ASCII.
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_value(v, out):
    """Append the compact JSON of a checked value to the list `out`.

    Objects nested inside a message are written with sorted keys so that a
    message has exactly one encoding on every interpreter.
    """
    t = type(v)
    if t is bool:
        out.append("true" if v else "false")
    elif t is int:
        out.append(str(v))
    elif t is str:
        out.append(quote(v))
    elif t is list or t is tuple:
        out.append("[")
        first = True
        for x in v:
            if not first:
                out.append(",")
            first = False
            write_value(x, out)
        out.append("]")
    elif t is dict:
        out.append("{")
        first = True
        for k in sorted(v):
            if not first:
                out.append(",")
            first = False
            out.append(quote(k))
            out.append(":")
            write_value(v[k], out)
        out.append("}")
    else:
        raise ValueError("cannot encode %r" % (v,))
