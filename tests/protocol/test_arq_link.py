"""The Go-Back-N link set up and torn down, frame by frame: construction
and sending limits, the SYN/SYNACK handshake, and what an end does when its
peer reboots (a new incarnation)."""

import pytest

from protocol.arq import Link
from protocol.framing import DATA, ACK, SYN, SYNACK, build_frame

from tests.support.arq import A, B, frames_of, types, exchange, connected_pair


# -- construction and sending -----------------------------------------------

@pytest.mark.parametrize("args,kw", [
    ((0,), {}), ((0x10000,), {}), ((True,), {}), ((1.0,), {}),
    ((1,), {"window": 0}), ((1,), {"window": 128}), ((1,), {"rto_ms": 0}),
    ((1,), {"max_queue": 0}), ((1,), {"max_payload": 2049}),
    ((1,), {"rto_ms": 100, "rto_max_ms": 99}), ((1,), {"rto_max_ms": 1.5}),
])
def test_constructor_refuses_bad_settings(args, kw):
    with pytest.raises(ValueError):
        Link(*args, **kw)


def test_rto_for_covers_a_window_of_largest_frames_each_way():
    from protocol.arq import rto_for
    from protocol.framing import max_wire_len
    for baud in (9600, 19200, 57600, 115200, 921600):
        for window, payload in ((8, 2048), (1, 2048), (8, 256), (4, 0)):
            rto = rto_for(baud, window, payload)
            both_ways_ms = 2 * window * max_wire_len(payload) * 10 * 1000 / baud
            assert both_ways_ms * 1.2 + 100 <= rto <= both_ways_ms * 1.3 + 101
            Link(1, window=window, rto_ms=rto, max_payload=payload)
    assert rto_for(9600) > 2 * 2200 * 8 and rto_for(115200) > 2 * 1400   # the old 250 ms did not
    assert rto_for(115200) == 3700 and rto_for(9600) == 43287           # as PROTOCOL.md 6.4 says
    for bad in ((0,), (9600.0,), (9600, 0), (9600, 128), (9600, 8, 2049)):
        with pytest.raises(ValueError):
            rto_for(*bad)


def test_send_refuses_oversize_and_takes_any_bytes_like():
    a = Link(A, max_payload=10)
    with pytest.raises(ValueError):
        a.send(b"x" * 11)
    assert a.send(bytearray(b"x" * 10)) and a.send(memoryview(b"yz"))
    assert a.pending == 2


def test_queue_full_is_back_pressure():
    a, b = Link(A, max_queue=3), Link(B)
    assert [a.send(b"m%d" % i) for i in range(5)] == [True, True, True, False, False]
    assert a.pending == 3
    assert types(a.outgoing()) == []          # nothing goes before the link is up
    a.start(0)
    exchange(a, b)
    assert b.take_delivered() == [b"m0", b"m1", b"m2"]
    assert a.pending == 0 and a.send(b"m3")


# -- handshake -----------------------------------------------------------------

def test_handshake_frames():
    a, b = Link(A), Link(B)
    a.start(0)
    out = a.outgoing()
    assert out[0] == 0                         # a delimiter first cuts off line noise
    (syn,) = frames_of(out)
    assert (syn.ftype, syn.src, syn.dst) == (SYN, A, 0)
    b.receive(out, 5)                          # b never called start(): it answers anyway
    synack, syn_b = frames_of(b.outgoing())
    assert (synack.ftype, synack.src, synack.dst) == (SYNACK, B, A)
    assert (syn_b.ftype, syn_b.src, syn_b.dst) == (SYN, B, A)
    assert not b.connected                     # a has not shown yet that it knows b
    a.receive(synack.wire() + syn_b.wire(), 6)
    assert a.connected and a.take_events() == [("up", B)]
    out = a.outgoing()
    assert types(out) == [SYNACK]
    b.receive(out, 7)
    assert b.connected and b.take_events() == [("up", A)]
    assert a.stats["peer_resets"] == b.stats["peer_resets"] == 0


def test_simultaneous_start_answers_a_syn_with_synack_and_syn_at_once():
    a, b = Link(A), Link(B)
    a.start(0)
    b.start(0)
    syn_a, syn_b = a.outgoing(), b.outgoing()
    a.receive(syn_b, 1)
    assert [(f.ftype, f.dst) for f in frames_of(a.outgoing())] == [(SYNACK, B), (SYN, B)]
    b.receive(syn_a, 1)
    exchange(a, b, 2)
    assert a.connected and b.connected


def test_syn_is_retried_every_rto_until_answered():
    a = Link(A, rto_ms=100)
    a.start(1000)
    assert types(a.outgoing()) == [SYN]
    assert a.next_timeout(1000) == 100 and a.next_timeout(1040) == 60
    a.poll(1099)
    assert a.outgoing() == b""
    for t in (1100, 1200, 1300):
        assert a.next_timeout(t) == 0
        a.poll(t)
        assert types(a.outgoing()) == [SYN]
    assert a.stats["syns_sent"] == 4
    a.receive(build_frame(SYNACK, B, A, 0, 0), 1301)
    assert a.connected and a.next_timeout(1301) is None
    a.poll(5000)
    assert a.outgoing() == b""


def test_a_synack_for_another_incarnation_is_stale():
    a = Link(A)
    a.start(0)
    a.outgoing()
    a.receive(build_frame(SYNACK, B, 0x4444, 0, 0), 1000)
    assert not a.connected and a.stats["stale"] == 1 and a.peer == 0


def test_duplicate_syn_and_synack_from_the_known_peer_reset_nothing():
    a, b = connected_pair()
    for i in range(3):
        a.send(b"m%d" % i)
    exchange(a, b)
    a.send(b"m3")                              # in flight, unacked
    flight = a.outgoing()
    # (A SYN with dst 0 would say b rebooted: see the same-incarnation tests.)
    a.receive(build_frame(SYN, B, A, 0, 0) + build_frame(SYNACK, B, A, 0, 0), 10)
    assert types(a.outgoing()) == [SYNACK]
    assert a.take_events() == [] and a.connected and a.pending == 1
    b.receive(build_frame(SYN, A, B, 0, 0), 10)
    b.outgoing()
    b.receive(flight, 11)                      # seq 3 is still what b expects
    assert b.take_delivered() == [b"m0", b"m1", b"m2", b"m3"]
    assert b.take_events() == []

# -- incarnations --------------------------------------------------------------

def test_stale_frames_are_dropped_and_answered_with_a_rate_limited_syn():
    a, b = connected_pair(rto_ms=100)
    b.receive(build_frame(DATA, A, 0x7777, 0, 0, b"for my last boot"), 1000)
    assert types(b.outgoing()) == [SYN]
    b.receive(build_frame(ACK, 0x5555, B, 0, 0), 1050)      # unknown src, within rto
    assert b.outgoing() == b""
    b.receive(build_frame(DATA, 0x5555, B, 0, 0, b"?"), 1100)
    syn = frames_of(b.outgoing())
    assert [(f.ftype, f.src, f.dst) for f in syn] == [(SYN, B, A)]
    assert b.take_delivered() == [] and b.stats["stale"] == 3
    assert b.connected and b.take_events() == []


def test_receiver_reboot_resends_unacked_from_seq_0():
    a, b = connected_pair()
    for i in range(6):
        a.send(b"m%d" % i)
    b.send(b"from b")
    exchange(a, b)
    assert a.take_delivered() == [b"from b"]
    assert b.take_delivered() == [b"m%d" % i for i in range(6)]
    for i in range(6, 10):
        a.send(b"m%d" % i)
    b.receive(a.outgoing(), 10)                 # b delivers m6..m9, its ack is lost
    assert len(b.take_delivered()) == 4
    b.outgoing()
    b2 = Link(0x3333)                           # b reboots
    b2.start(20)
    a.poll(20)
    a.receive(b2.outgoing(), 21)
    assert a.take_events() == [("peer_reset", 0x3333)] and not a.connected
    out = a.outgoing()
    assert types(out) == [SYNACK, SYN]          # no data before b2 proves it knows a
    b2.receive(out, 22)
    assert b2.connected and b2.take_events() == [("up", A)]
    a.receive(b2.outgoing(), 23)
    assert a.connected and a.take_events() == [("up", 0x3333)]
    data = [f for f in frames_of(a.outgoing()) if f.ftype == DATA]
    assert [(f.seq, f.payload, f.dst) for f in data] == \
        [(i, b"m%d" % (i + 6), 0x3333) for i in range(4)]
    b2.receive(b"".join(f.wire() for f in data), 24)
    assert b2.take_delivered() == [b"m6", b"m7", b"m8", b"m9"]   # again: at least once
    a.receive(b2.outgoing(), 25)
    assert a.pending == 0 and a.stats["peer_resets"] == 1
    # And a takes b2's numbering from 0.
    b2.send(b"hello from b2")
    a.receive(b2.outgoing(), 26)
    assert a.take_delivered() == [b"hello from b2"]


def test_sender_reboot_new_incarnation_is_delivered_exactly_once():
    a, b = connected_pair()
    a.send(b"old0")
    a.send(b"old1")
    lost = a.outgoing()
    a2 = Link(0x4444)                           # a reboots before anything got through
    a2.start(100)
    a2.send(b"new0")
    a2.send(b"new1")
    b.receive(lost[:9], 101)                    # part of a frame from the old boot
    b.receive(a2.outgoing(), 102)               # a2's leading delimiter saves its SYN
    assert b.take_events() == [("peer_reset", 0x4444)]
    exchange(a2, b, 103)
    assert b.take_delivered() == [b"new0", b"new1"]
    assert a2.take_events() == [("up", B)] and b.take_events() == [("up", 0x4444)]
    b.receive(lost, 104)                        # the old boot's frames, late: stale
    assert b.take_delivered() == [] and b.stats["stale"] >= 1


# -- a reboot that picks the same incarnation again ------------------------------

def test_a_peer_rebooted_with_the_same_incarnation_is_a_reset_not_a_jam():
    """1 in 65535 reboots picks the old incarnation: its SYN says dst 0 (it
    does not know us), which the known peer must take as a reboot. Before,
    the peer kept expecting seq 5 and dropped the new boot's seq 0 forever."""
    a, b = connected_pair()
    for i in range(5):
        b.send(b"old%d" % i)
        a.send(b"a%d" % i)
    exchange(a, b, 10)
    assert a.take_delivered() == [b"old%d" % i for i in range(5)]
    b.take_delivered()
    a.send(b"a5")                               # in flight when b reboots: never acked
    a.outgoing()
    b2 = Link(B)                                # b reboots, same incarnation
    b2.start(100)
    b2.send(b"new0")
    b2.send(b"new1")
    a.receive(b2.outgoing(), 101)
    assert a.take_events() == [("peer_reset", B)] and not a.connected
    exchange(a, b2, 102)
    assert a.connected and b2.connected
    assert a.take_events() == [("up", B)] and b2.take_events() == [("up", A)]
    assert a.take_delivered() == [b"new0", b"new1"]
    assert b2.take_delivered() == [b"a5"]       # what b's old boot never acked
    assert a.stats["duplicates"] == 0 and a.stats["peer_resets"] == 1 and a.pending == 0


def test_a_repeated_boot_syn_before_the_peer_proved_itself_resets_once():
    """A line that delivers the boot SYN twice must not reset twice: until the
    peer has shown it knows us, its SYN with dst 0 is the same boot's."""
    a, b = Link(A), Link(B)
    b.start(0)
    syn = b.outgoing()
    a.receive(syn + syn, 1)
    assert a.take_events() == [] and a.stats["peer_resets"] == 0
    exchange(a, b, 2)
    assert a.connected and b.connected and a.take_events() == [("up", B)]
    a.send(b"x")
    exchange(a, b, 3)
    assert b.take_delivered() == [b"x"]


def test_next_incarnation_never_repeats_the_last_boot_and_is_never_0():
    from protocol.arq import next_incarnation
    for boot in range(0, 600, 7):
        prev = {next_incarnation(boot - 1, r) for r in range(0, 0x10000, 251)} if boot else set()
        for r in (0, 1, 0xFF, 0x100, 0xFFFF, boot * 977 & 0xFFFF):
            inc = next_incarnation(boot, r)
            assert 0 < inc <= 0xFFFF and inc not in prev
            Link(inc)                            # a valid incarnation
    assert len({next_incarnation(3, r) for r in range(256)}) == 256   # still random
    for bad in ((-1, 0), (0, -1), (0, 0x10000), (True, 0), (1.0, 0)):
        with pytest.raises(ValueError):
            next_incarnation(*bad)
