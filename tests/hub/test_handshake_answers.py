"""What the hub answers, and how, where an outside implementer found the spec
ambiguous or the hub contradicting it (PROTOCOL.md §3.1, §4.2, §5.2):

- an invalid packet that names neither a mid nor a seq is counted and
  dropped, not answered `nack re:0 perm:true`;
- every answer to a hello is plain: its sender has no session, even when
  the connection still has one (a rebooted terminal cannot open the old);
- a failed auth is answered with a plain `nack auth_failed` that says to
  send a new hello, at most about once a second;
- an answer to a rating or timeout that carried a mid carries `re` = that
  mid besides `seq` (an ack naming several records carries none).

The ingest with a real SQLite file and a protocol peer (tests/hub/test_ingest.py).
"""

import os
import queue
import time

from protocol.codec import encode
from protocol.session import Session, TerminalHandshake, hello_hash, open_plain, split
from tests.hub.test_ingest import committed, connect, hold_writer, hub, invite  # noqa: F401
from tests.support.hub_peer import Terminal, session_keys


def raw(t, timeout=0.4):
    """Every packet the hub sends until it falls quiet, as (sealed?, message)."""
    got = []
    while True:
        try:
            packet = t.inbox.get(timeout=timeout)
        except queue.Empty:
            return got
        tag = split(packet)[1]
        if tag is None:
            got.append((False, open_plain(packet, "down")))
        elif t.session is not None and tag == t.session.tag:
            got.append((True, t.session.open(packet)))
        else:
            got.append((True, {"t": "(sealed for another session)"}))


def nacks(t, timeout=0.4):
    return [(sealed, m) for sealed, m in raw(t, timeout) if m["t"] == "nack"]


def test_invalid_packets_without_mid_or_seq_are_counted_and_dropped(hub):
    fresh = Terminal.direct(hub, "T2", hub.keys["T2"])
    live = connect(hub)
    raw(live)                                       # its session's downlink
    junk = [b"\x00garbage", b"[1,2]", b'{"t":"hb"}', b'{"t":"zz9"}', b'{"t":"rating","seq":0}']
    for p in junk:
        fresh.out(p)
        live.out(p)
        live.out(live.session.seal({"t": "hb", "up": 1, "heap": 1, "jd": 0})[:-16] + b"0" * 16)
    assert nacks(fresh) == [] and nacks(live) == []
    assert sum(hub.counters.of("mqtt:T2").values()) == len(junk)
    assert hub.counters.of("T1")["bad_seal"] == len(junk)
    # What names its mid or seq is still answered, naming it.
    live.out(b'{"t":"zz9","mid":41}')
    live.send_unchecked({"t": "rating", "seq": 5, "eid": "e", "cs": "c", "lv": 9, "dp": 1,
                         "mt": 1, "org": "live"})
    got = sorted((m.get("re", -1), m.get("seq", -1), m["code"], m["perm"])
                 for _s, m in nacks(live))
    assert got == [(-1, 5, "bad_value", True), (41, -1, "unknown_type", True)]
    # And a sealed packet of no session still tells its sender to say hello.
    fresh.out(live.session.seal({"t": "hb", "up": 1, "heap": 1, "jd": 0}))
    assert [(s, m["code"], m["re"]) for s, m in nacks(fresh)] == [(False, "no_session", 0)]


def test_answers_to_a_hello_are_plain_beside_a_live_session(hub):
    t = Terminal.direct(hub, "T1", hub.keys["T1"], transport="serial")
    assert t.handshake()["t"] == "ack"
    raw(t)
    bad = {"t": "hello", "mid": 31, "dev": "T1", "fw": "1", "board": "b", "pv": 1, "jd": 0,
           "dn": "00" * 8}
    t.out(encode(bad, "up").replace(b'"pv":1', b'"pv":0'))           # pv out of range
    t.out(encode(dict(bad, mid=32, dev="X9"), "up"))                  # not provisioned
    got = nacks(t)
    assert [(sealed, m["re"], m["code"]) for sealed, m in got] == [
        (False, 31, "bad_value"), (False, 32, "unknown_device")]
    assert hub.online() == ["T1"]


def failed_auth(t):
    """Hello, then an auth sealed with a wrong key for the hub's chal; -> the
    hello's mid."""
    hs = TerminalHandshake(t.device_id, bytes(32), os.urandom(8), t.info)
    mid = t.mid()
    hello = hs.hello(mid)
    t.out(hello)
    chal = t.wait_for(lambda m: m["t"] == "chal" and m["re"] == mid)
    up, down, tag = session_keys(bytes(32), hs.nonce, bytes.fromhex(chal["hn"]))
    t.out(Session("terminal", up, down, tag, 1).seal({"t": "auth", "mid": t.mid(),
                                                      "hh": hello_hash(hello)}))
    return mid


def test_a_failed_auth_says_send_a_new_hello_plain_and_rate_limited(hub):
    t = Terminal.direct(hub, "T1", hub.keys["T1"])
    failed_auth(t)
    [(sealed, nack)] = nacks(t)
    assert not sealed and nack["code"] == "auth_failed" and not nack["perm"]
    assert "new hello" in nack["msg"]
    started = time.monotonic()
    for _ in range(20):
        failed_auth(t)
    answered = len(nacks(t)) + len([m for m in t.seen if m["t"] == "nack"])
    assert 1 <= answered <= 3 + (time.monotonic() - started) * 1.5, answered
    assert hub.counters.of("T1")["auth_failed"] == 21
    # The real terminal still gets in at once.
    t.seen.clear()
    assert t.handshake()["t"] == "ack"


def test_a_failed_auth_leaves_the_live_session(hub):
    t = connect(hub)
    raw(t)
    failed_auth(t)
    assert [m["code"] for _s, m in nacks(t)] == ["auth_failed"]
    t.send({"t": "hb", "up": 1, "heap": 1, "jd": 0, "mid": 9})
    assert t.wait_for(lambda m: m["t"] == "ack")["re"] == 9
    assert hub.online() == ["T1"]


def test_answers_to_journal_events_carry_their_mid(hub):
    t = connect(hub)
    inv = invite(hub)
    t.rating(inv["eid"], "C1", seq=1, mid=501)
    assert t.answer_for(1) == {"t": "ack", "re": 501, "seq": 1}
    t.rating(inv["eid"], "C1", seq=1, mid=502)
    assert t.answer_for(1) == {"t": "ack", "re": 502, "seq": 1, "dup": True}
    t.rating(inv["eid"], "C1", lv=4, seq=2, mid=503)
    answer = t.answer_for(2)
    assert (answer["re"], answer["code"]) == (503, "duplicate_visit")
    t.send({"t": "timeout", "seq": 3, "eid": "e9", "cs": "C9", "mt": 1, "org": "live",
            "mid": 504})
    assert t.answer_for(3) == {"t": "ack", "re": 504, "seq": 3}
    t.rating(invite(hub, cs="C4")["eid"], "C4", seq=4)     # no mid: no re
    assert t.answer_for(4) == {"t": "ack", "seq": 4}
    # Records of one commit share one ack, which names no mid.
    cases = {seq: invite(hub, cs="C%d" % seq)["eid"] for seq in (5, 6, 7)}
    gate = hold_writer(hub)
    for seq in (5, 6, 7):
        t.rating(cases[seq], "C%d" % seq, seq=seq, mid=600 + seq)
    time.sleep(0.2)
    gate.set()
    acks = [m for _s, m in raw(t) if m["t"] == "ack"]
    assert acks == [{"t": "ack", "seq": 5, "more": [6, 7]}]
    assert committed(hub, "SELECT COUNT(*) FROM ratings") == [(6,)]


def test_a_flood_of_unreadable_seals_costs_no_traceback(hub, caplog):
    """Past the flood limit the hub names the journal record of what it drops;
    a seal that is not hex used to raise there, a traceback per answer."""
    t = connect(hub)
    bad = b'{"t":"hb","up":1,"heap":1,"jd":0}~' + b"Z" * 24
    for _ in range(200):          # the fixture's limit is 50 packets/s
        t.out(bad)
    assert not [r for r in caplog.records if r.exc_info], caplog.text
    assert "internal" not in hub.counters.of("T1")
    assert hub.counters.of("T1")["rate_limited"] >= 100
