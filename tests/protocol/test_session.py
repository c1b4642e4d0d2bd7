"""Device authentication: only a holder of the device key gets a session."""

import os

import pytest
from hypothesis import given, settings, strategies as st

from protocol.session import (
    TerminalHandshake, HubHandshake, Session, open_plain, split, SEAL_LEN, hello_hash,
)
from protocol import PROTOCOL_VERSION
from protocol.errors import ProtocolError
from tests.support.hub_peer import session_keys

KEY = bytes(range(32))
INFO = {"fw": "1.0.0", "board": "sim", "jd": 3, "caps": ["uart", "printer"]}
RATING = {"t": "rating", "seq": 1, "eid": "E1", "cs": "C1", "lv": 5, "dp": 3000, "mt": 5, "org": "live"}


def handshake(terminal_key=KEY, hub_key=KEY, dn=b"\x01" * 8, hn=b"\x02" * 8):
    term = TerminalHandshake("W12-A", terminal_key, dn, INFO)
    hello_packet = term.hello(mid=1)
    hello = open_plain(hello_packet, "up")
    hub = HubHandshake(hello, hello_packet, hub_key, hn)
    chal = open_plain(hub.challenge, "down")
    t_session, auth = term.accept(chal, auth_mid=2)
    h_session, auth_msg = hub.accept(auth)
    return t_session, h_session


def test_handshake_gives_both_sides_one_session():
    t, h = handshake()
    assert t.tag == h.tag
    assert h.open(t.seal(RATING)) == RATING
    assert t.open(h.seal({"t": "ack", "seq": 1})) == {"t": "ack", "seq": 1}


def test_hello_carries_what_hall_it_needs():
    term = TerminalHandshake("W12-A", KEY, b"\x01" * 8, INFO)
    hello = open_plain(term.hello(mid=9), "up")
    assert hello["dev"] == "W12-A" and hello["fw"] == "1.0.0" and hello["jd"] == 3
    assert hello["caps"] == ["uart", "printer"] and hello["pv"] == PROTOCOL_VERSION


def test_a_laptop_without_the_key_cannot_pose_as_the_terminal():
    term = TerminalHandshake("W12-A", b"\x99" * 32, b"\x01" * 8, INFO)
    hello_packet = term.hello(mid=1)
    hub = HubHandshake(open_plain(hello_packet, "up"), hello_packet, KEY, b"\x02" * 8)
    # The impostor cannot check the hub's proof, and its seal on auth fails.
    with pytest.raises(ProtocolError) as err:
        term.accept(open_plain(hub.challenge, "down"), 2)
    assert err.value.code == "auth_failed"
    # Even ignoring that check, an auth sealed with keys derived from the
    # wrong device key does not verify at the hub.
    chal = open_plain(hub.challenge, "down")
    up, down, tag = session_keys(b"\x99" * 32, term.nonce, bytes.fromhex(chal["hn"]))
    fake = Session("terminal", up, down, tag, hub.version)
    with pytest.raises(ProtocolError) as err:
        hub.accept(fake.seal({"t": "auth", "mid": 2, "hh": hello_hash(hello_packet)}))
    assert err.value.code == "bad_seal"


def test_a_rogue_hub_cannot_ack_ratings_away():
    # A hub without the key fails the terminal's proof check, so the terminal
    # never opens a session with it and never drops journal records on its say.
    with pytest.raises(ProtocolError) as err:
        handshake(hub_key=b"\x55" * 32)
    assert err.value.code == "auth_failed"


def test_auth_must_match_the_hello():
    term = TerminalHandshake("W12-A", KEY, b"\x01" * 8, INFO)
    p1 = term.hello(mid=1)
    hub = HubHandshake(open_plain(p1, "up"), p1 + b" ", KEY, b"\x02" * 8)  # hub saw other bytes
    _, auth = term.accept(open_plain(hub.challenge, "down"), 2)
    with pytest.raises(ProtocolError) as err:
        hub.accept(auth)
    assert err.value.code == "auth_failed" and err.value.field == "hh"


def test_packets_of_an_old_session_are_named_as_such():
    old_t, _ = handshake(hn=b"\x03" * 8)
    _, new_h = handshake(hn=b"\x04" * 8)
    with pytest.raises(ProtocolError) as err:
        new_h.open(old_t.seal(RATING))
    assert err.value.code == "no_session"


def test_a_packet_cannot_be_reflected_to_its_sender():
    t, _ = handshake()
    with pytest.raises(ProtocolError) as err:
        t.open(t.seal({"t": "ack", "seq": 1}))
    assert err.value.code == "bad_seal"


def test_only_handshake_and_nack_travel_unsealed():
    with pytest.raises(ProtocolError) as err:
        open_plain(b'{"t":"rating","seq":1,"eid":"E","cs":"C","lv":5,"dp":1,"mt":1,"org":"live"}', "up")
    assert err.value.code == "no_session"
    assert open_plain(b'{"t":"nack","re":1,"code":"unknown_device"}', "down")["code"] == "unknown_device"


@settings(max_examples=300)
@given(st.data())
def test_any_damage_to_a_sealed_packet_is_caught(data):
    t, h = handshake()
    packet = bytearray(t.seal(RATING))
    i = data.draw(st.integers(0, len(packet) - 1))
    flip = data.draw(st.integers(1, 255))
    packet[i] ^= flip
    try:
        msg = h.open(bytes(packet))
    except ProtocolError:
        return
    raise AssertionError("damaged packet opened as %r" % (msg,))


def test_seal_is_found_only_after_a_json_object():
    assert split(b'{"t":"x"}~' + b"0" * (SEAL_LEN - 1))[1] == "0" * 8
    assert split(b'"x"~' + b"0" * (SEAL_LEN - 1))[1] is None


def test_nonces_must_be_eight_bytes():
    with pytest.raises(ValueError):
        TerminalHandshake("W1", KEY, os.urandom(4), INFO)


def test_seal_too_large_names_the_field_to_shrink():
    from protocol import MAX_PACKET, domain
    from protocol.codec import encode
    _, hub = handshake()
    ls = domain.national_label_set()               # 1531 bytes as JSON
    msg = {"t": "cfg", "mid": 5, "ver": 3, "ls": ls, "txt": {"thanks": "谢谢" * 60}}
    for n in range(60, 200):                       # a body that fits, but not with its seal
        msg["txt"] = {"thanks": "谢谢", "bye": "再见" * 30, "x": "好" * (n % 120)}
        size = len(encode(msg, "down"))
        if MAX_PACKET - SEAL_LEN < size <= MAX_PACKET:
            break
    else:
        raise AssertionError("no size found")
    with pytest.raises(ProtocolError) as err:
        hub.seal(msg)
    e = err.value
    assert (e.code, e.field, e.mtype, e.mid) == ("too_large", "ls", "cfg", 5)
    assert "largest field ls" in str(e)
    del msg["txt"]
    hub.seal(msg)                                  # the label set alone goes through
