"""Protocol version 2: a sealed packet carries a counter, so a captured packet
sent again within its session is refused (`replayed`), in both directions;
version 1 peers are still served, and a version cannot be forced down."""

import pytest
from hypothesis import given, settings, strategies as st

from protocol import PROTOCOL_VERSION
from protocol.errors import ProtocolError
from protocol.session import (
    REPLAY_WINDOW, SEAL_LEN_V1, SEAL_LEN_V2, HubHandshake, ReplayWindow, TerminalHandshake,
    open_plain,
)
from tests.support.hub_peer import seal_raw, session_keys

KEY = bytes(range(32))
INFO = {"fw": "2.0.0", "board": "sim", "jd": 0}
TIME = {"t": "time", "now": 1795342800000, "tz": 480}
RATING = {"t": "rating", "seq": 7, "eid": "E1", "cs": "C1", "lv": 5, "dp": 3000, "mt": 5, "org": "live"}


def handshake(terminal_version=PROTOCOL_VERSION, hub_version=PROTOCOL_VERSION):
    term = TerminalHandshake("W12-A", KEY, b"\x01" * 8, INFO, terminal_version)
    hello = term.hello(mid=1)
    hub = HubHandshake(open_plain(hello, "up"), hello, KEY, b"\x02" * 8, hub_version)
    t_session, auth = term.accept(open_plain(hub.challenge, "down"), auth_mid=2)
    h_session, _ = hub.accept(auth)
    return t_session, h_session


def refused(session, packet):
    with pytest.raises(ProtocolError) as err:
        session.open(packet)
    return err.value.code


def test_this_code_speaks_version_2():
    t, h = handshake()
    assert PROTOCOL_VERSION == 2 and t.version == h.version == 2
    packet = h.seal(TIME)
    assert len(packet) == len(b'{"t":"time","now":1795342800000,"tz":480}') + SEAL_LEN_V2


@pytest.mark.parametrize("sender", ["terminal", "hub"])
def test_a_replayed_packet_is_refused_and_counted_in_both_directions(sender):
    t, h = handshake()
    a, b = (t, h) if sender == "terminal" else (h, t)
    msg = RATING if sender == "terminal" else TIME
    first, second = a.seal(msg), a.seal(msg)
    assert first != second                       # same message, a new counter each time
    assert b.open(first) == msg and b.open(second) == msg
    assert refused(b, first) == "replayed" and refused(b, second) == "replayed"
    assert b.replayed == 2
    assert b.open(a.seal(msg)) == msg            # the sender's next packet still goes


def test_the_auth_packet_cannot_be_replayed_into_its_session():
    term = TerminalHandshake("W12-A", KEY, b"\x01" * 8, INFO)
    hello = term.hello(mid=1)
    hub = HubHandshake(open_plain(hello, "up"), hello, KEY, b"\x02" * 8)
    _t, auth = term.accept(open_plain(hub.challenge, "down"), auth_mid=2)
    h_session, _ = hub.accept(auth)
    assert refused(h_session, auth) == "replayed"


def test_packets_late_within_the_window_are_taken_once():
    t, h = handshake()
    packets = [t.seal(dict(RATING, seq=i + 1)) for i in range(REPLAY_WINDOW + 2)]
    assert h.open(packets[-1])["seq"] == REPLAY_WINDOW + 2
    assert h.open(packets[3])["seq"] == 4          # late (a QoS 0 hb overtook it), not replayed
    assert refused(h, packets[3]) == "replayed"
    assert refused(h, packets[0]) == "replayed"    # older than the window: cannot be told from a replay


def test_a_forged_counter_does_not_move_the_window():
    t, h = handshake()
    good = t.seal(RATING)
    forged = bytearray(good)
    forged[-SEAL_LEN_V2 + 9:-16] = b"ffffffff"     # counter raised, MAC left alone
    assert refused(h, bytes(forged)) == "bad_seal"
    assert h.open(good) == RATING and h.window.top == 2   # 1 was the auth


def test_a_seal_of_the_other_version_is_refused():
    t2, h2 = handshake()
    t1, h1 = handshake(terminal_version=1)
    assert refused(h1, t2.seal(RATING)) == "bad_seal"
    assert refused(h2, t1.seal(RATING)) == "bad_seal"


def test_a_version_1_terminal_is_served_by_a_version_2_hub():
    t, h = handshake(terminal_version=1)
    assert t.version == h.version == 1
    packet = t.seal(RATING)
    assert len(packet) == len(packet.split(b"~")[0]) + SEAL_LEN_V1
    assert h.open(packet) == RATING
    assert h.open(packet) == RATING              # version 1 has no counter: the known limit


def test_a_version_2_terminal_speaks_1_with_an_old_hub():
    t, h = handshake(hub_version=1)
    assert t.version == h.version == 1
    assert t.open(h.seal(TIME)) == TIME


def test_a_chal_rewritten_to_version_1_gets_no_session():
    """A man in the middle who turns chal.pv 2 into 1 (to replay later) only
    breaks the handshake: the hub opens the auth as version 2."""
    term = TerminalHandshake("W12-A", KEY, b"\x01" * 8, INFO)
    hello = term.hello(mid=1)
    hub = HubHandshake(open_plain(hello, "up"), hello, KEY, b"\x02" * 8)
    chal = dict(open_plain(hub.challenge, "down"), pv=1)
    _t, auth = term.accept(chal, auth_mid=2)
    with pytest.raises(ProtocolError) as err:
        hub.accept(auth)
    assert err.value.code == "bad_seal"


def test_the_seal_is_what_the_spec_says():
    """PROTOCOL.md §5.5, written out without protocol.session: body ~ tag ctr
    mac, the MAC over everything before it, counters from 1."""
    term = TerminalHandshake("W12-A", KEY, b"\x01" * 8, INFO)
    hello = term.hello(mid=1)
    hub = HubHandshake(open_plain(hello, "up"), hello, KEY, b"\x02" * 8)
    t, auth = term.accept(open_plain(hub.challenge, "down"), auth_mid=2)
    up, down, tag = session_keys(KEY, b"\x01" * 8, b"\x02" * 8)
    body = auth[:-SEAL_LEN_V2]
    assert auth == seal_raw(up, tag, body, 1)
    packet = t.seal(RATING)
    assert packet == seal_raw(up, tag, packet[:-SEAL_LEN_V2], 2)


def _model(counters):
    """Reference rule of §5.5: taken iff never taken and above top - window."""
    seen, top, out = set(), 0, []
    for c in counters:
        ok = c > 0 and c not in seen and c > top - REPLAY_WINDOW
        if ok:
            seen.add(c)
            top = max(top, c)
        out.append(ok)
    return out


@settings(max_examples=400)
@given(st.lists(st.one_of(st.integers(0, 80), st.integers(0, 2 ** 32 - 1)), max_size=60))
def test_the_window_takes_each_counter_once_as_the_rule_says(counters):
    w = ReplayWindow()
    assert [w.take(c) for c in counters] == _model(counters)
    assert 0 <= w.mask < 1 << REPLAY_WINDOW        # a small int on MicroPython, always
