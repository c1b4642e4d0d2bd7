"""Hypothesis strategies for protocol messages, built from the catalogue's bounds."""

from hypothesis import strategies as st

from protocol import domain
from protocol.catalogue import MESSAGES
from protocol import fields as F

# Text a citizen or staff member could see: Chinese, ASCII, a few symbols and
# the two characters JSON must escape.
_TEXT_ALPHABET = st.characters(
    blacklist_categories=("Cs", "Cc"),
    blacklist_characters="\x7f",
    max_codepoint=0x2FFFF,
)


def text(lo, hi):
    return st.text(_TEXT_ALPHABET, min_size=lo, max_size=hi) | st.text(
        st.sampled_from('办件事项名称"\\ /abc123'), min_size=lo, max_size=hi)


def token(lo, hi, chars=F.TOKEN_CHARS):
    return st.text(st.sampled_from(chars), min_size=lo, max_size=hi)


def value(kind, a, b):
    if kind == F.INT:
        return st.integers(a, b)
    if kind == F.TEXT:
        return text(a, b)
    if kind == F.TOKEN:
        return token(a, b)
    if kind == F.NAME:
        return token(a, b, F.NAME_CHARS)
    if kind == F.HEX:
        return st.binary(min_size=a // 2, max_size=a // 2).map(bytes.hex)
    if kind == F.BOOL:
        return st.booleans()
    if kind == F.ENUM:
        return st.sampled_from(a)
    if kind == F.INTS:
        return st.lists(st.integers(b[0], b[1]), max_size=a, unique=True)
    if kind == F.TOKENS:
        return st.lists(token(1, b), max_size=a, unique=True)
    if kind == F.TEXTS:
        return st.lists(text(0, b), max_size=a)
    if kind == F.OBJ:
        return _objects[a.__name__]
    raise AssertionError(kind)


_label_set = st.builds(
    lambda v, codes: {"v": v, "l": [[c, t] for c, t in codes]},
    st.integers(0, F.I31),
    st.lists(st.tuples(st.integers(100, 599), text(1, 24)), max_size=64, unique_by=lambda p: p[0]),
)
_objects = {
    "_label_set": _label_set,
    "_text_map": st.dictionaries(token(1, 24), text(0, 120), max_size=32),
    "_timeout_map": st.dictionaries(token(1, 24), st.integers(0, 86400), max_size=16),
}


@st.composite
def message(draw, mtype):
    direction, fields, mid_required, _rules = MESSAGES[mtype]
    msg = {"t": mtype}
    if mid_required or draw(st.booleans()):
        msg["mid"] = draw(st.integers(0, F.I31))
    for key, kind, required, a, b in fields:
        if required or draw(st.booleans()):
            msg[key] = draw(value(kind, a, b))
    if mtype in ("ack", "nack") and "seq" not in msg and ("re" not in msg or "more" in msg):
        msg["seq"] = draw(st.integers(1, F.I31))     # (an ack's more needs seq)
    if mtype == "rating":
        level = msg["lv"]
        codes = [c for c, _ in domain.NATIONAL_LABELS if c // 100 == level]
        msg["lb"] = draw(st.lists(st.sampled_from(codes), max_size=4, unique=True))
        if domain.is_bad(level) and not msg["lb"]:
            msg["oth"] = True
    return msg


any_message = st.sampled_from(sorted(MESSAGES)).flatmap(message)
