"""The ingest path with a real peer (a terminal made of the protocol package)
and a real SQLite file: handshake, rules, ack after commit, errors, floods."""

import queue
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from hub.ingest import Ingest
from hub.services import config, invitations, terminals
from hub.store import open_db
from tests.support import hub_peer
from tests.support.hub_peer import Terminal
from protocol.errors import ProtocolError


@pytest.fixture
def hub(tmp_path):
    path = str(tmp_path / "data" / "hub.db")
    db = open_db(path)
    keys = {"T1": terminals.provision(db, "T1", "A01"), "T2": terminals.provision(db, "T2", "A02")}
    ingest = Ingest(path, hall="测试大厅", flood_rate=50, flood_burst=50)
    ingest.start()
    ingest.keys, ingest.db = keys, db
    yield ingest
    ingest.stop()
    db.conn.close()


def connect(hub, dev="T1", **kw):
    t = Terminal.direct(hub, dev, hub.keys[dev], **kw)
    assert t.handshake() == {"t": "ack", "re": 2}
    return t


def invite(hub, cs="C1", window="A01", **kw):
    inv = invitations.create(hub.db, window, cs, "M1", "个体工商户登记", staff_id="S01",
                             staff_name="张三", **kw)
    hub.notify()
    return inv


def issued(hub, n, window="A01"):
    """N invitations of WINDOW, straight into the store -> [(eid, case serial)]:
    ratings of them are the terminal's to send (a made-up eid is not_invited)."""
    return [(invitations.create(hub.db, window, "C%d" % i, "M1", "事项", staff_id="S01",
                                staff_name="张三")["eid"], "C%d" % i) for i in range(1, n + 1)]


def committed(hub, sql, params=()):
    return hub_peer.committed(hub.db_path, sql, params)


def test_handshake_pushes_time_config_and_marks_online(hub):
    t = connect(hub)
    assert t.wait_for(lambda m: m["t"] == "time")["tz"] == 480
    cfg = t.wait_for(lambda m: m["t"] == "cfg")
    assert cfg["ver"] == 1 and cfg["win"] == "A01" and cfg["hall"] == "测试大厅"
    t.send({"t": "ack", "re": cfg["mid"]})
    t.send({"t": "hb", "up": 5, "heap": 90000, "jd": 0, "lq": 97, "pr": "ok"})
    hub.writer.call(lambda db: None)     # everything before is committed
    row = terminals.get(hub.db, "T1")
    assert row["online"] and row["firmware"] == "1.2.0" and row["config_version"] == 1
    assert row["free_heap"] == 90000 and row["link_quality"] == 97 and row["printer_state"] == "ok"
    t.conn.close()
    hub.writer.call(lambda db: None)
    assert not terminals.get(hub.db, "T1")["online"]


def test_terminal_with_current_config_gets_none(hub):
    t = Terminal.direct(hub, "T1", hub.keys["T1"], info=dict(fw="1", board="b", jd=0, cv=1))
    t.handshake()
    t.wait_for(lambda m: m["t"] == "time")
    with pytest.raises(AssertionError):
        t.wait_for(lambda m: m["t"] == "cfg", timeout=0.3)


def test_wrong_key_is_auth_failed_and_counted(hub):
    t = Terminal.direct(hub, "T1", bytes(32))
    with pytest.raises(ProtocolError) as e:   # the hub's proof does not verify for the wrong key
        t.handshake()
    assert e.value.code == "auth_failed"
    # A terminal that ignores the hub proof still cannot get in.
    answer = Terminal.direct(hub, "T1", bytes(32)).forged_handshake()
    assert answer["t"] == "nack" and answer["code"] == "auth_failed" and not answer["perm"]
    assert hub.counters.of("T1")["auth_failed"] == 1


def test_unknown_device_is_refused_for_good(hub):
    t = Terminal.direct(hub, "X9", bytes(32))
    answer = t.handshake()
    assert answer["t"] == "nack" and answer["code"] == "unknown_device" and answer["perm"]
    assert "provision" in answer["msg"] and hub.unknown_devices == {"X9": 1}


def test_mqtt_hello_must_match_the_topic(hub):
    """The MQTT transport drops such a hello (test_mqtt_devices.py); a caller
    that hands one to the ingest anyway is told what is wrong: not
    unknown_device (T1 is known), but that topic and dev differ."""
    t = Terminal.direct(hub, "T1", hub.keys["T1"])
    t.conn = hub.attach("mqtt", "T2", t.inbox.put)
    t.out = t.conn.receive
    answer = t.handshake()
    assert (answer["code"], answer["perm"]) == ("bad_value", True)
    assert "topic and dev differ" in answer["msg"] and hub.unknown_devices == {}


def test_another_terminal_on_the_same_line_takes_over(hub):
    t1 = Terminal.direct(hub, "T1", hub.keys["T1"], transport="serial")
    assert t1.handshake()["t"] == "ack" and hub.online() == ["T1"]
    t1.wait_for(lambda m: m["t"] == "duty")        # the last of T1's session downlink
    t2 = Terminal.on_line_of(t1, "T2", hub.keys["T2"])
    assert t2.handshake()["t"] == "ack"
    assert hub.online() == ["T2"]


def test_packets_before_auth_get_no_session(hub):
    t = Terminal.direct(hub, "T1", hub.keys["T1"])
    from protocol.codec import encode
    t.out(encode({"t": "hb", "up": 1, "heap": 1, "jd": 0}, "up"))
    assert t.wait_for(lambda m: m["t"] == "nack")["code"] == "no_session"
    assert hub.counters.of("mqtt:T1")["no_session"] == 1


def test_invite_rate_ack_after_commit(hub):
    t = connect(hub)
    inv = invite(hub)
    msg = t.wait_for(lambda m: m["t"] == "inv")
    assert (msg["eid"], msg["cs"], msg["mn"], msg["lsv"]) == (inv["eid"], "C1", "个体工商户登记", 1)
    t.send({"t": "ack", "re": msg["mid"]})
    seq = t.rating(inv["eid"], "C1", lv=2, lb=[213, 214], dt=1_700_000_000_000, bt=3)
    assert t.answer_for(seq) == {"t": "ack", "seq": seq}
    # The ack came after the commit: a fresh connection sees the row.
    rows = committed(hub, "SELECT rating_id, level, labels, visit, status FROM ratings")
    assert rows == [("T1:1", 2, "[213,214]", 1, "accepted")]
    assert committed(hub, "SELECT kind FROM outbox WHERE ref = 'T1:1'") == [("rating",)]
    assert invitations.get(hub.db, inv["eid"])["state"] == "rated"


def hold_writer(hub):
    """Park the writer on a gate: what arrives meanwhile shares its next commit."""
    gate = threading.Event()
    started = threading.Event()
    hub.writer.submit(lambda db: (started.set(), gate.wait(5)))
    assert started.wait(5)
    return gate


def raw_answers(t, timeout=0.5):
    """Every packet the hub sends until it falls quiet, decoded as it is on
    the wire (hub_peer's wait_for splits a multi-seq ack per record)."""
    got = []
    while True:
        try:
            got.append(t.recv(timeout))
        except queue.Empty:
            return got


def test_ratings_of_one_commit_are_answered_by_one_ack(hub):
    t = connect(hub)
    t.wait_for(lambda m: m["t"] == "duty")
    cases = issued(hub, 40)
    gate = hold_writer(hub)
    for seq, (eid, cs) in enumerate(cases, 1):
        t.rating(eid, cs, seq=seq)
    time.sleep(0.2)                                # every rating queued behind the gate
    gate.set()
    acks = [m for m in raw_answers(t) if m["t"] == "ack"]
    assert acks == [{"t": "ack", "seq": 1, "more": list(range(2, 33))},
                    {"t": "ack", "seq": 33, "more": list(range(34, 41))}]
    assert committed(hub, "SELECT COUNT(*) FROM ratings") == [(40,)]
    t.rating(cases[0][0], "C1", seq=1)             # a resend is answered alone
    assert raw_answers(t) == [{"t": "ack", "seq": 1, "dup": True}]


def test_a_record_is_not_acked_to_the_next_terminal_on_its_line(hub):
    """T1 sends a rating and is unplugged before the commit; T2 takes the
    line. The ack (seq 1 of T1's journal) must not reach T2, whose own seq 1
    it would delete: the record is stored, and T1 gets its ack when it resends."""
    t1 = Terminal.direct(hub, "T1", hub.keys["T1"], transport="serial")
    assert t1.handshake()["t"] == "ack"
    t1.wait_for(lambda m: m["t"] == "duty")
    gate = hold_writer(hub)
    t1.rating("x1", "C1", seq=1)
    time.sleep(0.1)
    t2 = Terminal.on_line_of(t1, "T2", hub.keys["T2"])
    assert t2.handshake()["t"] == "ack"
    gate.set()
    assert not [m for m in raw_answers(t2) if "seq" in m]
    assert committed(hub, "SELECT rating_id FROM ratings") == [("T1:1",)]


def test_same_rating_twice_is_stored_once_and_acked_twice(hub):
    t = connect(hub)
    inv = invite(hub)
    t.rating(inv["eid"], "C1", seq=7)
    assert t.answer_for(7) == {"t": "ack", "seq": 7}
    t.rating(inv["eid"], "C1", seq=7)
    assert t.answer_for(7) == {"t": "ack", "seq": 7, "dup": True}
    assert committed(hub, "SELECT COUNT(*) FROM ratings") == [(1,)]


def test_bad_label_for_level_is_nacked_and_nothing_stored(hub):
    t = connect(hub)
    inv = invite(hub)
    t.rating(inv["eid"], "C1", lv=5, lb=[213], seq=3, unchecked=True)
    answer = t.answer_for(3)
    assert answer["t"] == "nack" and answer["code"] == "bad_label" and answer["perm"]
    t.rating(inv["eid"], "C1", lv=1, seq=4, unchecked=True)
    assert t.answer_for(4)["code"] == "need_label"
    hub.writer.call(lambda db: None)
    assert committed(hub, "SELECT COUNT(*) FROM ratings") == [(0,)]
    assert hub.counters.of("T1") == {"bad_label": 1, "need_label": 1}
    hub._flush_counters()
    hub.writer.call(lambda db: None)
    assert terminals.get(hub.db, "T1")["errors"] == {"bad_label": 1, "need_label": 1}


def test_second_rating_for_the_visit_is_refused_but_kept(hub):
    t = connect(hub)
    inv = invite(hub)
    t.rating(inv["eid"], "C1", seq=1)
    t.answer_for(1)
    t.rating(inv["eid"], "C1", lv=4, seq=2)
    answer = t.answer_for(2)
    assert answer["code"] == "duplicate_visit" and answer["perm"] and "一次一评" in answer["msg"]
    assert committed(hub, "SELECT rating_id, status FROM ratings ORDER BY seq") == [
        ("T1:1", "accepted"), ("T1:2", "refused")]


def test_timeout_is_acked_and_closes_the_invitation(hub):
    t = connect(hub)
    inv = invite(hub)
    t.send({"t": "timeout", "seq": 1, "eid": inv["eid"], "cs": "C1", "mt": 1, "org": "live"})
    assert t.answer_for(1) == {"t": "ack", "seq": 1}
    assert invitations.get(hub.db, inv["eid"])["state"] == "timed_out"


def test_offline_invitation_waits_for_the_terminal_and_cancel_reaches_it(hub):
    inv = invite(hub)
    assert "offline" in inv["notice"]
    other = invite(hub, cs="C2")
    t = connect(hub)
    # Only the newest goes: the older one was never seen (test_ingest_supersede.py).
    assert t.wait_for(lambda m: m["t"] == "inv")["eid"] == other["eid"]
    invitations.cancel(hub.db, other["eid"], "窗口录入错误")
    hub.notify()
    assert t.wait_for(lambda m: m["t"] == "cancel")["eid"] == other["eid"]


def test_config_push_reaches_online_terminal(hub):
    t = connect(hub)
    t.wait_for(lambda m: m["t"] == "cfg")
    config.push(hub.db, texts={"welcome": "您好"})
    hub.notify()
    assert t.wait_for(lambda m: m["t"] == "cfg")["txt"] == {"welcome": "您好"}


def test_config_too_large_for_one_packet_arrives_as_two_cfg_of_one_version(hub):
    t = connect(hub)
    t.wait_for(lambda m: m["t"] == "cfg")
    texts = {"k%d" % i: "请您对本次服务进行评价" * 4 for i in range(6)}
    ver = config.push(hub.db, texts=texts, timeouts={"rate": 45})["version"]
    hub.notify()
    parts = [t.wait_for(lambda m: m["t"] == "cfg") for _ in range(2)]
    assert [m["ver"] for m in parts] == [ver, ver] and parts[0]["mid"] != parts[1]["mid"]
    merged = {}
    for m in parts:
        merged.update(m)
    assert merged["txt"] == texts and merged["tmo"] == {"rate": 45}
    assert len(merged["ls"]["l"]) == 40 and merged["win"] == "A01"
    for m in parts:
        t.send({"t": "ack", "re": m["mid"]})
    t.send({"t": "hb", "up": 5, "heap": 1, "jd": 0})
    hub.writer.call(lambda db: None)
    assert terminals.get(hub.db, "T1")["config_version"] == ver


def test_split_config_taken_in_part_is_sent_again_at_the_next_session(hub):
    texts = {"k%d" % i: "请您对本次服务进行评价" * 4 for i in range(6)}
    ver = config.push(hub.db, texts=texts)["version"]

    def session(cv):
        t = Terminal.direct(hub, "T1", hub.keys["T1"], info=dict(fw="1", board="b", jd=0, cv=cv))
        t.handshake()
        t.wait_for(lambda m: m["t"] == "time")
        return t

    t = session(1)
    first, second = (t.wait_for(lambda m: m["t"] == "cfg") for _ in range(2))
    t.send({"t": "ack", "re": first["mid"]})         # applied one part, then lost the line
    t.conn.close()
    t = session(ver)                                  # its cv names the version all the same
    again = [t.wait_for(lambda m: m["t"] == "cfg") for _ in range(2)]
    assert sorted(again[0].keys() | again[1].keys()) == sorted(first.keys() | second.keys())
    for m in again:
        t.send({"t": "ack", "re": m["mid"]})
    t.conn.close()
    t = session(ver)                                  # now it has all: nothing again
    with pytest.raises(AssertionError):
        t.wait_for(lambda m: m["t"] == "cfg", timeout=0.3)


def test_flood_from_one_terminal_does_not_stop_another(hub):
    noisy, calm = connect(hub, "T1"), connect(hub, "T2")
    hb = noisy.session.seal({"t": "hb", "up": 1, "heap": 1, "jd": 0})
    for _ in range(300):
        noisy.out(hb)
    assert noisy.wait_for(lambda m: m["t"] == "nack")["code"] == "rate_limited"
    assert hub.counters.of("T1")["rate_limited"] >= 200
    inv = invite(hub, window="A02")
    seq = calm.rating(inv["eid"], "C1")
    assert calm.answer_for(seq) == {"t": "ack", "seq": seq}


packets = st.one_of(
    st.binary(max_size=300),
    st.builds(lambda a, b: a + b"~" + b, st.binary(max_size=100), st.binary(max_size=30)),
    st.sampled_from([b"{}", b'{"t":"hello"}', b'{"t":"rating","seq":1}', b"\xff" * 3000,
                     b'{"t":"hb","up":1,"heap":1,"jd":0}', b'{"t":"nack","re":1,"code":"x"}']),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.lists(packets, max_size=8), authed=st.booleans())
def test_random_packets_never_raise_and_store_nothing(hub, data, authed):
    t = connect(hub) if authed else Terminal.direct(hub, "T1", hub.keys["T1"])
    for p in data:
        t.conn.receive(p)
        if authed:   # also as sealed packets of the live session, body unchecked
            t.conn.receive(p + b"~" + t.session.tag.encode() + b"0" * 16)
    hub.writer.call(lambda db: None)
    assert committed(hub, "SELECT COUNT(*) FROM ratings") == [(0,)]
    assert committed(hub, "SELECT COUNT(*) FROM timeouts") == [(0,)]


def test_duty_changes_reach_the_terminal(hub):
    from hub.services import duty
    t = connect(hub)
    first = t.wait_for(lambda m: m["t"] == "duty")
    assert (first["st"], first["win"]) == ("off", "A01")
    duty.sign_in(hub.db, "A01", "S09", "赵六")
    hub.notify()
    m = t.wait_for(lambda m: m["t"] == "duty" and m["st"] == "on")
    assert (m["win"], m["stf"], m["stn"]) == ("A01", "S09", "赵六")
    hub.notify()                                   # nothing changed: nothing sent again
    with pytest.raises(AssertionError):
        t.wait_for(lambda m: m["t"] == "duty", timeout=0.3)


def test_rate_limited_ratings_are_named_and_taken_when_sent_again(hub):
    t = connect(hub)
    cases = issued(hub, 70)
    for seq in range(1, 71):                      # over the fixture's burst of 50
        t.rating(*cases[seq - 1], seq=seq)
    answers = {}
    while True:                                   # until the hub falls quiet
        try:
            m = t.wait_for(lambda m: m["t"] in ("ack", "nack") and "seq" in m, timeout=0.5)
        except AssertionError:
            break
        answers[m["seq"]] = m
    limited = sorted(s for s, a in answers.items() if a["t"] == "nack")
    assert limited and all(answers[s]["code"] == "rate_limited" and not answers[s]["perm"]
                           for s in limited)
    time.sleep(1.0)                                # the bucket refills
    missing = [s for s in range(1, 71) if answers.get(s, {}).get("t") != "ack"]
    for seq in missing:
        t.rating(*cases[seq - 1], seq=seq)
    for seq in missing:
        assert t.answer_for(seq)["t"] == "ack"
    assert committed(hub, "SELECT COUNT(*) FROM ratings") == [(70,)]


def test_invitation_expiring_on_the_terminal_is_withdrawn(hub):
    t = connect(hub)
    inv = invite(hub, expire_s=10, now=int(time.time() * 1000) - 9_000)   # 1 s left
    assert t.wait_for(lambda m: m["t"] == "inv")["eid"] == inv["eid"]
    cancel = t.wait_for(lambda m: m["t"] == "cancel", timeout=5)
    assert cancel == {"t": "cancel", "mid": cancel["mid"], "eid": inv["eid"], "why": "评价已过期"}
    assert invitations.get(hub.db, inv["eid"])["state"] == "expired"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.text(max_size=200), min_size=1, max_size=4),
       c1=st.text(alphabet=st.characters(min_codepoint=0x80, max_codepoint=0x9F), min_size=1))
def test_a_nack_reaches_the_terminal_whatever_its_detail_quotes(hub, texts, c1):
    """An error detail may quote any character of a bad packet, C1 controls
    included: the nack still encodes, sealed and plain, and says the rest."""
    t = connect(hub)
    texts = texts + [c1 + "第三方" + c1]
    for i, text in enumerate(texts):
        t.conn.nack(None, "malformed", text, seq=i + 1, count=False)
        t.conn.nack(None, "malformed", text, seq=i + 1, plain=True, count=False)
        for _ in range(2):
            m = t.wait_for(lambda m: m["t"] == "nack" and m.get("seq") == i + 1)
            assert m["msg"] == "".join(
                c for c in text if c >= " " and not "\x7f" <= c <= "\x9f"
                and not "\ud800" <= c <= "\udfff")[:160]
    assert m["msg"] == "第三方"
