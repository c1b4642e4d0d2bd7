"""The Go-Back-N link against anything the line can do: a fuzzer that
throws arbitrary input at one end, and simulated lossy lines between two ends
(loss, duplication, delay, corruption, reboots) where every delivery is
checked against the stated guarantee: exactly once, in order. The ends speak
link version 1 or 2 in every pairing, and a reboot may change the version
(PROTOCOL.md §6.4): two version 2 ends must end on version 2, any other
pair on version 1."""

import math

import pytest

from hypothesis import given, settings, strategies as st, HealthCheck

from protocol.arq import Link
from protocol.framing import DATA, ACK, SYN, SYNACK, V1, V2, build_frame

from tests.support.arq import A, B, frames_of, connected_pair

from tests.support import linksim


# -- fuzzing one end -------------------------------------------------------------

PEERS = [0, A, B, 0x3333]
NONCES = [b"\x01\x02\x03\x04", b"\xff\x00\xff\x00"]   # the first is the fuzzed end's


@st.composite
def link_inputs(draw):
    kind = draw(st.sampled_from(["frame", "frame", "frame", "noise", "send", "poll", "drain"]))
    if kind == "frame":
        t = draw(st.sampled_from([DATA, ACK, SYN, SYNACK]))
        v = draw(st.sampled_from([V1, V2]))
        src = draw(st.sampled_from([A, 0x3333, 0xFFFF]))
        dst = draw(st.sampled_from(PEERS))
        seq = draw(st.integers(0, 255)) if t == DATA else 0
        ack = draw(st.integers(0, 255)) if t in (DATA, ACK) else 0
        p = draw(st.binary(max_size=40)) if t == DATA else b""
        offer, echo, nonce = 0, None, None
        if v == V2:                          # echo: ours, another, none; the sender's nonce
            echo = draw(st.sampled_from(NONCES + [bytes(4)]))
            if t in (SYN, SYNACK):
                nonce = draw(st.sampled_from(NONCES))
        elif t in (SYN, SYNACK):
            offer = draw(st.sampled_from([0, 2]))
        w = build_frame(t, src, dst, seq, ack, p, version=v, offer=offer, echo=echo, nonce=nonce)
        if draw(st.booleans()):
            w = w[:draw(st.integers(0, len(w)))] + draw(st.binary(max_size=3))
        return ("rx", w)
    if kind == "noise":
        return ("rx", draw(st.binary(max_size=200)))
    if kind == "send":
        return ("send", draw(st.binary(max_size=64)))
    return (kind, None)


@given(st.lists(st.tuples(link_inputs(), st.integers(0, 400)), max_size=80),
       st.sampled_from([1, 4, 127]), st.booleans(), st.sampled_from([None, NONCES[0]]))
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_link_takes_anything_without_raising_and_keeps_its_bounds(ops, window, started, nonce):
    link = Link(B, window=window, rto_ms=100, max_queue=8, nonce=nonce)
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
        assert t is None or 0 <= t <= link.rto_max_ms      # backed off at most to the cap
        for ev in link.take_events():
            assert ev[0] in ("up", "peer_reset") and ev[1] in (A, 0x3333, 0xFFFF)
        assert link.version in ((0, 1) if nonce is None else (0, 1, 2))
    out = frames_of(link.outgoing())
    if nonce is None:
        assert all(f.version == V1 and not f.offer for f in out)   # what version 1 wrote


# -- two ends over a simulated bad line ---------------------------------------------

RATES = st.sampled_from([0, 10, 50, 100, 150, 250])


VERSIONS = st.sampled_from([(1, 1), (2, 2), (1, 2), (2, 1)])


@st.composite
def line_settings(draw, n_max=80, reboots=0, versions=VERSIONS):
    faults = {k: draw(RATES) for k in linksim.NO_FAULTS}
    lat_max = draw(st.sampled_from([1, 10, 40]))
    kw = {"window": draw(st.sampled_from([1, 3, 8, 127])),
          "rto_ms": draw(st.sampled_from([30, 100, 250])),
          "max_queue": draw(st.sampled_from([2, 16, 64]))}
    # Mostly a bad line for a while (0: clean from the start).
    clean_at = draw(st.sampled_from([0, 1500, 3000, 6000]))
    rb = []
    for _ in range(reboots):
        # The new boot may run other firmware: link version 1 or 2.
        rb.append((draw(st.integers(0, max(clean_at, 2000))), draw(st.integers(0, 1)),
                   draw(st.sampled_from([1, 2]))))
    return dict(seed=draw(st.integers(0, 2 ** 32 - 1)), versions=draw(versions),
                n_msgs=draw(st.one_of(st.integers(1, n_max), st.just(n_max))),
                faults=faults, clean_at=clean_at, reboots=rb, lat_max=lat_max, link_kw=kw,
                span=draw(st.sampled_from([0, 1500, 3000])), big=draw(st.sampled_from([0, 50])))


def run_and_check(p):
    sim = linksim.Sim(**p)
    kw = p["link_kw"]
    # After the line is clean and nothing more happens, the link waits out a
    # backed-off timer (at most the cap), needs a few handshake/retransmission
    # rounds, then one round trip per window.
    t0 = max([p["clean_at"], p["span"]] + [rb[0] for rb in p["reboots"]])
    rtt = 2 * p["lat_max"] + 2
    window = min(kw["window"], kw["max_queue"])
    bound = 16 * kw["rto_ms"] + 4 * (kw["rto_ms"] + rtt) + math.ceil((p["n_msgs"] + 3) / window) * rtt
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


@st.composite
def spaced_reboots(draw):
    """Two reboots while messages flow, each well after the last handshake
    settled and with the boot SYN not lost: a same-incarnation reboot whose
    boot SYN is lost while a SYN of the peer to the previous boot is in
    flight is the known limit of PROTOCOL.md 6.5 (the fixed-seed test and
    mp_link cover same-incarnation reboots on a lossy line)."""
    p = draw(line_settings())
    first = p["clean_at"] + draw(st.integers(300, 1500))
    second = first + draw(st.integers(700, 1500))
    p["reboots"] = [(first, draw(st.integers(0, 1))), (second, draw(st.integers(0, 1)))]
    p["link_kw"]["rto_ms"] = min(p["link_kw"]["rto_ms"], 100)
    p["span"] = second + 500
    return p


@given(spaced_reboots())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_reboots_that_keep_the_incarnation_do_not_jam_the_link(p):
    """The rebooted end's boot SYN (dst 0) tells the peer it restarted; before,
    the peer kept the old numbering and the run never finished. (Each end
    keeps its version: reboots are (time, end).)"""
    p["reboots"] = [rb[:2] for rb in p["reboots"]]
    sim, finish, dups = run_and_check(dict(p, same_inc=True))
    for k, node in enumerate(sim.nodes):
        assert len(set(node.incs)) == 1
        # Each reboot the peer noticed is one reset (a reboot before the first
        # handshake finished may go unnoticed: nothing was numbered yet).
        assert sim.nodes[1 - k].link.stats["peer_resets"] <= len(node.incs) - 1


@given(line_settings(reboots=3, versions=st.just((2, 2))))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_version_2_ends_that_keep_their_incarnation_keep_the_guarantees_whenever_they_reboot(p):
    """Link version 2 (PROTOCOL.md §6.5 closed): the boot nonce tells the
    boots apart, so reboots that repeat the incarnation may come at any time
    on a lossy line (a boot SYN lost, a SYN or SYNACK for the previous boot
    in flight): still exactly once per pair of boots, in order, never jammed."""
    p["reboots"] = [rb[:2] + (2,) for rb in p["reboots"]]
    sim, finish, dups = run_and_check(dict(p, same_inc=True))
    for k, node in enumerate(sim.nodes):
        assert len(set(node.incs)) == 1 and set(node.versions) == {2}
        assert sim.nodes[1 - k].link.stats["peer_resets"] <= len(node.incs) - 1


# (seed, reboots) a search found where two version 1 ends that keep their
# incarnation lose, repeat or jam: a SYN/SYNACK or the old numbering's frames
# for the previous boot taken by the new one (PROTOCOL.md 6.5).
V1_HOLES = [
    (799277, [(686, 1), (1526, 0), (1756, 0), (2215, 1)]),
    (91353, [(102, 0), (1142, 1), (1251, 1), (1669, 0)]),
    (809752, [(470, 1), (509, 0), (1851, 1), (2175, 0)]),
    (225012, [(209, 1), (1108, 1), (1757, 1), (1868, 1)]),
    (271903, [(256, 0), (490, 0), (1031, 1), (1715, 1)]),
]


def hole_run(seed, reboots, version):
    f = {"loss": 150, "flip": 50, "cut": 50, "garbage": 50, "dup": 100}
    sim = linksim.Sim(seed, n_msgs=40, faults=f, clean_at=2500, span=2500, versions=(version, version),
                      reboots=reboots, same_inc=True, link_kw={"rto_ms": 100})
    sim.run(2500 + 16 * 100 + 4 * 200 + 2000)
    sim.check()
    return sim


@pytest.mark.parametrize("seed,reboots", V1_HOLES)
def test_version_2_survives_the_reboots_that_break_version_1(seed, reboots):
    with pytest.raises(AssertionError):
        hole_run(seed, reboots, 1)
    sim = hole_run(seed, reboots, 2)
    assert all(n.link.version == 2 for n in sim.nodes)


def test_same_incarnation_reboot_mid_stream_is_delivered():
    f = {"loss": 30, "flip": 30, "cut": 30, "garbage": 30, "dup": 30}
    sim = linksim.Sim(99, n_msgs=100, faults=f, clean_at=3000, span=2500,
                      reboots=[(1200, 1), (1900, 0)], same_inc=True)
    sim.run(30000)
    sim.check()
    a, b = sim.nodes
    assert a.incs == [a.incs[0]] * 2 and b.incs == [b.incs[0]] * 2
    # Each saw the other's reboot once (a's stats are its second boot's).
    assert ("peer_reset", b.incs[0]) in [ev for own, ev in a.events if own == 0]
    assert b.link.stats["peer_resets"] == 1


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


# -- retransmission backoff ----------------------------------------------------------

def retransmit_times(link_kw, minute=60000):
    """A pair with 8 messages in flight when B powers off: -> the times A
    went back N during the next simulated minute."""
    sim = linksim.Sim(5, n_msgs=8, span=0, lat_max=5, link_kw=link_kw)
    a, b = sim.nodes
    sim.advance(50)
    assert a.link.connected and b.link.connected and b.rx_set
    b.dead = True
    a.plan = [[60, 1000000 + k, 40] for k in range(8)]
    sim.advance(61)
    assert a.link.pending == 8
    times, last = [], 0
    while sim.now < 60 + minute:
        sim.advance(sim.now + 1)
        if a.link.stats["retransmits"] != last:
            last = a.link.stats["retransmits"]
            times.append(sim.now)
    return times, a


def test_a_dead_peer_is_not_hammered_the_timer_backs_off_to_its_cap():
    times, a = retransmit_times({"rto_ms": 250})
    gaps = [t1 - t0 for t0, t1 in zip(times, times[1:])]
    assert gaps[:4] == [500, 1000, 2000, 4000]           # doubling from rto_ms ...
    assert set(gaps[4:]) == {4000}                       # ... up to 16 x rto_ms
    # Without backoff: 240 rounds of 8 frames a minute; with it, 18.
    assert len(times) <= 20 and a.link.stats["retransmits"] == 8 * len(times)


def test_backoff_cap_is_settable_and_progress_resets_the_timer():
    times, _a = retransmit_times({"rto_ms": 100, "rto_max_ms": 300}, minute=3000)
    assert [t1 - t0 for t0, t1 in zip(times, times[1:])][:4] == [200, 300, 300, 300]
    a, b = connected_pair(rto_ms=100)
    a.send(b"m0")
    a.outgoing()                                         # lost
    a.poll(0)
    for t in (100, 300, 700):                            # 100, then 200, then 400
        assert a.next_timeout(t) == 0
        a.poll(t)
    assert a.next_timeout(700) == 800
    b.receive(a.outgoing(), 701)                         # the last copy gets through
    a.receive(b.outgoing(), 702)
    assert a.pending == 0
    a.send(b"m1")
    a.outgoing()
    a.poll(703)
    assert a.next_timeout(703) == 100                    # progress: back to rto_ms
