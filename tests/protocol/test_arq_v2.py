"""Link version 2, frame by frame (PROTOCOL.md §6.4): the boot nonce that
closes the repeated-incarnation hole of version 1 (§6.5), and the offer
that lets a version 2 end meet a version 1 end on version 1 and a version 2
end on version 2, whichever starts first and whatever the line loses."""

import pytest

from protocol.arq import Link, boot_nonce
from protocol.framing import DATA, ACK, SYN, SYNACK, V1, V2, build_frame

from tests.support.arq import A, B, frames_of, exchange, end, connected_pair as pair

NA1, NA2, NB = b"\xa1\xa1\xa1\x01", b"\xa2\xa2\xa2\x02", b"\xbb\xbb\xbb\x0b"


def kinds(data):
    """-> [(type, version, offer)] of the frames in DATA."""
    return [(f.ftype, f.version, f.offer) for f in frames_of(data)]


def run(x, y, t0, t1, step=10):
    """A perfect line with timers from t0 to t1: -> (what x took, what y took)."""
    gx, gy = [], []
    for t in range(t0, t1, step):
        x.poll(t)
        y.poll(t)
        exchange(x, y, t)
        gx += x.take_delivered()
        gy += y.take_delivered()
    return gx, gy


# -- the hole of link version 1 and how version 2 closes it ---------------------

def stale_synack_reboot(old_nonce, new_nonce, b_nonce):
    """A reboots and picks its previous incarnation again. A SYNACK that B sent
    to A's previous boot, and B's DATA for that boot (seq 0: B's numbering
    had not gone past it), reach the new boot before B has seen the new
    boot's SYN (lost). -> (a2, b, what a2 took from those stale frames)."""
    a, b = pair(old_nonce, b_nonce, rto_ms=100)
    for i in range(5):
        a.send(b"a%d" % i)
    exchange(a, b, 10)
    assert b.take_delivered() == [b"a%d" % i for i in range(5)]   # B expects seq 5 from A
    b.send(b"b0")
    b.outgoing()                                    # lost: A's old boot never saw it
    b.poll(20)
    a.start(30)                                     # A's old boot resynchronises ...
    b.receive(a.outgoing(), 31)
    stale = b.outgoing()                            # ... B's SYNACK to it is in flight
    assert [f.ftype for f in frames_of(stale)] == [SYNACK]
    a2 = end(A, new_nonce, rto_ms=100)              # power cut; the same incarnation again
    a2.start(40)
    a2.outgoing()                                   # its boot SYN is lost
    a2.receive(stale, 41)
    b.poll(200)                                     # B goes back N: b0, seq 0, old numbering
    a2.receive(b.outgoing(), 201)
    return a2, b, a2.take_delivered()


def test_a_synack_for_the_previous_boot_does_not_bring_a_repeated_incarnation_up():
    a2, b, took = stale_synack_reboot(NA1, NA2, NB)
    assert not a2.connected and a2.take_events() == []
    assert took == [] and a2.stats["stale"] >= 2      # the SYNACK and the old numbering's DATA
    a2.send(b"new0")
    got_a2, got_b = run(a2, b, 210, 1000)
    # B learnt of the new boot, restarted its numbering, and each side got
    # what the other sent exactly once.
    assert a2.connected and b.connected and a2.version == b.version == 2
    assert ("peer_reset", A) in b.take_events() and b.stats["peer_resets"] == 1
    assert got_a2 == [b"b0"] and got_b == [b"new0"]
    assert a2.pending == b.pending == 0


def test_link_version_1_still_has_the_hole_so_a_version_2_end_must_not_fall_back_to_it():
    """The same run with two version 1 ends (PROTOCOL.md §6.5, what remains
    with a version 1 peer): the new boot goes up on the stale SYNACK, takes
    B's DATA of the old numbering, and B never takes the new boot's DATA."""
    a2, b, took = stale_synack_reboot(None, None, None)
    assert a2.connected and took == [b"b0"]
    a2.send(b"new0")
    got_a2, got_b = run(a2, b, 210, 3000)
    assert got_b == [] and a2.pending == 1 and b.stats["peer_resets"] == 0


def test_a_syn_for_the_previous_boot_is_no_proof_either():
    a, b = pair(NA1, NB, rto_ms=100)
    b.start(10)                                     # B resynchronises: SYN dst A, echo NA1
    old = b.outgoing()
    a2 = Link(A, rto_ms=100, nonce=NA2)
    a2.start(20)
    a2.outgoing()
    a2.receive(old, 21)
    assert not a2.connected and a2.peer == B        # B is adopted, not believed
    out = a2.outgoing()
    assert kinds(out) == [(SYNACK, V2, 0), (SYN, V2, 0)]   # and told of the new boot at once
    b.receive(out, 22)                              # the SYNACK echoes NB: B resets, is up
    assert b.take_events() == [("peer_reset", A), ("up", A)]
    exchange(a2, b, 23)
    assert a2.connected and b.connected and a2.take_events() == [("up", B)]


def test_the_peer_rebooting_with_its_incarnation_is_a_reset_at_its_first_syn():
    a, b = pair(NA1, NB)
    b.send(b"x")
    b.outgoing()                                    # in flight
    b2 = Link(B, nonce=b"\x0c\x0c\x0c\x0c")
    b2.start(5)
    a.receive(b2.outgoing(), 6)                     # SYN, same incarnation, new nonce
    assert a.take_events() == [("peer_reset", B)] and not a.connected
    exchange(a, b2, 7)
    assert a.connected and b2.connected and a.take_events() == [("up", B)]


def test_data_that_echoes_this_boot_is_proof_enough_when_the_synack_is_lost():
    a, b = Link(A, nonce=NA1, rto_ms=100), Link(B, nonce=NB, rto_ms=100)
    a.start(0)
    b.receive(a.outgoing(), 1)                      # b adopts a, answers SYNACK + SYN
    a.receive(b.outgoing(), 2)                      # a is up (echo of NA1); b is not
    a.send(b"early")
    synack, data = frames_of(a.outgoing())
    assert (synack.ftype, data.ftype, data.echo) == (SYNACK, DATA, NB)
    b.receive(data.wire(), 3)                       # the SYNACK was lost; the DATA names b's boot
    assert b.connected and b.take_delivered() == [b"early"] and b.take_events() == [("up", A)]


def test_data_and_acks_for_the_previous_boot_are_never_taken_even_after_the_proof():
    """The line may repeat a stretch of bytes after newer frames: the old
    numbering's DATA and acks name the old boot in their echo."""
    a, b = pair(NA1, NB)
    for i in range(3):
        a.send(b"a%d" % i)
    old = a.outgoing()                              # for b's first boot, never read
    b2 = Link(B, nonce=b"\x0c\x0c\x0c\x0c")       # b reboots, same incarnation
    b2.start(5)
    a.receive(b2.outgoing(), 6)
    exchange(a, b2, 7)
    assert a.connected and b2.connected and b2.take_delivered() == [b"a0", b"a1", b"a2"]
    b2.receive(old + build_frame(ACK, A, B, 0, 3, version=V2, echo=NB), 8)
    assert b2.take_delivered() == [] and b2.stats["stale"] == 4 and b2.pending == 0


# -- negotiation ----------------------------------------------------------------

@pytest.mark.parametrize("na,nb,version", [
    (NA1, NB, 2), (NA1, None, 1), (None, NB, 1), (None, None, 1)])
def test_every_pairing_connects_on_the_right_version_and_delivers_once_in_order(na, nb, version):
    a, b = pair(na, nb)
    assert a.version == b.version == version
    for i in range(20):
        a.send(b"a%d" % i)
        b.send(b"b%d" % i)
    exchange(a, b, 1)
    assert b.take_delivered() == [b"a%d" % i for i in range(20)]
    assert a.take_delivered() == [b"b%d" % i for i in range(20)]
    # Every frame after the handshake is in the link version agreed.
    a.send(b"last")
    assert {f.version for f in frames_of(a.outgoing())} == {version}


def test_a_version_2_end_offers_both_versions_until_it_knows_its_peer():
    a = Link(A, nonce=NA1, rto_ms=100)
    a.start(0)
    assert kinds(a.outgoing()) == [(SYN, V2, 0), (SYN, V1, 2)]
    a.poll(100)
    assert kinds(a.outgoing()) == [(SYN, V2, 0), (SYN, V1, 2)]   # every rto_ms, both
    assert a.stats["syns_sent"] == 4
    v1 = Link(B)
    v1.receive(build_frame(SYN, A, 0, 0, 0, version=V2, echo=bytes(4), nonce=NA1) +
               build_frame(SYN, A, 0, 0, 0, offer=2), 1)
    assert v1.stats["bad_header"] == 1                  # the version 2 SYN: dropped unread
    assert kinds(v1.outgoing()) == [(SYNACK, V1, 0), (SYN, V1, 0)]   # the offer: a plain SYN
    a.receive(build_frame(SYNACK, B, A, 0, 0) + build_frame(SYN, B, A, 0, 0), 101)
    assert a.connected and a.version == 1 and a.take_events() == [("up", B)]
    assert kinds(a.outgoing()) == [(SYNACK, V1, 2)]     # version 1 only, still saying it speaks 2


def test_offers_alone_never_bring_two_version_2_ends_down_to_version_1():
    """Only the version 1 offers get through (every version 2 SYN lost): the
    ends answer each other's offer with a version 2 SYN, never adopt it."""
    a, b = Link(A, nonce=NA1, rto_ms=100), Link(B, nonce=NB, rto_ms=100)
    a.start(0)
    b.start(0)
    for t in range(1, 400, 50):
        for x, y in ((a, b), (b, a)):
            y.receive(b"".join(f.wire() for f in frames_of(x.outgoing()) if f.version == V1), t)
        a.poll(t)
        b.poll(t)
    assert a.peer == b.peer == 0 and not a.connected and not b.connected
    assert a.stats["offers"] > 0 and b.stats["offers"] > 0
    run(a, b, 500, 700)                                 # a clean line again
    assert a.connected and b.connected and a.version == b.version == 2


def test_a_version_2_end_follows_its_peer_across_firmware_versions():
    a, b = pair(NA1, None)                              # an old terminal: version 1
    assert a.version == 1
    b2 = Link(0x3333, nonce=NB)                         # updated, boots speaking 2
    b2.start(10)
    exchange(a, b2, 11)
    assert a.connected and a.version == b2.version == 2 and a.peer == 0x3333
    b3 = Link(0x3333)                                   # downgraded, same incarnation
    b3.start(20)
    exchange(a, b3, 21)
    assert a.connected and a.version == b3.version == 1
    assert [e for e in a.take_events() if e[0] == "peer_reset"] == [("peer_reset", 0x3333)] * 2


def test_two_version_2_ends_each_left_on_version_1_find_version_2():
    """Each talked version 1 to an old end that is gone, and both are up: the
    stale DATA brings a version 1 offer, which brings a version 2 SYN."""
    a, _old = pair(NA1, None)
    b, _old2 = Link(B, nonce=NB), Link(0x4444)
    b.start(0)
    _old2.start(0)
    exchange(b, _old2)
    assert a.version == b.version == 1 and a.connected and b.connected
    a.send(b"for the old one")
    got_a, got_b = run(a, b, 10, 2000, 50)
    assert a.version == b.version == 2 and a.peer == B and b.peer == A
    assert got_b == [b"for the old one"]


def test_nonce_and_boot_nonce_are_checked():
    for bad in (b"", b"\x00" * 4, b"12345", 7):
        with pytest.raises((ValueError, TypeError)):
            Link(A, nonce=bad)
    assert boot_nonce(b"\x00" * 4) == b"\x00\x00\x00\x01" and boot_nonce(bytearray(b"abcd")) == b"abcd"
    with pytest.raises(ValueError):
        boot_nonce(b"abc")
    assert Link(A).version == 0 and Link(A, nonce=NA1).version == 0


def test_a_version_1_end_writes_what_link_version_1_wrote():
    """No offer, no version 2 frame, whatever it is sent."""
    v1 = Link(A, rto_ms=100)
    v1.start(0)
    assert kinds(v1.outgoing()) == [(SYN, V1, 0)]
    v1.receive(build_frame(SYN, B, 0, 0, 0, version=V2, echo=bytes(4), nonce=NB)
               + build_frame(SYN, B, 0, 0, 0, offer=2) + build_frame(ACK, B, A, 0, 0, version=V2, echo=NA1), 1)
    assert kinds(v1.outgoing()) == [(SYNACK, V1, 0), (SYN, V1, 0)]
    assert v1.stats["bad_header"] == 2 and v1.stats["offers"] == 0
