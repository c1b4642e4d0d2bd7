"""The Go-Back-N link: unit behaviour frame by frame, a fuzzer that throws
anything at one end, and simulated lossy lines between two ends (with
reboots) where every delivery is checked against the stated guarantee."""

import math
import os
import sys

import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

from protocol.arq import Link
from protocol.framing import DATA, ACK, SYN, SYNACK, Deframer, build_frame, max_wire_len

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "micropython"))
import linksim  # noqa: E402

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


def connected_pair(**kw):
    a, b = Link(A, **kw), Link(B, **kw)
    a.start(0)
    b.start(0)
    exchange(a, b)
    assert a.connected and b.connected
    assert a.take_events() == [("up", B)] and b.take_events() == [("up", A)]
    return a, b


# -- construction and sending -----------------------------------------------

@pytest.mark.parametrize("args,kw", [
    ((0,), {}), ((0x10000,), {}), ((True,), {}), ((1.0,), {}),
    ((1,), {"window": 0}), ((1,), {"window": 128}), ((1,), {"rto_ms": 0}),
    ((1,), {"max_queue": 0}), ((1,), {"max_payload": 2049}),
])
def test_constructor_refuses_bad_settings(args, kw):
    with pytest.raises(ValueError):
        Link(*args, **kw)


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
    a.receive(build_frame(SYN, B, A, 0, 0) + build_frame(SYN, B, 0, 0, 0)
              + build_frame(SYNACK, B, A, 0, 0), 10)
    assert types(a.outgoing()) == [SYNACK, SYNACK]
    assert a.take_events() == [] and a.connected and a.pending == 1
    b.receive(build_frame(SYN, A, B, 0, 0), 10)
    b.outgoing()
    b.receive(flight, 11)                      # seq 3 is still what b expects
    assert b.take_delivered() == [b"m0", b"m1", b"m2", b"m3"]
    assert b.take_events() == []


# -- data, acks, retransmission ----------------------------------------------

def test_in_order_delivery_and_sequence_wraparound():
    a, b = connected_pair(window=127, max_queue=200)
    sent, got = [], []
    seqs = set()
    for i in range(1000):
        m = (b"%d" % i) * (i % 7)
        sent.append(m)
        assert a.send(m)
        if i % 150 == 149:
            out = a.outgoing()
            seqs.update(f.seq for f in frames_of(out) if f.ftype == DATA)
            b.receive(out, i)
            exchange(a, b, i)
            got += b.take_delivered()
    exchange(a, b, 2000)
    got += b.take_delivered()
    assert got == sent[:len(got)] and len(got) == 1000
    assert seqs == set(range(256))
    assert a.stats["retransmits"] == 0 and b.stats["duplicates"] == 0


def test_window_limits_frames_in_flight_and_acks_open_it():
    a, b = connected_pair(window=3)
    for i in range(7):
        a.send(b"%d" % i)
    out = a.outgoing()
    assert [f.seq for f in frames_of(out)] == [0, 1, 2]
    b.receive(out, 1)
    (ack,) = frames_of(b.outgoing())            # one ACK for the three frames
    assert (ack.ftype, ack.ack, ack.src, ack.dst) == (ACK, 3, B, A)
    a.receive(ack.wire(), 2)
    assert [f.seq for f in frames_of(a.outgoing())] == [3, 4, 5]


def test_go_back_n_resends_everything_unacked_after_rto():
    a, b = connected_pair(rto_ms=100)
    for i in range(5):
        a.send(b"m%d" % i)
    lost = a.outgoing()                         # the line eats it
    assert a.next_timeout(50) == 100            # the timer starts at the first clock
    a.poll(149)
    assert a.outgoing() == b""
    a.poll(150)
    again = a.outgoing()
    assert [(f.seq, f.payload) for f in frames_of(again)] == \
        [(f.seq, f.payload) for f in frames_of(lost)] == [(i, b"m%d" % i) for i in range(5)]
    assert a.stats["retransmits"] == 5 and a.stats["sent"] == 5
    b.receive(again, 160)
    a.receive(b.outgoing(), 170)
    assert a.pending == 0 and a.next_timeout(170) is None
    # A partial ack restarts the timer for the rest.
    for i in range(3):
        a.send(b"n%d" % i)
    a.poll(200)
    frames = frames_of(a.outgoing())
    a.receive(build_frame(ACK, B, A, 0, frames[0].seq + 1), 280)
    assert a.pending == 2 and a.next_timeout(280) == 100
    a.poll(380)
    assert [f.payload for f in frames_of(a.outgoing())] == [b"n1", b"n2"]


def test_receiver_drops_duplicates_and_gaps_and_acks_each_time():
    a, b = connected_pair()
    d = lambda seq, p: build_frame(DATA, A, B, seq, 0, p)
    b.receive(d(0, b"x"), 1)
    assert [(f.ftype, f.ack) for f in frames_of(b.outgoing())] == [(ACK, 1)]
    b.receive(d(0, b"x"), 2)
    assert [(f.ftype, f.ack) for f in frames_of(b.outgoing())] == [(ACK, 1)]
    b.receive(d(2, b"z"), 3)
    assert [(f.ftype, f.ack) for f in frames_of(b.outgoing())] == [(ACK, 1)]
    b.receive(d(255, b"old"), 4)
    assert [(f.ftype, f.ack) for f in frames_of(b.outgoing())] == [(ACK, 1)]
    b.receive(d(1, b"y") + d(2, b"z"), 5)
    assert [(f.ftype, f.ack) for f in frames_of(b.outgoing())] == [(ACK, 3)]
    assert b.take_delivered() == [b"x", b"y", b"z"]
    s = b.stats
    assert (s["delivered"], s["duplicates"], s["out_of_order"]) == (3, 2, 1)


def test_data_piggybacks_the_ack():
    a, b = connected_pair(window=1)
    b.send(b"p0")
    b.send(b"p1")                               # waits: window 1
    a.receive(b.outgoing(), 1)
    assert [(f.ftype, f.ack) for f in frames_of(a.outgoing())] == [(ACK, 1)]   # lost
    assert a.take_delivered() == [b"p0"]
    a.send(b"ping")
    (ping,) = frames_of(a.outgoing())
    assert (ping.ftype, ping.seq, ping.ack) == (DATA, 0, 1)
    # ping acks p0, so p1 goes out in this call and carries the ack for ping:
    # no separate ACK frame.
    b.receive(ping.wire(), 2)
    assert [(f.ftype, f.seq, f.ack, f.payload) for f in frames_of(b.outgoing())] == \
        [(DATA, 1, 1, b"p1")]
    assert b.take_delivered() == [b"ping"]


def test_acks_outside_the_window_are_ignored():
    a, b = connected_pair()
    for i in range(3):
        a.send(b"%d" % i)
    a.outgoing()
    for bad in (4, 200, 255):
        a.receive(build_frame(ACK, B, A, 0, bad), 1)
        assert a.pending == 3
    a.receive(build_frame(ACK, B, A, 0, 2), 1)
    assert a.pending == 1


def test_receiver_that_is_not_drained_stops_taking_data():
    a, b = connected_pair(max_queue=4)
    for i in range(4):
        a.send(b"%d" % i)
    exchange(a, b)
    for i in range(4, 8):
        a.send(b"%d" % i)
    exchange(a, b)
    assert b.stats["rx_full"] >= 1 and a.pending == 4
    assert b.take_delivered() == [b"0", b"1", b"2", b"3"]
    a.poll(1000)
    exchange(a, b, 1000)
    assert b.take_delivered() == [b"4", b"5", b"6", b"7"] and a.pending == 0


def test_outgoing_bytes_stay_bounded_when_never_drained():
    a, b = connected_pair(window=4, rto_ms=10)
    for i in range(4):
        a.send(b"\x01" * 2048)
    for t in range(0, 2000, 10):
        a.poll(t)
    assert len(a._out) <= 4 * max_wire_len() + 256
    assert a.stats["tx_overflow"] > 0
    exchange(a, b, 3000)
    a.poll(4000)
    exchange(a, b, 4000)
    assert len(b.take_delivered()) == 4


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


# -- fuzzing one end -------------------------------------------------------------

PEERS = [0, A, B, 0x3333]


@st.composite
def link_inputs(draw):
    kind = draw(st.sampled_from(["frame", "frame", "frame", "noise", "send", "poll", "drain"]))
    if kind == "frame":
        t = draw(st.sampled_from([DATA, ACK, SYN, SYNACK]))
        src = draw(st.sampled_from([A, 0x3333, 0xFFFF]))
        dst = draw(st.sampled_from(PEERS))
        seq = draw(st.integers(0, 255)) if t == DATA else 0
        ack = draw(st.integers(0, 255)) if t in (DATA, ACK) else 0
        p = draw(st.binary(max_size=40)) if t == DATA else b""
        w = build_frame(t, src, dst, seq, ack, p)
        if draw(st.booleans()):
            w = w[:draw(st.integers(0, len(w)))] + draw(st.binary(max_size=3))
        return ("rx", w)
    if kind == "noise":
        return ("rx", draw(st.binary(max_size=200)))
    if kind == "send":
        return ("send", draw(st.binary(max_size=64)))
    return (kind, None)


@given(st.lists(st.tuples(link_inputs(), st.integers(0, 400)), max_size=80),
       st.sampled_from([1, 4, 127]), st.booleans())
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_link_takes_anything_without_raising_and_keeps_its_bounds(ops, window, started):
    link = Link(B, window=window, rto_ms=100, max_queue=8)
    now = 0
    if started:
        link.start(0)
    for (kind, arg), dt in ops:
        now += dt
        if kind == "rx":
            link.receive(arg, now)
        elif kind == "send":
            before = link.pending
            assert link.send(arg) == (before < 8)
        elif kind == "poll":
            link.poll(now)
        else:
            frames_of(link.outgoing())
            link.take_delivered()
        assert 0 <= link._nsent <= min(window, link.pending) <= 8
        assert len(link._out) <= link._out_max
        assert len(link._delivered) <= 8 and len(link._events) <= 16
        t = link.next_timeout(now)
        assert t is None or 0 <= t <= 100
        for ev in link.take_events():
            assert ev[0] in ("up", "peer_reset") and ev[1] in (A, 0x3333, 0xFFFF)
    frames_of(link.outgoing())


# -- two ends over a simulated bad line ---------------------------------------------

RATES = st.sampled_from([0, 10, 50, 100, 150, 250])


@st.composite
def line_settings(draw, n_max=80, reboots=0):
    faults = {k: draw(RATES) for k in linksim.NO_FAULTS}
    lat_max = draw(st.sampled_from([1, 10, 40]))
    kw = {"window": draw(st.sampled_from([1, 3, 8, 127])),
          "rto_ms": draw(st.sampled_from([30, 100, 250])),
          "max_queue": draw(st.sampled_from([2, 16, 64]))}
    # Mostly a bad line for a while (0: clean from the start).
    clean_at = draw(st.sampled_from([0, 1500, 3000, 6000]))
    rb = []
    for _ in range(reboots):
        rb.append((draw(st.integers(0, max(clean_at, 2000))), draw(st.integers(0, 1))))
    return dict(seed=draw(st.integers(0, 2 ** 32 - 1)),
                n_msgs=draw(st.one_of(st.integers(1, n_max), st.just(n_max))),
                faults=faults, clean_at=clean_at, reboots=rb, lat_max=lat_max, link_kw=kw,
                span=draw(st.sampled_from([0, 1500, 3000])), big=draw(st.sampled_from([0, 50])))


def run_and_check(p):
    sim = linksim.Sim(**p)
    kw = p["link_kw"]
    # After the line is clean and nothing more happens, the link needs a few
    # handshake/retransmission rounds, then one round trip per window.
    t0 = max([p["clean_at"], p["span"]] + [t for t, _ in p["reboots"]])
    rtt = 2 * p["lat_max"] + 2
    window = min(kw["window"], kw["max_queue"])
    bound = 4 * (kw["rto_ms"] + rtt) + math.ceil((p["n_msgs"] + 3) / window) * rtt
    finish = sim.run(t0 + bound)
    dups = sim.check()
    return sim, finish, dups


@given(line_settings())
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_lossy_line_delivers_exactly_once_in_order(p):
    sim, finish, dups = run_and_check(p)
    assert dups == 0
    for node in sim.nodes:
        assert node.link.stats["peer_resets"] == 0


@given(line_settings(reboots=1))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_reboot_of_either_end_keeps_the_guarantees(p):
    sim, finish, dups = run_and_check(p)
    rebooted = sim.nodes[p["reboots"][0][1]]
    assert len(rebooted.incs) == 2
    assert sim.other(rebooted).link.peer == rebooted.incs[-1]


@given(line_settings(reboots=3))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_repeated_reboots_of_both_ends_keep_the_guarantees(p):
    run_and_check(p)


@given(line_settings(n_max=1, reboots=0).map(lambda p: dict(p, n_msgs=300, span=0, big=0)))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_sequence_numbers_wrap_on_a_lossy_line(p):
    sim, finish, dups = run_and_check(p)
    assert dups == 0 and sim.nodes[1].link.stats["delivered"] == 300


def test_fixed_scenario_exercises_every_fault_and_both_reboots():
    f = {"loss": 50, "flip": 50, "cut": 50, "garbage": 50, "dup": 50}
    sim = linksim.Sim(12345, n_msgs=120, faults=f, clean_at=5000,
                      reboots=[(800, 0), (2500, 1), (2600, 0)], lat_max=20, span=4000)
    sim.run(20000)
    dups = sim.check()
    a, b = sim.nodes
    for n in sim.nodes:
        s = n.link.stats
        assert s["bad_crc"] + s["bad_cobs"] + s["bad_header"] > 0, s
    assert sum(n.link.stats["peer_resets"] for n in sim.nodes) >= 1
    assert sum(c.damaged for c in sim.chans) > 50
    assert len(a.incs) == 3 and len(b.incs) == 2
    assert dups >= 0 and a.full + b.full >= 0


def test_back_pressure_under_a_burst_on_a_lossy_line():
    f = {"loss": 100, "flip": 20, "cut": 20, "garbage": 20, "dup": 20}
    sim = linksim.Sim(7, n_msgs=200, faults=f, clean_at=3000, span=0,
                      link_kw={"window": 4, "max_queue": 4})
    sim.run(60000)
    assert sim.check() == 0
    assert sim.nodes[0].full > 0 and sim.nodes[1].full > 0
