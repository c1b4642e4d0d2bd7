"""Link-layer test vectors (frames and noisy streams) for vectors_gen.py.

Four lists go into protocol/vectors.json (PROTOCOL.md §10):
  frames      good frames of link versions 1 and 2: wire bytes (COBS +
              0x00), the unstuffed frame, and the fields a receiver reads
  bad_frames  damaged frames with the FrameError kind parse_frame raises
              (or "bad_cobs" when COBS decoding already fails) and the
              Deframer counter they add to
  streams     byte streams mixing good frames with noise, with the frames a
              Deframer must yield and its counters afterwards
  link_transcripts  two ends (versions 1 and 2 in each pairing) started at
              once, and the batches protocol.arq.Link writes, round by round

Everything is built from fixed bytes (no randomness) so the file is stable.
The generator checks its own expectations: every stream is built from known
pieces and the Deframer must yield exactly the intact frames placed in it.
"""

import binascii
import struct

from protocol import cobs
from protocol.arq import Link
from protocol.framing import (
    DATA, ACK, SYN, SYNACK, V1, V2, TYPE_NAMES, KINDS, MAX_PAYLOAD, Deframer, FrameError,
    build_frame, parse_frame,
)

TERM = 0x5A17   # the terminal's incarnation in these vectors
HUB = 0xC3E9    # the hub's
OLD_HUB = 0x0042
TERM_NONCE = bytes.fromhex("a1b2c3d4")   # their boot nonces (link version 2)
HUB_NONCE = bytes.fromhex("9e8d7c6b")
NO_NONCE = bytes(4)


def crc_frame(head, payload=b""):
    """A raw frame with a correct CRC-32, whatever its header says."""
    raw = bytes(head) + bytes(payload)
    return raw + (binascii.crc32(raw) & 0xFFFFFFFF).to_bytes(4, "big")


def header(vt, src, dst, seq, ack):
    return struct.pack(">BHHBB", vt, src, dst, seq, ack)


def big_payload():
    """MAX_PAYLOAD bytes: a 600-byte run without 0x00 (two 0xFF COBS groups),
    then bytes with a 0x00 every 7th position."""
    head = bytes((i % 255) + 1 for i in range(600))
    tail = bytes(0 if i % 7 == 0 else (i * 13) % 256 or 1 for i in range(MAX_PAYLOAD - 600))
    return head + tail


def fields(ftype, src, dst, seq, ack, payload=b"", version=V1, offer=0, echo=b"", nonce=b""):
    return {"type": TYPE_NAMES[ftype], "version": version, "src": src, "dst": dst, "seq": seq,
            "ack": ack, "offer": offer, "echo": bytes(echo).hex(), "nonce": bytes(nonce).hex(),
            "payload": bytes(payload).hex()}


def fields_of(f):
    return fields(f.ftype, f.src, f.dst, f.seq, f.ack, f.payload, f.version, f.offer, f.echo, f.nonce)


def frame_case(name, ftype, src, dst, seq, ack, payload=b"", version=V1, offer=0, echo=None, nonce=None):
    wire = build_frame(ftype, src, dst, seq, ack, payload, version=version, offer=offer,
                       echo=echo, nonce=nonce)
    raw = cobs.decode(wire[:-1])
    return dict({"name": name, "wire": wire.hex(), "frame": raw.hex()}, **fields_of(parse_frame(raw)))


def good_frames(sealed):
    rating = bytes.fromhex(sealed[0]["hex"])
    ack = bytes.fromhex(sealed[1]["hex"])
    out = [
        frame_case("SYN of a terminal that knows no peer yet", SYN, TERM, 0, 0, 0),
        frame_case("SYNACK of the hub", SYNACK, HUB, TERM, 0, 0),
        frame_case("SYN of a rebooted hub that still knows the terminal", SYN, HUB, TERM, 0, 0),
        frame_case("ACK: the terminal expects seq 5 next", ACK, TERM, HUB, 0, 5),
        frame_case("DATA carrying a sealed rating", DATA, TERM, HUB, 4, 7, rating),
        frame_case("DATA carrying the hub's sealed ack", DATA, HUB, TERM, 7, 5, ack),
        frame_case("DATA with zero bytes in its payload", DATA, TERM, HUB, 5, 8, b"\x00\x01\x00\x00\xff\x00"),
        frame_case("DATA with an empty payload", DATA, TERM, HUB, 6, 8),
        frame_case("DATA at the sequence wrap", DATA, HUB, TERM, 255, 0, b"wrap"),
        frame_case("DATA with the largest payload (2048 bytes)", DATA, TERM, HUB, 0, 0, big_payload()),
        frame_case("version 2 SYN of a terminal that knows no peer yet", SYN, TERM, 0, 0, 0,
                   version=V2, echo=NO_NONCE, nonce=TERM_NONCE),
        frame_case("version 1 SYN of a version 2 terminal: its offer for a version 1 hub", SYN, TERM, 0,
                   0, 0, b"", V1, V2),
        frame_case("version 2 SYNACK of the hub, echoing the terminal's nonce", SYNACK, HUB, TERM, 0, 0,
                   version=V2, echo=TERM_NONCE, nonce=HUB_NONCE),
        frame_case("version 2 SYN of a hub that knows the terminal's boot", SYN, HUB, TERM, 0, 0,
                   version=V2, echo=TERM_NONCE, nonce=HUB_NONCE),
        frame_case("version 1 SYNACK of a version 2 hub answering a version 1 terminal", SYNACK, HUB,
                   TERM, 0, 0, b"", V1, V2),
        frame_case("version 2 DATA carrying the hub's sealed ack", DATA, HUB, TERM, 7, 5, ack, V2,
                   echo=TERM_NONCE),
        frame_case("version 2 ACK", ACK, TERM, HUB, 0, 8, b"", V2, echo=HUB_NONCE),
    ]
    # Reserved header fields: a receiver reads them as 0 whatever was sent,
    # so a later version may give them a meaning. build_frame never writes these.
    # (A version 1 SYN's seq byte is its offer: 1 there is an offer of version 1.)
    for name, vt, seq, ack, payload in (
            ("ACK with a non-zero reserved seq", 0x12, 9, 3, b""),
            ("SYN with non-zero reserved seq and ack", 0x13, 1, 2, b""),
            ("version 2 SYNACK with non-zero reserved seq and ack", 0x24, 1, 2, TERM_NONCE + HUB_NONCE)):
        raw = crc_frame(header(vt, HUB, TERM, seq, ack), payload)
        out.append(dict({"name": name, "wire": (cobs.encode(raw) + b"\x00").hex(), "frame": raw.hex(),
                         "encode": False}, **fields_of(parse_frame(raw))))
    return out


def bad_frame_cases():
    """-> list of (name, wire bytes, expected kind)."""
    good = cobs.decode(build_frame(DATA, TERM, HUB, 1, 2, b"hello")[:-1])
    flipped = bytearray(good)
    flipped[9] ^= 0x04
    over = crc_frame(header(0x11, TERM, HUB, 0, 0), b"\x01" * (MAX_PAYLOAD + 1))
    stuffed = cobs.encode(good)
    cases = [
        ("bit flipped in the payload", bytes(flipped), "bad_crc"),
        ("CRC written little-endian", good[:-4] + good[-4:][::-1], "bad_crc"),
        ("last payload byte cut off", good[:-5] + good[-4:], "bad_crc"),
        ("truncated to 10 bytes", good[:10], "short"),
        ("empty after unstuffing (COBS 01)", b"", "short"),
        ("link version 3", crc_frame(header(0x31, TERM, HUB, 1, 2), b"hello"), "bad_version"),
        ("link version 0", crc_frame(header(0x03, TERM, 0, 0, 0)), "bad_version"),
        ("frame type 5", crc_frame(header(0x15, TERM, HUB, 0, 0)), "bad_type"),
        ("frame type 0", crc_frame(header(0x10, TERM, HUB, 0, 0)), "bad_type"),
        ("src incarnation 0", crc_frame(header(0x13, 0, 0, 0, 0)), "bad_src"),
        ("ACK with a payload", crc_frame(header(0x12, TERM, HUB, 0, 1), b"x"), "control_payload"),
        ("version 1 SYN with a nonce", crc_frame(header(0x13, TERM, 0, 0, 0), NO_NONCE + TERM_NONCE),
         "control_payload"),
        ("version 2 SYN without its nonce", crc_frame(header(0x23, TERM, 0, 0, 0), NO_NONCE), "short"),
        ("version 2 ACK without its echo", crc_frame(header(0x22, TERM, HUB, 0, 1)), "short"),
        ("version 2 SYNACK with a payload", crc_frame(header(0x24, HUB, TERM, 0, 0),
                                                      TERM_NONCE + HUB_NONCE + b"x"), "control_payload"),
        ("version 2 ACK with a payload", crc_frame(header(0x22, TERM, HUB, 0, 1), HUB_NONCE + b"x"),
         "control_payload"),
        ("version 2 SYN with nonce 0", crc_frame(header(0x23, TERM, 0, 0, 0), HUB_NONCE + NO_NONCE),
         "bad_nonce"),
        ("payload of 2049 bytes", over, "oversize"),
    ]
    out = [(n, cobs.encode(raw) + b"\x00", kind) for n, raw, kind in cases]
    out += [
        ("COBS group runs past the end", stuffed[:-3] + b"\x00", "bad_cobs"),
        ("COBS code byte claims more than is there", b"\x09" + stuffed[1:] + b"\x00", "bad_cobs"),
    ]
    return out


def bad_frames():
    out = []
    for name, wire, kind in bad_frame_cases():
        case = {"name": name, "wire": wire.hex(), "kind": kind,
                "counter": "bad_cobs" if kind == "bad_cobs" else KINDS[kind]}
        try:
            raw = cobs.decode(wire[:-1])
        except ValueError:
            assert kind == "bad_cobs", name
            out.append(case)
            continue
        case["frame"] = raw.hex()
        try:
            parse_frame(raw)
        except FrameError as e:
            assert e.kind == kind, (name, e.kind)
            out.append(case)
            continue
        raise AssertionError("bad frame vector was accepted: " + name)
    return out


def _w(ftype, src, dst, seq, ack, payload=b""):
    return build_frame(ftype, src, dst, seq, ack, payload)


def stream_cases():
    """-> list of (name, pieces); a piece is (bytes, intact?) with intact
    pieces being whole frames the Deframer must yield."""
    f1 = _w(DATA, TERM, HUB, 0, 0, b'{"t":"hb"}')
    f2 = _w(DATA, TERM, HUB, 1, 0, b"\x00\x00two\x00")
    f3 = _w(ACK, HUB, TERM, 0, 2)
    syn = _w(SYN, TERM, 0, 0, 0)
    syn2 = build_frame(SYN, TERM, 0, 0, 0, version=V2, echo=NO_NONCE, nonce=TERM_NONCE)
    offer = build_frame(SYN, TERM, 0, 0, 0, offer=V2)
    flip = bytearray(f2)
    flip[4] ^= 0x10                      # inside "two": CRC fails
    zero = bytearray(f1)
    zero[6] = 0                          # a byte turned into 0x00: splits the frame in two
    noise = bytes(range(0x80, 0xA0))
    return [
        ("three frames, leading delimiter, empty frames between", [
            (b"\x00", False), (f1, True), (b"\x00\x00", False), (f2, True), (f3, True)]),
        ("noise before, between and after", [
            (noise, False), (b"\x00", False), (f1, True), (b"\x07\x01\x02\x00", False), (f2, True),
            (noise[:5], False)]),
        ("bit flip and a byte turned into 0x00", [
            (bytes(flip), False), (f3, True), (bytes(zero), False), (f1, True)]),
        ("truncated frame ended by the next sender's leading 0x00", [
            (f2[:9], False), (b"\x00", False), (f3, True)]),
        ("truncated frame with no delimiter swallows the next frame", [
            (f2[:9], False), (f3, False), (syn, True)]),
        ("duplicated frames are all yielded (the ARQ drops repeats)", [
            (f1, True), (f1, True), (f2, True), (f2, True), (f1, True)]),
        ("overlong run without 0x00 is skipped up to the next 0x00", [
            (b"\x33" * 2100, False), (b"\x00", False), (syn, True), (f3, True)]),
        ("a version 2 end's SYN round: version 2 SYN, then the version 1 offer", [
            (b"\x00", False), (syn2, True), (offer, True)]),
    ]


def streams():
    out = []
    for name, pieces in stream_cases():
        data = b"".join(p for p, _ in pieces)
        d = Deframer()
        got = d.feed(data)
        want = [parse_frame(cobs.decode(p[:-1])) for p, intact in pieces if intact]
        assert got == want, name
        out.append({"name": name, "hex": data.hex(),
                    "frames": [fields_of(f) for f in got],
                    "stats": dict(sorted(d.stats.items()))})
    return out


# PROTOCOL.md §6.4: (name, terminal's nonce, hub's nonce); None: a version 1 end.
PAIRINGS = (
    ("version 1 terminal, version 1 hub", None, None),
    ("version 2 terminal, version 2 hub", TERM_NONCE, HUB_NONCE),
    ("version 1 terminal, version 2 hub", None, HUB_NONCE),
    ("version 2 terminal, version 1 hub", TERM_NONCE, None),
)


def transcript(t_nonce, h_nonce, rounds=3):
    """Both ends start at once; each round, each end's batch (one outgoing()
    call) is read by the other. -> ([(terminal batch, hub batch)], t, h)."""
    t, h = Link(TERM, nonce=t_nonce), Link(HUB, nonce=h_nonce)
    t.start(0)
    h.start(0)
    out = []
    for now in range(1, rounds + 1):
        a, b = t.outgoing(), h.outgoing()
        out.append((a, b))
        h.receive(a, now)
        t.receive(b, now)
    return out, t, h


def link_transcripts():
    out = []
    for name, tn, hn in PAIRINGS:
        batches, t, h = transcript(tn, hn)
        assert t.connected and h.connected and t.version == h.version == (2 if tn and hn else 1)
        out.append({"name": name, "version": t.version,
                    "terminal": {"incarnation": TERM, "nonce": tn.hex() if tn else None},
                    "hub": {"incarnation": HUB, "nonce": hn.hex() if hn else None},
                    "rounds": [{"terminal": a.hex(), "hub": b.hex()} for a, b in batches]})
    return out


def link_vectors(sealed):
    """`sealed`: the handshake's sealed packets (vectors_gen.handshake()["sealed"])."""
    return {"frames": good_frames(sealed), "bad_frames": bad_frames(), "streams": streams(),
            "link_transcripts": link_transcripts()}
