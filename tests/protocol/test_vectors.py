"""The committed test vectors agree with the code, on CPython and MicroPython."""

import json
import os

import pytest

from tests.protocol import mp_vectors, vectors_gen

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = vectors_gen.OUT


def test_committed_vectors_match_the_generator():
    with open(VECTORS, encoding="utf-8") as f:
        committed = json.load(f)
    assert committed == json.loads(json.dumps(vectors_gen.build(), ensure_ascii=False)), \
        "protocol/vectors.json is stale: run python -m tests.protocol.vectors_gen and review the diff"


def test_vectors_cover_every_message_type_and_bad_cases():
    with open(VECTORS, encoding="utf-8") as f:
        v = json.load(f)
    from protocol.catalogue import MESSAGES
    assert {c["message"]["t"] for c in v["messages"]} >= set(MESSAGES) - {"chal", "auth"}
    assert len(v["bad_messages"]) >= 15
    # Each bad vector says the direction to read it in (PROTOCOL.md §10), and
    # none is about the direction: read that way, the error is its own.
    assert all(c["direction"] in ("up", "down") for c in v["bad_messages"])
    assert not [c["name"] for c in v["bad_messages"] if c["error"]["code"] == "wrong_direction"]
    assert any(c["error"]["text"].startswith("message nests") for c in v["bad_messages"])


def test_v2_vectors_show_counters_and_the_replays_refused():
    with open(VECTORS, encoding="utf-8") as f:
        h = json.load(f)["handshake_v2"]
    assert h["version"] == 2
    # The counter of each sealed packet (§5.5), per direction from 1; the auth was the terminal's 1.
    ctrs = [(c["from"], int(bytes.fromhex(c["hex"])[-24:-16], 16)) for c in h["sealed"]]
    assert ctrs == [("hub", 1), ("terminal", 2), ("hub", 2), ("hub", 3), ("terminal", 3)]
    assert {c["code"] for c in h["refused"]} == {"replayed", "bad_seal"}


def test_vectors_pass_on_cpython():
    assert mp_vectors.main(VECTORS) > 40


def test_vectors_pass_on_micropython(micropython):
    from simulator.mpy import protocol_mounts
    out = micropython(os.path.join(HERE, "mp_vectors.py"), mounts=protocol_mounts(),
                      args=["/lib/protocol/vectors.json"])
    assert "0 failed" in out and " passed" in out
    # The same number of checks as on CPython: the link vectors ran there too.
    import contextlib
    import io
    with contextlib.redirect_stdout(io.StringIO()):
        n = mp_vectors.main(VECTORS)
    assert "vectors: %d passed, 0 failed" % n in out


def _link():
    with open(VECTORS, encoding="utf-8") as f:
        return json.load(f)


def test_link_vectors_cover_every_frame_type_and_error_kind():
    from protocol.framing import TYPE_NAMES, KINDS, MAX_PAYLOAD
    v = _link()
    assert {f["type"] for f in v["frames"]} == set(TYPE_NAMES.values())
    payloads = [bytes.fromhex(f["payload"]) for f in v["frames"]]
    assert any(b"\x00" in p for p in payloads)
    assert max(len(p) for p in payloads) == MAX_PAYLOAD
    assert {b["kind"] for b in v["bad_frames"]} == set(KINDS) | {"bad_cobs"}
    assert len(v["streams"]) >= 5
    seen = set()
    for s in v["streams"]:
        seen |= {k for k in ("bad_cobs", "bad_crc", "bad_header", "oversize") if s["stats"][k]}
    assert seen == {"bad_cobs", "bad_crc", "bad_header", "oversize"}


def test_frame_vectors_follow_the_documented_layout():
    # Independent of protocol/framing.py: the layout of PROTOCOL.md §6, read with zlib and struct.
    import struct
    import zlib
    v = _link()
    for f in v["frames"]:
        wire, raw = bytes.fromhex(f["wire"]), bytes.fromhex(f["frame"])
        assert wire.endswith(b"\x00") and wire.count(0) == 1
        assert len(wire) - 1 <= len(raw) + len(raw) // 254 + 1
        vt, src, dst, seq, ack = struct.unpack(">BHHBB", raw[:7])
        assert vt >> 4 == f["version"] in (1, 2)
        assert ["DATA", "ACK", "SYN", "SYNACK"][(vt & 15) - 1] == f["type"]
        assert (src, dst) == (f["src"], f["dst"])
        control = f["type"] in ("SYN", "SYNACK")
        if f.get("encode", True):
            # A version 1 SYN/SYNACK's seq byte is the offer; it is 0 elsewhere.
            assert (seq, ack) == ((f["offer"] if control else f["seq"]), f["ack"])
        head = 7
        if f["version"] == 2:                                   # echo, then a SYN/SYNACK's nonce
            assert raw[7:11].hex() == f["echo"]
            head = 11
            if control:
                assert len(raw) == 19 and raw[11:15].hex() == f["nonce"] and raw[11:15] != bytes(4)
                head = 15
        assert raw[head:-4].hex() == f["payload"]
        assert raw[-4:] == struct.pack(">I", zlib.crc32(raw[:-4]))
    for b in v["bad_frames"]:
        if b["kind"] == "bad_crc":
            raw = bytes.fromhex(b["frame"])
            assert raw[-4:] != struct.pack(">I", zlib.crc32(raw[:-4]))


def test_link_vectors_check_counts_every_case():
    from tests.protocol import link_vectors_check
    v = _link()
    n = link_vectors_check.check(v)
    assert n == len(v["frames"]) + len(v["bad_frames"]) + len(v["streams"]) * len(link_vectors_check._CHUNKS) \
        + len(v["link_transcripts"])


def test_link_vectors_cover_both_versions_and_every_pairing():
    v = _link()
    assert {(f["version"], f["type"]) for f in v["frames"]} >= {(2, t) for t in ("DATA", "ACK", "SYN", "SYNACK")}
    assert any(f["version"] == 1 and f["offer"] == 2 for f in v["frames"])
    pairs = {(t["terminal"]["nonce"] is not None, t["hub"]["nonce"] is not None): t["version"]
             for t in v["link_transcripts"]}
    assert pairs == {(False, False): 1, (True, True): 2, (False, True): 1, (True, False): 1}
