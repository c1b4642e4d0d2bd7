"""MQTT 3.1.1 packet encoding and the stream parser (firmware/net/mqtt_wire.py).

The parser must give the same packets however TCP splits the stream, keep
no more than a small head of an oversized packet, and refuse a broken
length field; the encoder's bytes must be what the spec (and mosquitto) say.
"""

import pytest
from hypothesis import given, settings, strategies as st

from firmware.net import mqtt_wire as wire
from firmware.net.timing import Backoff


def test_connect_bytes_with_will_and_credentials():
    pkt = wire.connect("c1", 30, clean=False, will=("s/t", b"offline", 1, True),
                       username="u", password="p")
    # type 1, flags: user, password, will retain, will QoS 1, will; keepalive 30
    assert pkt == (b"\x10\x22\x00\x04MQTT\x04\xec\x00\x1e\x00\x02c1"
                   b"\x00\x03s/t\x00\x07offline\x00\x01u\x00\x01p")


def test_publish_flags_and_packet_id():
    assert wire.publish("a", b"x", qos=1, retain=True, pid=258, dup=True) == \
        b"\x3b\x06\x00\x01a\x01\x02x"
    assert wire.publish("a", b"x") == b"\x30\x04\x00\x01ax"
    assert wire.puback(7) == b"\x40\x02\x00\x07"
    assert wire.subscribe(1, [("a/+", 1)]) == b"\x82\x08\x00\x01\x00\x03a/+\x01"


packets = st.lists(st.tuples(st.text(min_size=1, max_size=20), st.binary(max_size=300),
                             st.sampled_from([0, 1]), st.integers(1, 65535)),
                   min_size=1, max_size=8)


@settings(max_examples=60)
@given(packets, st.lists(st.integers(1, 97), min_size=1, max_size=20))
def test_any_split_of_the_stream_gives_the_same_packets(pkts, cuts):
    stream = b"".join(wire.publish(t, p, q, False, pid) for t, p, q, pid in pkts)
    parser = wire.Parser(max_body=4096)
    got, pos, i = [], 0, 0
    while pos < len(stream):
        n = cuts[i % len(cuts)]
        got += parser.feed(stream[pos:pos + n])
        pos += n
        i += 1
    decoded = [wire.parse_publish(flags, body) for _t, flags, body, _tr in got]
    assert [(d[0], d[1], d[2], d[3] if d[2] else None) for d in decoded] == \
        [(t, p, q, pid if q else None) for t, p, q, pid in pkts]


@settings(max_examples=40)
@given(st.integers(200, 3000), st.integers(1, 700))
def test_oversized_packet_is_cut_to_its_head_and_the_next_one_survives(size, chunk):
    big = wire.publish("pingjia/h/dev/d/down", b"x" * size, 1, False, 99)
    small = wire.publish("t", b"ok", 1, False, 100)
    stream = big + small
    parser = wire.Parser(max_body=150)
    got = []
    for pos in range(0, len(stream), chunk):
        got += parser.feed(stream[pos:pos + chunk])
    assert len(got) == 2
    ptype, flags, head, truncated = got[0]
    assert truncated and len(head) == wire.HEAD_KEEP
    topic, _payload, qos, pid, _r, _d = wire.parse_publish(flags, head)
    assert (topic, qos, pid) == ("pingjia/h/dev/d/down", 1, 99)
    assert wire.parse_publish(got[1][1], got[1][2])[:2] == ("t", b"ok")
    assert parser._buf == b""


def test_broken_length_field_is_an_error():
    with pytest.raises(ValueError):
        wire.Parser().feed(b"\x30\xff\xff\xff\xff\x01")


def test_backoff_doubles_with_jitter_up_to_the_cap():
    b = Backoff(100, 1000, rand16=lambda: 0xFFFF)
    assert [b.next_ms() for _ in range(6)] == [100, 200, 400, 800, 1000, 1000]
    b = Backoff(100, 1000, rand16=lambda: 0)
    assert [b.next_ms() for _ in range(3)] == [50, 100, 200]
    b.reset()
    assert b.next_ms() == 50
