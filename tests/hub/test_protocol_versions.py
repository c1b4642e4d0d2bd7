"""The hub speaks protocol version 2 and still serves version 1 terminals;
in a version 2 session a captured packet sent again is counted and dropped,
never stored twice nor answered (PROTOCOL.md §3.4, §5.5)."""

from tests.hub.test_ingest import (  # noqa: F401  (hub: the fixture)
    committed, connect, hub, invite, raw_answers as quiet,
)
from tests.support.hub_peer import Terminal


def rate_once(hub, t):
    inv = invite(hub)
    msg = t.wait_for(lambda m: m["t"] == "inv")
    t.send({"t": "ack", "re": msg["mid"]})
    seq = t.rating(inv["eid"], "C1", lv=5)
    assert t.answer_for(seq) == {"t": "ack", "seq": seq}
    return inv


def test_a_version_1_terminal_still_rates_end_to_end(hub):
    t = Terminal.direct(hub, "T1", hub.keys["T1"], version=1)
    assert t.handshake() == {"t": "ack", "re": 2}
    assert t.session.version == 1
    rate_once(hub, t)
    assert committed(hub, "SELECT rating_id, level, status FROM ratings") == [("T1:1", 5, "accepted")]


def test_a_version_2_terminal_gets_a_version_2_session(hub):
    t = connect(hub)
    assert t.session.version == 2
    rate_once(hub, t)


def test_a_replayed_uplink_packet_is_counted_and_dropped_unanswered(hub):
    t = connect(hub)
    inv = invite(hub)
    msg = t.wait_for(lambda m: m["t"] == "inv")
    t.send({"t": "ack", "re": msg["mid"]})
    rating = t.session.seal({"t": "rating", "seq": 1, "eid": inv["eid"], "cs": "C1", "lv": 1,
                             "oth": True, "dp": 2500, "mt": 1000, "org": "live"})
    t.out(rating)
    assert t.answer_for(1) == {"t": "ack", "seq": 1}
    quiet(t)
    t.out(rating)                                   # captured on the broker, published again
    hb = t.session.seal({"t": "hb", "up": 1, "heap": 1, "jd": 0})
    t.out(hb)
    t.out(hb)
    assert quiet(t) == []                           # no ack dup, no nack: nothing to learn from
    assert hub.counters.of("T1").get("replayed") == 2
    assert committed(hub, "SELECT rating_id FROM ratings") == [("T1:1",)]
    t.send({"t": "hb", "up": 2, "heap": 1, "jd": 0})   # the terminal's own next packet is fine
    assert hub.counters.of("T1").get("replayed") == 2
