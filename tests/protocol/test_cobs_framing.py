"""COBS byte stuffing and link frames: vectors, round trips, and a deframer
that must survive any line noise without inventing or losing intact frames."""

import binascii
import struct

import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

from protocol import cobs, framing
from protocol.framing import (
    DATA, ACK, SYN, SYNACK, V1, V2, Frame, FrameError, Deframer, build_frame, parse_frame,
    MAX_PAYLOAD, MIN_FRAME,
)

# -- COBS -------------------------------------------------------------------

R254 = bytes(range(1, 255))          # 01 .. FE
# Wikipedia's examples (https://en.wikipedia.org/wiki/Consistent_Overhead_Byte_Stuffing),
# without the trailing 00 delimiter, which is not part of COBS(data) here.
WIKIPEDIA = [
    (b"\x00", b"\x01\x01"),
    (b"\x00\x00", b"\x01\x01\x01"),
    (b"\x00\x11\x00", b"\x01\x02\x11\x01"),
    (b"\x11\x22\x00\x33", b"\x03\x11\x22\x02\x33"),
    (b"\x11\x22\x33\x44", b"\x05\x11\x22\x33\x44"),
    (b"\x11\x00\x00\x00", b"\x02\x11\x01\x01\x01"),
    (R254, b"\xff" + R254),
    (b"\x00" + R254, b"\x01\xff" + R254),
    (bytes(range(1, 256)), b"\xff" + R254 + b"\x02\xff"),
    (bytes(range(2, 256)) + b"\x00", b"\xff" + bytes(range(2, 256)) + b"\x01\x01"),
    (bytes(range(3, 256)) + b"\x00\x01", b"\xfe" + bytes(range(3, 256)) + b"\x02\x01"),
    (b"", b"\x01"),
]


@pytest.mark.parametrize("data,enc", WIKIPEDIA)
def test_cobs_known_vectors(data, enc):
    assert cobs.encode(data) == enc
    assert cobs.decode(enc) == data


def _runs():
    # Bytes built from runs around the 254-byte group length, where COBS has its edge cases.
    run = st.integers(0, 600).map(lambda n: bytes((i % 255) + 1 for i in range(n)))
    return st.lists(st.one_of(run, st.binary(max_size=4)), max_size=8).map(b"\x00".join)


@given(st.one_of(st.binary(max_size=3000), _runs()))
@settings(max_examples=400)
def test_cobs_round_trip(data):
    enc = cobs.encode(data)
    assert b"\x00" not in enc
    assert len(enc) <= cobs.max_encoded_len(len(data))
    assert cobs.decode(enc) == data
    assert cobs.decode(bytearray(enc)) == data
    assert cobs.decode(memoryview(enc)) == data


@pytest.mark.parametrize("bad,why", [
    (b"", "empty"),
    (b"\x00", "zero code byte at offset 0"),
    (b"\x02\x11\x00", "zero code byte at offset 2"),
    (b"\x03\x11\x00", "zero byte at offset 2"),
    (b"\x05\x11\x22", "group at offset 0 needs 4 bytes, 2 left"),
    (b"\x02\x11\xff" + b"\x01" * 10, "group at offset 2 needs 254 bytes"),
])
def test_cobs_decode_rejects_malformed_input(bad, why):
    with pytest.raises(ValueError) as e:
        cobs.decode(bad)
    assert why in str(e.value)


@given(st.binary(max_size=600))
@settings(max_examples=300)
def test_cobs_decode_raises_only_valueerror_and_is_consistent(data):
    if not data or b"\x00" in data:
        # Every 0x00 is a code byte or inside a group: both are refused.
        with pytest.raises(ValueError):
            cobs.decode(data)
        return
    try:
        out = cobs.decode(data)
    except ValueError as e:
        assert "runs past" in str(e) or "needs" in str(e)
        return
    # Whatever decodes also re-encodes to something that decodes the same.
    assert cobs.decode(cobs.encode(out)) == out


def test_cobs_accepts_the_other_encoding_of_a_final_full_group():
    # Some encoders close a final 0xFF group with an empty 01 group.
    assert cobs.decode(b"\xff" + R254 + b"\x01") == R254


# -- frames -----------------------------------------------------------------

u16 = st.integers(0, 0xFFFF)
u16nz = st.integers(1, 0xFFFF)
u8 = st.integers(0, 0xFF)


@st.composite
def frames(draw, max_payload=300):
    t = draw(st.sampled_from([DATA, ACK, SYN, SYNACK]))
    v = draw(st.sampled_from([V1, V2]))
    src, dst = draw(u16nz), draw(u16)
    echo = draw(st.binary(min_size=4, max_size=4)) if v == V2 else b""
    if t == DATA:
        return Frame(t, src, dst, draw(u8), draw(u8), draw(st.binary(max_size=max_payload)), v, 0, echo)
    if t == ACK:
        return Frame(t, src, dst, 0, draw(u8), b"", v, 0, echo)
    if v == V2:      # and a nonce, never 0
        nonce = draw(st.binary(min_size=4, max_size=4).filter(lambda b: b != bytes(4)))
        return Frame(t, src, dst, 0, 0, b"", v, 0, echo, nonce)
    return Frame(t, src, dst, 0, 0, b"", v, draw(st.sampled_from([0, 0, 2, 255])))


def unwire(w):
    assert w.endswith(b"\x00") and w.count(b"\x00") == 1
    return cobs.decode(w[:-1])


@given(frames(max_payload=MAX_PAYLOAD))
@settings(max_examples=300)
def test_frame_round_trip(f):
    w = f.wire()
    assert len(w) <= framing.max_wire_len()
    raw = unwire(w)
    assert len(raw) == MIN_FRAME + len(f.payload) + len(f.echo) + len(f.nonce)
    assert parse_frame(raw) == f


def test_frame_layout_byte_by_byte():
    w = build_frame(DATA, 0x1234, 0xABCD, 7, 200, b"hi\x00")
    raw = unwire(w)
    assert raw[:7] == bytes([0x11, 0x12, 0x34, 0xAB, 0xCD, 7, 200])
    assert raw[7:10] == b"hi\x00"
    assert raw[10:] == struct.pack(">I", binascii.crc32(raw[:10]) & 0xFFFFFFFF)
    assert unwire(build_frame(SYN, 1, 0, 0, 0))[:7] == bytes([0x13, 0, 1, 0, 0, 0, 0])
    assert unwire(build_frame(SYNACK, 2, 1, 0, 0))[0] == 0x14
    assert unwire(build_frame(ACK, 2, 1, 0, 9))[:7] == bytes([0x12, 0, 2, 0, 1, 0, 9])
    # The largest frame fits the bound the deframer enforces.
    assert len(build_frame(DATA, 1, 1, 0, 0, b"\x01" * MAX_PAYLOAD)) == framing.max_wire_len(version=V1) == 2069
    big = build_frame(DATA, 1, 1, 0, 0, b"\x01" * MAX_PAYLOAD, version=V2, echo=b"\x01" * 4)
    assert len(big) == framing.max_wire_len() == 2073


def _raw(vt, src=1, dst=2, seq=0, ack=0, payload=b"", crc=None):
    body = struct.pack(">BHHBB", vt, src, dst, seq, ack) + payload
    c = binascii.crc32(body) & 0xFFFFFFFF if crc is None else crc
    return body + struct.pack(">I", c)


@pytest.mark.parametrize("raw,kind,text", [
    (b"", "short", "short frame: 0 bytes"),
    (_raw(0x11)[:10], "short", "short frame: 10 bytes"),
    (_raw(0x11, payload=b"x" * (MAX_PAYLOAD + 1)), "oversize", "oversize frame"),
    (_raw(0x11, crc=0), "bad_crc", "bad crc"),
    (_raw(0x31), "bad_version", "bad version 3, this end speaks 1/2"),
    (_raw(0x01), "bad_version", "bad version 0"),
    (_raw(0x15), "bad_type", "unknown frame type 5"),
    (_raw(0x10), "bad_type", "unknown frame type 0"),
    (_raw(0x11, src=0), "bad_src", "src incarnation 0"),
    (_raw(0x12, payload=b"x"), "control_payload", "payload of 1 bytes on a ACK frame"),
    (_raw(0x13, payload=b"xy"), "control_payload", "on a SYN frame"),
    (_raw(0x22, payload=b"echox"), "control_payload", "payload of 1 bytes on a ACK frame"),
    (_raw(0x22, payload=b"ech"), "short", "short version 2 ACK frame: 14 bytes, at least 15"),
    (_raw(0x23, payload=b"echo"), "short", "short version 2 SYN frame: 15 bytes, at least 19"),
    (_raw(0x24, payload=b"echononce!"), "control_payload", "payload of 2 bytes on a SYNACK frame"),
    (_raw(0x24, payload=b"echo" + bytes(4)), "bad_nonce", "nonce 0 on a SYNACK frame"),
])
def test_parse_frame_names_the_problem(raw, kind, text):
    with pytest.raises(FrameError) as e:
        parse_frame(raw)
    assert isinstance(e.value, ValueError)
    assert e.value.kind == kind
    assert text in str(e.value)


def test_parse_frame_ignores_reserved_fields_of_control_frames():
    f = parse_frame(_raw(0x13, seq=5, ack=6))
    assert (f.ftype, f.seq, f.ack, f.offer) == (SYN, 0, 0, 5)   # a v1 SYN's seq byte: the offer
    f = parse_frame(_raw(0x12, seq=5, ack=6))
    assert (f.ftype, f.seq, f.ack, f.offer) == (ACK, 0, 6, 0)
    f = parse_frame(_raw(0x23, seq=5, ack=6, payload=b"echonon!"))
    assert (f.ftype, f.version, f.seq, f.ack, f.offer, f.echo, f.nonce, f.payload) == \
        (SYN, 2, 0, 0, 0, b"echo", b"non!", b"")


def test_version_2_frames_byte_by_byte():
    raw = unwire(build_frame(SYN, 0x5A17, 0, 0, 0, version=V2, echo=bytes(4), nonce=b"\xa1\xb2\xc3\xd4"))
    assert raw[:15] == bytes([0x23, 0x5A, 0x17, 0, 0, 0, 0, 0, 0, 0, 0, 0xA1, 0xB2, 0xC3, 0xD4])
    assert len(raw) == 19
    assert unwire(build_frame(SYNACK, 1, 2, 0, 0, version=V2, echo=b"echo", nonce=b"nonc"))[0] == 0x24
    raw = unwire(build_frame(DATA, 1, 2, 3, 4, b"hi", version=V2, echo=b"echo"))
    assert raw[:13] == bytes([0x21, 0, 1, 0, 2, 3, 4]) + b"echohi" and len(raw) == 17
    # A version 2 end's fallback SYN: a version 1 SYN with 2 in its seq byte.
    raw = unwire(build_frame(SYN, 0x5A17, 0, 0, 0, offer=2))
    assert raw[:7] == bytes([0x13, 0x5A, 0x17, 0, 0, 2, 0])
    assert parse_frame(raw).offer == 2 and parse_frame(raw).seq == 0


def test_a_version_1_receiver_drops_every_version_2_frame():
    z = bytes(4)
    for w in (build_frame(SYN, 1, 0, 0, 0, version=V2, echo=z, nonce=b"nonc"),
              build_frame(DATA, 1, 2, 0, 0, b"x", version=V2, echo=z),
              build_frame(ACK, 1, 2, 0, 1, version=V2, echo=z)):
        with pytest.raises(FrameError) as e:
            parse_frame(unwire(w), versions=(V1,))
        assert e.value.kind == "bad_version" and "this end speaks 1" in str(e.value)
    d = Deframer(versions=(V1,))
    assert d.feed(build_frame(SYN, 1, 0, 0, 0, version=V2, echo=z, nonce=b"nonc")
                  + build_frame(SYN, 1, 0, 0, 0, offer=2)) == [Frame(SYN, 1, 0, 0, 0, b"", V1, 2)]
    assert d.stats["bad_header"] == 1


def test_a_small_payload_limit_still_takes_version_2_control_frames():
    syn = build_frame(SYN, 1, 0, 0, 0, version=V2, echo=b"echo", nonce=b"nonc")
    assert Deframer(max_payload=0).feed(syn) == [parse_frame(unwire(syn))]
    d = Deframer(max_payload=0)
    assert d.feed(build_frame(DATA, 1, 2, 0, 0, b"x", version=V2, echo=b"echo")) == []
    assert d.stats["oversize"] == 1


def test_parse_frame_honours_a_smaller_payload_limit():
    raw = unwire(build_frame(DATA, 1, 2, 0, 0, b"x" * 100))
    assert parse_frame(raw, max_payload=100).payload == b"x" * 100
    with pytest.raises(FrameError) as e:
        parse_frame(raw, max_payload=99)
    assert e.value.kind == "oversize"


@pytest.mark.parametrize("args", [
    (9, 1, 0, 0, 0), (DATA, 0, 1, 0, 0), (DATA, 0x10000, 1, 0, 0), (DATA, 1, -1, 0, 0),
    (DATA, 1, 1, 256, 0), (DATA, 1, 1, 0, 256), (DATA, True, 1, 0, 0), (DATA, 1, 1, 1.0, 0),
    (SYN, 1, 0, 1, 0), (ACK, 1, 1, 0, 0, b"x"), (DATA, 1, 1, 0, 0, b"x" * (MAX_PAYLOAD + 1)),
    (SYN, 1, 0, 0, 1),
])
def test_build_frame_refuses_what_a_receiver_would_reject(args):
    with pytest.raises(ValueError):
        build_frame(*args)


E4, N4 = b"echo", b"nonc"


@pytest.mark.parametrize("args,kw", [
    ((SYN, 1, 0, 0, 0), {"version": 3}), ((SYN, 1, 0, 0, 0), {"version": V2}),
    ((SYN, 1, 0, 0, 0), {"version": V2, "echo": E4}), ((SYN, 1, 0, 0, 0), {"version": V2, "echo": E4, "nonce": bytes(4)}),
    ((SYN, 1, 0, 0, 0), {"version": V2, "echo": b"ech", "nonce": N4}), ((DATA, 1, 0, 0, 0), {"version": V2}),
    ((DATA, 1, 0, 0, 0), {"version": V2, "echo": E4, "nonce": N4}), ((DATA, 1, 0, 0, 0), {"echo": E4}),
    ((ACK, 1, 1, 0, 0, b"x"), {"version": V2, "echo": E4}), ((SYN, 1, 0, 0, 0), {"offer": 256}),
    ((SYN, 1, 0, 0, 0), {"version": V2, "echo": E4, "nonce": N4, "offer": 2}), ((DATA, 1, 0, 0, 0), {"offer": 2}),
])
def test_build_frame_refuses_bad_version_2_fields(args, kw):
    with pytest.raises(ValueError):
        build_frame(*args, **kw)


# -- the deframer -----------------------------------------------------------

def _feed_in_chunks(d, stream, cuts):
    out = []
    pos = 0
    for c in sorted(set(cuts)) + [len(stream)]:
        if c > pos:
            out += d.feed(stream[pos:c])
            pos = c
        assert len(d._buf) <= d._limit
    return out


@st.composite
def noisy_streams(draw):
    sent = draw(st.lists(frames(max_payload=200), min_size=1, max_size=8))
    wires = [f.wire() for f in sent]
    garbage = st.one_of(
        st.binary(min_size=1, max_size=40),
        st.binary(min_size=1, max_size=40).map(lambda b: b.replace(b"\x00", b"\x01")),
        st.just(b"\x00"),
        st.just(b"\x5a" * 2200),   # longer than any frame, no delimiter
    )
    ops = draw(st.lists(st.one_of(
        st.tuples(st.just("frame"), st.integers(0, len(sent) - 1)),   # sends, resends, reorders
        st.tuples(st.just("garbage"), garbage),
        st.tuples(st.just("flip"), st.integers(0, len(sent) - 1), st.integers(0, 10**6), st.integers(0, 7)),
        st.tuples(st.just("truncate"), st.integers(0, len(sent) - 1), st.integers(0, 10**6)),
        st.tuples(st.just("cut"), st.integers(0, len(sent) - 1), st.integers(0, 10**6), st.integers(1, 5)),
    ), max_size=30))
    stream = bytearray()
    intact = []      # frames put on the stream unmodified, after a 0x00 (or first)
    for op in ops:
        if op[0] == "garbage":
            stream += op[1]
            continue
        w = bytearray(wires[op[1]])
        if op[0] == "frame":
            if not stream or stream[-1] == 0:
                intact.append(sent[op[1]])
        elif op[0] == "flip":
            w[op[2] % len(w)] ^= 1 << op[3]
        elif op[0] == "truncate":
            w = w[:op[2] % len(w)]
        else:
            a = op[2] % len(w)
            del w[a:a + op[3]]
        stream += w
    stream = bytes(stream)
    cuts = draw(st.lists(st.integers(0, len(stream)), max_size=12))
    return sent, stream, cuts, intact


def _is_subsequence(small, big):
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


@given(noisy_streams())
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_deframer_takes_every_intact_frame_and_invents_none(case):
    sent, stream, cuts, intact = case
    d = Deframer()
    got = _feed_in_chunks(d, stream, cuts)
    # Never a frame that was not sent.
    for f in got:
        assert f in sent
    # Every frame sent unmodified between two delimiters comes out, in order.
    assert _is_subsequence(intact, got)
    # The exact answer: the pieces between delimiters that are a frame's encoding.
    enc = {f.wire()[:-1]: f for f in sent}
    pieces = stream.split(b"\x00")[:-1]          # the last one is still unterminated
    assert got == [enc[p] for p in pieces if p in enc]
    # And everything else was counted, once per piece, byte for byte.
    bad = [p for p in pieces if p and p not in enc]
    tail = stream.split(b"\x00")[-1]
    if len(tail) > d._limit:
        bad.append(tail)                          # already known to be an overrun
    s = d.stats
    assert s["frames"] == len(got)
    assert s["bad_crc"] + s["bad_cobs"] + s["bad_header"] + s["oversize"] == len(bad)
    assert s["garbage_bytes"] == sum(len(p) for p in bad)


@given(st.binary(max_size=5000), st.lists(st.integers(0, 5000), max_size=20))
@settings(max_examples=300)
def test_deframer_never_raises_on_noise(noise, cuts):
    d = Deframer()
    got = _feed_in_chunks(d, noise, cuts)
    assert len(got) == d.stats["frames"]


def test_deframer_resynchronises_after_an_overlong_run():
    d = Deframer()
    good = build_frame(DATA, 1, 2, 3, 4, b"payload")
    limit = d._limit
    # Fed byte by byte-ish: the buffer never exceeds one frame.
    for i in range(30):
        assert d.feed(b"\x7f" * 333) == []
        assert len(d._buf) <= limit
    # The frame glued to the run is lost with it; the next delimited one is not.
    assert d.feed(good) == []
    assert d.feed(good) == [parse_frame(unwire(good))]
    assert d.stats["oversize"] == 1
    assert d.stats["garbage_bytes"] == 30 * 333 + len(good) - 1   # run + glued frame
    # A run of exactly the limit is still taken as a (bad) frame, not an overrun.
    d = Deframer()
    assert d.feed(b"\x7f" * limit + b"\x00") == []
    assert d.stats["oversize"] == 0 and d.stats["bad_cobs"] + d.stats["bad_crc"] == 1


def test_deframer_ignores_empty_frames_and_counts_kinds():
    d = Deframer()
    good = build_frame(ACK, 5, 6, 0, 7)
    bad_crc = bytearray(good)
    bad_crc[3] ^= 0x40
    stream = (b"\x00\x00" + good + b"\x00" + bytes(bad_crc) + b"\x05\x01\x00"
              + cobs.encode(_raw(0x31)) + b"\x00" + good)
    assert d.feed(stream) == [parse_frame(unwire(good))] * 2
    s = d.stats
    assert (s["frames"], s["bad_crc"], s["bad_cobs"], s["bad_header"]) == (2, 1, 1, 1)


def test_deframer_with_small_payload_limit_bounds_its_buffer():
    d = Deframer(max_payload=16)
    assert d._limit == cobs.max_encoded_len(MIN_FRAME + 4 + 16)    # a version 2 DATA: its echo too
    big = build_frame(DATA, 1, 2, 0, 0, b"x" * 17)
    ok = build_frame(DATA, 1, 2, 0, 0, b"x" * 16)
    assert d.feed(big + ok) == [parse_frame(unwire(ok))]
    assert d.stats["oversize"] == 1
