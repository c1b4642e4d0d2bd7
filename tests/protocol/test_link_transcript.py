"""The connection transcript of PROTOCOL.md §6.4 is what protocol.arq.Link
writes, batch by batch (a batch: one outgoing() call)."""

import os

import protocol
from protocol.arq import Link
from protocol.framing import TYPE_NAMES, Deframer

SPEC = os.path.join(os.path.dirname(protocol.__file__), "PROTOCOL.md")


def batches():
    """Both ends start at once; each round, each end's batch is sent and read."""
    t, h = Link(0x5A17), Link(0xC3E9)
    t.start(0)
    h.start(0)
    out = []
    for now in range(1, 4):
        a, b = t.outgoing(), h.outgoing()
        out.append((a, b))
        h.receive(a, now)
        t.receive(b, now)
    assert t.connected and h.connected
    return out


def test_the_transcript_shows_each_batch_as_the_link_writes_it():
    with open(SPEC, encoding="utf-8") as f:
        spec = f.read()
    rounds = batches()
    for a, b in rounds:
        for batch in (a, b):
            assert batch[:1] == b"\x00" and batch.hex() in spec
    kinds = [[TYPE_NAMES[f.ftype] for f in Deframer().feed(a)] for a, _ in rounds]
    assert kinds == [["SYN"], ["SYNACK", "SYN"], ["SYNACK"]]
    assert rounds[1][0].count(0) == 3            # the batch's 0x00, then one after each frame
