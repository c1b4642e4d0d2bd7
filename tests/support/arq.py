"""Shared pieces of the ARQ link tests (tests/protocol/test_arq_*.py): two
incarnation ids, a strict frame reader, and a perfect line between two ends."""

from protocol.arq import Link
from protocol.framing import Deframer

A, B = 0x1111, 0x2222


def frames_of(data):
    d = Deframer()
    out = d.feed(data)
    assert d.stats["frames"] == len(out) and not d._buf, "a Link wrote a bad frame"
    return out


def types(data):
    return [f.ftype for f in frames_of(data)]


def exchange(a, b, now=0, rounds=100):
    """Carry bytes both ways on a perfect, instant line until both are quiet."""
    for _ in range(rounds):
        x, y = a.outgoing(), b.outgoing()
        if not x and not y:
            return
        if x:
            b.receive(x, now)
        if y:
            a.receive(y, now)
    raise AssertionError("the two ends never went quiet")


def end(inc, nonce, **kw):
    """A link version 2 end, or (nonce None) a version 1 end built as before version 2."""
    return Link(inc, nonce=nonce, **kw) if nonce else Link(inc, **kw)


def connected_pair(na=None, nb=None, **kw):
    """Two ends (boot nonces na, nb: None for a version 1 end), connected."""
    a, b = end(A, na, **kw), end(B, nb, **kw)
    a.start(0)
    b.start(0)
    exchange(a, b)
    assert a.connected and b.connected
    assert a.take_events() == [("up", B)] and b.take_events() == [("up", A)]
    return a, b
