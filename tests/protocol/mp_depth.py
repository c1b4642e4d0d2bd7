"""Deeply nested bodies through codec.decode: prints one line per body.

Runs unchanged on CPython and MicroPython (tests/protocol/test_depth.py runs
both and compares the output byte for byte): the nesting bound must give
the two interpreters one answer, where their JSON parsers differ (CPython's
recurses, MicroPython's does not).
"""

from protocol.codec import decode, MAX_DEPTH
from protocol.errors import ProtocolError

HB = b'{"t":"hb","up":1,"heap":1,"jd":0,"x":'


def bodies():
    """(name, body): nesting around the bound, mixed, in strings, huge."""
    for depth in (MAX_DEPTH - 2, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 5, 100, 1000):
        yield "lists %d" % depth, HB + b"[" * depth + b"]" * depth + b"}"
        yield "objects %d" % depth, HB + b'{"a":' * depth + b"1" + b"}" * depth + b"}"
    seed = 12345
    for i in range(40):                  # a fixed LCG: the same bodies on both interpreters
        out = [HB]
        closers = []
        for _ in range(2 + i):
            seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
            r = seed % 4
            if r == 0:
                out.append(b"[")
                closers.append(b"]")
            elif r == 1:
                out.append(b'{"k":')
                closers.append(b"}")
            elif r == 2:
                out.append(b'["[{\\"[[",')  # brackets inside a string do not nest
                closers.append(b"]")
        out.append(b"1")
        while closers:
            out.append(closers.pop())
        out.append(b"}")
        yield "mixed %d (%d deep)" % (i, len([c for c in out if c[:1] in (b"[", b"{")])), b"".join(out)
    yield "2 KB of [", (HB + b"[" * 2048)[:2048]
    yield "brackets in a string", HB + b'"' + b"[" * 40 + b'"}'


def main():
    n = 0
    for name, body in bodies():
        try:
            msg = decode(body, "up")
            print("%s: ok %s" % (name, msg["t"]))
        except ProtocolError as e:
            print("%s: %s %s" % (name, e.code, e.field))
        n += 1
    print("mp_depth ok: %d bodies" % n)


if __name__ == "__main__":
    main()
