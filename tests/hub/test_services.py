"""Hub services over a real SQLite file: invitations, ratings, windows, duty,
terminals and the journal, with their rules as a window business system and
hall IT see them."""

import pytest

from hub.errors import HubError
from hub.services import config, duty, invitations, journal, ratings, terminals, windows
from hub.store import data_dir, open_db, sealbox
from protocol.catalogue import MAX_LABEL_SET_BYTES

T0 = 1_700_000_000_000


@pytest.fixture
def db(tmp_path):
    d = open_db(tmp_path / "data" / "hub.db")
    yield d
    d.conn.close()


def invite(db, cs="C1", visit=1, window="A01", **kw):
    kw.setdefault("staff_id", "S01")
    kw.setdefault("staff_name", "张三")
    return invitations.create(db, window, cs, "M100", "营业执照办理", visit=visit, now=T0, **kw)


def rating(seq, eid, cs="C1", lv=5, **kw):
    m = {"t": "rating", "seq": seq, "eid": eid, "cs": cs, "lv": lv, "dp": 3000,
         "mt": 10_000 * seq, "org": "live"}
    m.update(kw)
    return m


def test_provision_makes_a_key_and_the_window(db):
    key = terminals.provision(db, "T1", "A01", now=T0)
    assert len(key) == 64 and int(key, 16) >= 0
    assert terminals.key_of(db, "T1") == bytes.fromhex(key)
    assert windows.get(db, "A01") is not None
    t = terminals.get(db, "T1")
    assert t["window"] == "A01" and t["online"] is False and "key_hex" not in t
    with pytest.raises(HubError) as e:
        terminals.provision(db, "T1", "A01")
    assert e.value.code == "duplicate_terminal" and e.value.status == 409
    assert terminals.rekey(db, "T1") != key
    assert [t["device_id"] for t in terminals.list(db)] == ["T1"]
    assert terminals.key_of(db, "nope") is None


def test_bad_device_id_is_refused_naming_the_field(db):
    with pytest.raises(HubError) as e:
        terminals.provision(db, "has space", "A01")
    assert e.value.field == "device_id" and e.value.status == 422


def test_invitation_for_unknown_window_says_what_to_do(db):
    with pytest.raises(HubError) as e:
        invite(db, window="Z99")
    assert e.value.code == "unknown_window" and e.value.status == 404
    assert "Z99" in e.value.message and "provision" in e.value.message


def test_one_invitation_per_visit_and_cancel_frees_it(db):
    terminals.provision(db, "T1", "A01")
    first = invite(db)
    assert first["state"] == "queued" and "offline" in first["notice"]
    with pytest.raises(HubError) as e:
        invite(db)
    assert e.value.code == "duplicate_visit" and first["eid"] in e.value.message
    assert invite(db, visit=2)["state"] == "queued"     # next visit is fine
    assert invitations.cancel(db, first["eid"], "wrong case")["state"] == "cancelled"
    with pytest.raises(HubError) as e:
        invitations.cancel(db, first["eid"])
    assert e.value.code == "invitation_closed"
    assert invite(db)["state"] == "queued"               # redo after the mistake


def test_staff_default_to_duty_and_sign_out(db):
    windows.add(db, "A01")
    with pytest.raises(HubError) as e:
        invitations.create(db, "A01", "C9", "M1", "事项")
    assert e.value.code == "not_on_duty"
    duty.sign_in(db, "A01", "S07", "李四")
    inv = invitations.create(db, "A01", "C9", "M1", "事项")
    assert (inv["staff_id"], inv["staff_name"]) == ("S07", "李四")
    duty.sign_in(db, "A01", "S08", "王五")              # shift change
    assert duty.current(db, "A01")["staff_id"] == "S08"
    with pytest.raises(HubError):
        duty.sign_out(db, "A01", "S07")
    assert duty.sign_out(db, "A01", "S08")["signed_out_at"] is not None
    assert duty.current(db, "A01") is None and len(duty.history(db, "A01")) == 2


def test_contact_is_stored_sealed_under_the_hubs_key_and_bound_to_its_invitation(db):
    windows.add(db, "A01")
    inv = invite(db, contact="13800138000")
    other = invite(db, cs="C2")
    assert inv["has_contact"] and "contact" not in inv and not other["has_contact"]
    raw = db.execute("SELECT contact_enc FROM invitations WHERE eid = ?", (inv["eid"],)).fetchone()[0]
    assert b"13800138000" not in raw
    key = sealbox.load_key(data_dir(db))
    assert sealbox.open_sealed(key, raw, inv["eid"].encode()) == "13800138000"
    with pytest.raises(sealbox.SealError):         # not movable to another invitation
        sealbox.open_sealed(key, raw, other["eid"].encode())
    dump = "\n".join(db.conn.iterdump())
    assert "13800138000" not in dump


def test_invitation_expires_at_its_deadline(db):
    windows.add(db, "A01")
    inv = invite(db, expire_s=60)
    assert invitations.pending_for_window(db, "A01", now=T0 + 1000)[0]["eid"] == inv["eid"]
    assert invitations.expire_due(db, now=T0 + 59_000) == []
    assert invitations.expire_due(db, now=T0 + 60_000) == [inv["eid"]]
    assert invitations.get(db, inv["eid"])["state"] == "expired"
    assert invitations.pending_for_window(db, "A01", now=T0 + 61_000) == []


def test_case_and_rating_go_to_the_outbox_once(db):
    terminals.provision(db, "T1", "A01")
    inv = invite(db)
    r = journal.record_rating(db, "T1", rating(1, inv["eid"]), now=T0)
    assert r["status"] == "accepted" and not r["dup"] and r["flags"] == []
    assert journal.record_rating(db, "T1", rating(1, inv["eid"]))["dup"] is True
    assert invitations.get(db, inv["eid"])["state"] == "rated"
    assert sorted((o["kind"], o["ref"]) for o in db["outbox"].rows) == [
        ("case", inv["eid"]), ("rating", "T1:1")]
    assert db["ratings"].count == 1


def test_second_rating_for_a_rated_visit_is_kept_refused(db):
    terminals.provision(db, "T1", "A01")
    inv = invite(db)
    journal.record_rating(db, "T1", rating(1, inv["eid"]))
    r = journal.record_rating(db, "T1", rating(2, inv["eid"], lv=1, oth=True))
    assert r["status"] == "refused" and "duplicate_visit" in r["flags"]
    assert journal.record_rating(db, "T1", rating(2, inv["eid"]))["status"] == "refused"
    assert db["ratings"].count == 2 and db["outbox"].count == 2     # case + first rating


def test_rating_without_a_case_is_kept_refused(db):
    terminals.provision(db, "T1", "A01")
    terminals.provision(db, "T2", "A02")
    other = invite(db, window="A02")
    r1 = journal.record_rating(db, "T1", rating(1, "never-sent"))
    r2 = journal.record_rating(db, "T1", rating(2, other["eid"]))   # another window's case
    assert r1["status"] == r2["status"] == "refused"
    assert r1["refusal"] == r2["refusal"] == "not_invited"
    assert "no_case" in r1["flags"] and "no_case" in r2["flags"]
    assert db["outbox"].count == 1                                  # the case only
    assert invitations.get(db, other["eid"])["state"] == "queued"


def test_fast_press_burst_and_late_flags(db):
    terminals.provision(db, "T1", "A01")
    a, b = invite(db, cs="C1"), invite(db, cs="C2")
    invitations.cancel(db, b["eid"])
    journal.record_rating(db, "T1", rating(1, a["eid"], bt=1, mt=1000, dp=200))
    r = journal.record_rating(db, "T1", rating(2, b["eid"], cs="C2", bt=1, mt=1500))
    assert ratings.get(db, "T1:1")["fraud_flags"] == ["fast_press"]
    assert r["flags"] == ["late", "burst"]


def test_timeout_closes_the_invitation_once(db):
    terminals.provision(db, "T1", "A01")
    inv = invite(db)
    msg = {"t": "timeout", "seq": 5, "eid": inv["eid"], "cs": "C1", "mt": 1, "org": "live"}
    assert journal.record_timeout(db, "T1", msg) == {"event_id": "T1:5", "dup": False, "known": True,
                                                     "state": "timed_out"}
    assert journal.record_timeout(db, "T1", msg)["dup"] is True
    assert invitations.get(db, inv["eid"])["state"] == "timed_out"
    with pytest.raises(HubError) as e:
        invite(db)
    assert e.value.code == "duplicate_visit"


def test_ratings_query_filters_and_pages(db):
    terminals.provision(db, "T1", "A01")
    for i in range(1, 8):
        inv = invite(db, cs="C%d" % i)
        lv = 5 if i % 2 else 2
        extra = {} if lv == 5 else {"lb": [213]}
        journal.record_rating(db, "T1", rating(i, inv["eid"], cs="C%d" % i, lv=lv, **extra),
                              now=T0 + i)
    page = ratings.query(db, {"window": "A01"}, page=1, size=3)
    assert page["total"] == 7 and [r["id"] for r in page["items"]] == ["T1:7", "T1:6", "T1:5"]
    assert [r["id"] for r in ratings.query(db, None, page=3, size=3)["items"]] == ["T1:1"]
    bad = ratings.query(db, {"bad": True})
    assert bad["total"] == 3 and all(r["bad"] for r in bad["items"])
    assert all(r["labels"] == [{"code": 213, "text": "窗口人员业务不熟练"}] for r in bad["items"])
    assert ratings.query(db, {"level": 5, "since": T0 + 3})["total"] == 3
    with pytest.raises(HubError) as e:
        ratings.query(db, {"colour": "red"})
    assert e.value.field == "colour"
    with pytest.raises(HubError) as e:
        ratings.query(db, None, size=10_000)
    assert e.value.field == "size"
    with pytest.raises(HubError) as e:
        ratings.query(db, {"level": 5, "label": 213})
    assert e.value.code == "bad_label" and "level 2" in e.value.message


def test_config_push_versions_and_checks_labels(db):
    cur = config.current(db)
    assert cur["version"] == 1 and len(cur["label_set"]["l"]) == 40
    new = config.push(db, texts={"welcome": "请评价"}, note="texts")
    assert new["version"] == 2 and new["label_set"] == cur["label_set"]
    assert new["texts"] == {"welcome": "请评价"}
    with pytest.raises(HubError) as e:
        config.push(db, labels=[[510, "好"], [310, "一般"]])
    assert e.value.code == "need_label"
    with pytest.raises(HubError) as e:
        config.push(db, labels=[[610, "x"], [210, "差"], [110, "很差"]])
    assert e.value.code == "bad_label"
    with pytest.raises(HubError):
        config.push(db, timeouts={"rate": -1})
    v3 = config.push(db, labels=[[510, "好"], [210, "差"], [110, "很差"]])
    assert v3["label_set"] == {"v": 3, "l": [[510, "好"], [210, "差"], [110, "很差"]]}
    assert [c["version"] for c in config.versions(db)] == [1, 2, 3]


def _labels(n, text):
    """N labels spread over levels 5..1 (the bad levels keep some), each TEXT."""
    return [[(5 - i % 5) * 100 + 10 + i // 5, text] for i in range(n)]


def test_config_push_names_the_field_hall_it_must_fix(db):
    with pytest.raises(HubError) as e:                     # a C1 control in a label
        config.push(db, labels=[[510, "好"], [210, "差\x85"], [110, "很差"]])
    assert e.value.code == "bad_request" and e.value.field == "labels"
    with pytest.raises(HubError) as e:                     # ... and in a text
        config.push(db, texts={"thanks": "谢谢\x9b"})
    assert e.value.field == "texts" and "thanks" in e.value.message
    with pytest.raises(HubError) as e:                     # over the label set's byte cap
        config.push(db, labels=_labels(64, "服务态度需要进一步改进和提高"))
    assert e.value.field == "labels" and str(MAX_LABEL_SET_BYTES) in e.value.message
    with pytest.raises(HubError) as e:                     # texts that fit no packet at all
        config.push(db, texts={"k%d" % i: "请" * 120 for i in range(32)})
    assert e.value.field == "texts" and "too large" in e.value.message
    assert config.current(db)["version"] == 1               # nothing of it was saved


def test_config_too_large_for_one_cfg_is_split_by_the_largest_field(db):
    texts = {"k%d" % i: "请您对本次服务进行评价" * 4 for i in range(6)}
    cur = config.push(db, texts=texts, timeouts={"rate": 60})
    msgs = config.parts(cur, "政务服务大厅", "A01")
    assert len(msgs) == 2 and {m["ver"] for m in msgs} == {cur["version"]}
    # The national label set (1531 bytes) is the largest field: it goes alone.
    assert {"t": "cfg", "ver": cur["version"], "ls": cur["label_set"]} in msgs
    merged = {}
    for m in msgs:
        merged.update(m)
    assert merged["ls"] == cur["label_set"] and merged["tmo"] == {"rate": 60}
    assert merged["hall"] == "政务服务大厅" and merged["win"] == "A01"
    small = config.parts(config.push(db, texts={"thanks": "谢谢"}), "大厅", "A01")
    assert len(small) == 1 and small[0]["txt"] == {"thanks": "谢谢"}


def test_burst_is_within_one_boot_only(db):
    """The burst flag compares with the terminal's previous rating (by seq) of
    the same boot: after a reboot the monotonic clock starts again."""
    terminals.provision(db, "T1", "A01")
    a, b, c = invite(db, cs="C1"), invite(db, cs="C2"), invite(db, cs="C3")
    journal.record_rating(db, "T1", rating(1, a["eid"], bt=1, mt=90000))
    r = journal.record_rating(db, "T1", rating(2, b["eid"], cs="C2", bt=2, mt=90500))
    assert "burst" not in r["flags"]
    r = journal.record_rating(db, "T1", rating(3, c["eid"], cs="C3", bt=2, mt=91000))
    assert "burst" in r["flags"]
