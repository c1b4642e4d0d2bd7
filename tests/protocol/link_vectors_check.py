"""Checks the link-layer vectors of protocol/vectors.json (frames,
bad_frames, streams, link_transcripts) against protocol.framing,
protocol.cobs and protocol.arq.

Imported by mp_vectors.py, so it runs unchanged on CPython and on real
MicroPython. check(v) returns the number of checks passed and raises
AssertionError naming the vector that fails.
"""

from protocol import cobs
from protocol.arq import Link
from protocol.framing import TYPE_NAMES, KINDS, Deframer, FrameError, build_frame, parse_frame

_TYPES = {}
for _k in TYPE_NAMES:
    _TYPES[TYPE_NAMES[_k]] = _k


def frame_fields(f):
    # Payload as bytes, not hex: MicroPython's b"".hex() is b"", not "".
    return {"type": TYPE_NAMES[f.ftype], "version": f.version, "src": f.src, "dst": f.dst,
            "seq": f.seq, "ack": f.ack, "offer": f.offer, "echo": bytes(f.echo),
            "nonce": bytes(f.nonce), "payload": bytes(f.payload)}


_BYTES = ("echo", "nonce", "payload")


def _opt(case, k):
    return bytes.fromhex(case[k]) if case[k] else None


def _same_fields(case, f):
    got = frame_fields(f)
    for k in got:
        want = bytes.fromhex(case[k]) if k in _BYTES else case[k]
        if got[k] != want:
            return False
    return True


# Ways to cut a stream into chunks: the Deframer must not care.
_CHUNKS = (0, 1, 7, 64)


def _feed(data, chunk):
    d = Deframer()
    if not chunk:
        return d.feed(data), d.stats
    got = []
    for i in range(0, len(data), chunk):
        got += d.feed(data[i:i + chunk])
    return got, d.stats


def check_frames(frames):
    n = 0
    for case in frames:
        name = case["name"]
        wire = bytes.fromhex(case["wire"])
        raw = bytes.fromhex(case["frame"])
        assert wire[-1] == 0 and wire[:-1].find(b"\x00") < 0, "%s: wire must be COBS + one 0x00" % name
        assert cobs.decode(wire[:-1]) == raw, "%s: COBS decoding differs" % name
        f = parse_frame(raw)
        assert _same_fields(case, f), "%s: parsed %r" % (name, frame_fields(f))
        if case.get("encode", True):
            payload = bytes.fromhex(case["payload"])
            assert build_frame(_TYPES[case["type"]], case["src"], case["dst"], case["seq"],
                               case["ack"], payload, version=case["version"], offer=case["offer"],
                               echo=_opt(case, "echo"), nonce=_opt(case, "nonce")) == wire, \
                "%s: build_frame differs" % name
            assert f.wire() == wire, "%s: Frame.wire differs" % name
            assert cobs.encode(raw) == wire[:-1], "%s: COBS encoding differs" % name
        got, st = _feed(wire, 0)
        assert len(got) == 1 and got[0] == f and st["frames"] == 1, "%s: deframer" % name
        n += 1
    return n


def check_bad_frames(bad):
    n = 0
    for case in bad:
        name, kind = case["name"], case["kind"]
        wire = bytes.fromhex(case["wire"])
        if kind == "bad_cobs":
            try:
                cobs.decode(wire[:-1])
            except ValueError:
                pass
            else:
                raise AssertionError("%s: COBS decoding accepted it" % name)
        else:
            raw = cobs.decode(wire[:-1])
            assert raw == bytes.fromhex(case["frame"]), "%s: unstuffed frame differs" % name
            try:
                parse_frame(raw)
            except FrameError as e:
                assert e.kind == kind, "%s: kind %s, want %s" % (name, e.kind, kind)
                assert KINDS[kind] == case["counter"], "%s: counter" % name
            else:
                raise AssertionError("%s: parse_frame accepted it" % name)
        got, st = _feed(wire, 0)
        assert not got and st[case["counter"]] == 1 and st["frames"] == 0, \
            "%s: deframer yielded %r, stats %r" % (name, got, st)
        n += 1
    return n


def check_streams(streams):
    n = 0
    for case in streams:
        name = case["name"]
        data = bytes.fromhex(case["hex"])
        want = case["frames"]
        for chunk in _CHUNKS:
            got, st = _feed(data, chunk)
            assert len(got) == len(want), "%s (chunks of %d): %d frames, want %d" % (
                name, chunk, len(got), len(want))
            for i in range(len(got)):
                assert _same_fields(want[i], got[i]), "%s: frame %d is %r" % (name, i, got[i])
            for k in case["stats"]:
                assert st[k] == case["stats"][k], "%s (chunks of %d): %s is %d, want %d" % (
                    name, chunk, k, st[k], case["stats"][k])
            n += 1
    return n


def _nonce(end):
    return bytes.fromhex(end["nonce"]) if end["nonce"] else None


def check_transcripts(transcripts):
    """Two Links started at once write each round's batches byte for byte."""
    n = 0
    for case in transcripts:
        name = case["name"]
        t = Link(case["terminal"]["incarnation"], nonce=_nonce(case["terminal"]))
        h = Link(case["hub"]["incarnation"], nonce=_nonce(case["hub"]))
        t.start(0)
        h.start(0)
        now = 0
        for r in case["rounds"]:
            now += 1
            a, b = t.outgoing(), h.outgoing()
            assert a == bytes.fromhex(r["terminal"]), "%s: terminal's batch %d differs" % (name, now)
            assert b == bytes.fromhex(r["hub"]), "%s: hub's batch %d differs" % (name, now)
            h.receive(a, now)
            t.receive(b, now)
        assert t.connected and h.connected, "%s: not connected" % name
        assert t.version == h.version == case["version"], "%s: version %d/%d" % (name, t.version, h.version)
        n += 1
    return n


def check(v):
    return check_frames(v["frames"]) + check_bad_frames(v["bad_frames"]) + check_streams(v["streams"]) \
        + check_transcripts(v["link_transcripts"])
