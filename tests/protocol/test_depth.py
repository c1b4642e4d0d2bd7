"""Deep nesting is refused as `malformed` by codec.decode, on CPython (where
the parser used to escape as RecursionError) and MicroPython alike."""

import contextlib
import io
import json
import os

from hypothesis import given, settings, strategies as st

from protocol.codec import MAX_DEPTH, decode, too_deep
from protocol.errors import ProtocolError
from tests.protocol import mp_depth

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mp_depth.py")


def run_on_cpython():
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        mp_depth.main()
    return buf.getvalue()


def test_deep_bodies_are_malformed_and_the_catalogues_deepest_is_not():
    out = run_on_cpython()
    assert "lists %d: malformed None" % (MAX_DEPTH + 5) in out
    assert "objects 100: malformed None" in out and "2 KB of [: malformed None" in out
    assert "lists %d: ok hb" % (MAX_DEPTH - 1) in out       # with the outer object: MAX_DEPTH
    assert "brackets in a string: ok hb" in out
    mixed = [line for line in out.splitlines() if line.startswith("mixed")]
    assert {line.split(": ")[1] for line in mixed} == {"ok hb", "malformed None"}
    for line in mixed:                 # the scan counted what the body really nests
        depth = int(line.split("(")[1].split(" ")[0])
        assert line.endswith("ok hb") == (depth <= MAX_DEPTH), line
    # The deepest nesting of the catalogue (cfg.ls.l[i]) is well inside the bound.
    from protocol import domain
    from protocol.codec import encode
    body = encode({"t": "cfg", "mid": 1, "ver": 1, "ls": domain.national_label_set()}, "down")
    assert decode(body, "down")["ls"]["l"][0][0]


def test_micropython_gives_the_same_answers(micropython):
    from simulator.mpy import protocol_mounts
    out = micropython(SCRIPT, mounts=protocol_mounts())
    assert "mp_depth ok: 54 bodies" in out
    assert out == run_on_cpython()


def _nested():
    leaf = st.one_of(st.integers(), st.text(alphabet='[]{}"\\ab', max_size=6))
    return st.recursive(leaf, lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(alphabet='[]{"a', max_size=3),
                                                     inner, max_size=3)), max_leaves=30)


def _depth(v):
    if isinstance(v, (list, dict)):
        items = v.values() if isinstance(v, dict) else v
        return 1 + max((_depth(x) for x in items), default=0)
    return 0


@settings(max_examples=300)
@given(_nested())
def test_the_scan_measures_the_real_depth(value):
    body = json.dumps({"t": "hb", "x": value}, ensure_ascii=False).encode()
    assert too_deep(body) == (1 + _depth(value) > MAX_DEPTH)
    try:
        decode(body, "up")
    except ProtocolError:
        pass                         # hb without its fields, or too deep: never anything else
