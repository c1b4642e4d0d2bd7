"""The connection transcripts of PROTOCOL.md §6.4 are what protocol.arq.Link
writes, batch by batch (a batch: one outgoing() call), for two version 1
ends, two version 2 ends, and each mixed pairing; the same batches are the
`link_transcripts` of vectors.json."""

import os

import pytest

import protocol
from protocol.framing import TYPE_NAMES, Deframer

from tests.protocol.vectors_gen_link import PAIRINGS, transcript

SPEC = os.path.join(os.path.dirname(protocol.__file__), "PROTOCOL.md")


def spec():
    with open(SPEC, encoding="utf-8") as f:
        return f.read()


@pytest.mark.parametrize("name,t_nonce,h_nonce", PAIRINGS)
def test_the_transcript_shows_each_batch_as_the_link_writes_it(name, t_nonce, h_nonce):
    text = spec()
    rounds, t, h = transcript(t_nonce, h_nonce)
    assert t.connected and h.connected
    assert t.version == h.version == (2 if t_nonce and h_nonce else 1)
    for a, b in rounds:
        for batch in (a, b):
            assert batch[:1] == b"\x00" and batch.hex() in text, (name, batch.hex())


def kinds(batch):
    return [(TYPE_NAMES[f.ftype], f.version) for f in Deframer().feed(batch)]


def test_batches_hold_the_frames_the_transcripts_name():
    rounds, _t, _h = transcript(None, None)
    assert [kinds(a) for a, _ in rounds] == [[("SYN", 1)], [("SYNACK", 1), ("SYN", 1)], [("SYNACK", 1)]]
    assert rounds[1][0].count(0) == 3            # the batch's 0x00, then one after each frame
    rounds, _t, _h = transcript(b"\xa1\xb2\xc3\xd4", b"\x9e\x8d\x7c\x6b")
    assert [kinds(a) for a, _ in rounds] == [
        [("SYN", 2), ("SYN", 1)], [("SYNACK", 2), ("SYN", 2)], [("SYNACK", 2)]]
