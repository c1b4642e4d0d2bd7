"""The message layer: every type round-trips, bad input gets a named error."""

import json

import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

from protocol import MAX_PACKET
from protocol.catalogue import MESSAGES
from protocol.codec import encode, decode
from protocol.errors import ProtocolError
from tests.support.strategies import message, any_message

RATING = {"t": "rating", "seq": 7, "eid": "E20261122-0001", "cs": "3301002026112200001",
          "lv": 2, "lb": [207, 213], "dp": 4200, "mt": 81234, "org": "live"}


def body(**fields):
    return json.dumps(fields, ensure_ascii=False).encode()


@pytest.mark.parametrize("mtype", sorted(MESSAGES))
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_type_round_trips_and_encodes_one_way(mtype, data):
    msg = data.draw(message(mtype))
    wire = encode(msg)
    assert decode(wire) == msg
    # One byte form: re-encoding what was decoded gives the same bytes.
    assert encode(decode(wire)) == wire
    # Compact: no spaces outside strings, fields in catalogue order.
    assert wire.startswith(b'{"t":"%s"' % mtype.encode())


@settings(max_examples=400)
@given(st.binary(max_size=300))
def test_random_bytes_give_a_message_or_a_protocol_error(raw):
    try:
        decode(raw)
    except ProtocolError as e:
        assert e.code and e.detail


@settings(max_examples=300)
@given(any_message, st.data())
def test_a_field_of_the_wrong_type_is_named(msg, data):
    fields = [k for k in msg if k != "t"]
    if not fields:
        return
    key = data.draw(st.sampled_from(fields))
    bad = dict(msg)
    wrong = data.draw(st.sampled_from([None, 1.5, {"x": 1}, "x" * 400, -(2 ** 63), [[]]]))
    if type(wrong) is type(msg[key]):
        return
    bad[key] = wrong
    with pytest.raises(ProtocolError) as err:
        decode(body(**bad))
    assert err.value.field.split(".")[0].split("[")[0] == key or err.value.code in ("bad_label", "need_label")
    assert err.value.mtype == msg["t"]


def test_label_from_another_level_is_refused_with_the_reason():
    with pytest.raises(ProtocolError) as err:
        decode(body(**dict(RATING, lb=[207, 510])))
    assert err.value.code == "bad_label"
    assert err.value.field == "lb"
    assert "510" in str(err.value) and "level 5" in str(err.value)


@pytest.mark.parametrize("level", [1, 2])
def test_bad_rating_needs_a_label_or_explicit_other(level):
    with pytest.raises(ProtocolError) as err:
        decode(body(**dict(RATING, lv=level, lb=[])))
    assert err.value.code == "need_label"
    ok = decode(body(**dict(RATING, lv=level, lb=[], oth=True)))
    assert ok["oth"] is True


@pytest.mark.parametrize("level", [3, 4, 5])
def test_good_rating_needs_no_label(level):
    assert decode(body(**dict(RATING, lv=level, lb=[])))["lv"] == level


def test_unknown_fields_are_ignored_and_dropped():
    msg = decode(body(**dict(RATING, lb=[207], future_field={"a": 1}, x=3)))
    assert "future_field" not in msg and msg["lb"] == [207]


def test_unknown_type_keeps_the_mid_for_the_nack():
    with pytest.raises(ProtocolError) as err:
        decode(b'{"t":"hologram","mid":41,"x":1}')
    assert err.value.code == "unknown_type" and err.value.mid == 41


def test_an_out_of_range_mid_is_not_kept_so_the_nack_encodes():
    with pytest.raises(ProtocolError) as err:
        decode(body(**dict(RATING, mid=-4)))
    assert err.value.code == "bad_value" and err.value.field == "mid"
    assert err.value.mid is None and err.value.seq == 7


@settings(max_examples=300)
@given(st.sampled_from(["rating", "timeout", "ack", "inv", "hologram"]),
       st.one_of(st.integers(-2 ** 40, 2 ** 40), st.sampled_from([0, 1, 2 ** 31 - 1, 2 ** 31, -1]),
                 st.none(), st.booleans(), st.text(max_size=3), st.floats(allow_nan=False)),
       st.one_of(st.integers(-2 ** 40, 2 ** 40), st.sampled_from([0, 1, 2 ** 31 - 1, 2 ** 31]),
                 st.none(), st.booleans(), st.text(max_size=3)),
       st.booleans())
def test_any_refused_message_gives_ids_a_nack_can_carry(mtype, mid, seq, break_it):
    """Whatever mid and seq a bad packet holds, the error keeps them only when
    a nack can name them: nack(re=e.mid, seq=e.seq) always encodes."""
    raw = dict(RATING, t=mtype)
    for k, v in (("mid", mid), ("seq", seq)):
        if v is not None:
            raw[k] = v
        else:
            raw.pop(k, None)
    if break_it:
        raw["lv"] = "five"
    try:
        decode(body(**raw), "up")
        return
    except ProtocolError as e:
        err = e
    valid_mid = type(mid) is int and 0 <= mid <= 2 ** 31 - 1
    assert err.mid == (mid if valid_mid else None)
    valid_seq = type(seq) is int and 1 <= seq <= 2 ** 31 - 1 and mtype in ("rating", "timeout")
    assert err.seq == (seq if valid_seq else None)
    nack = {"t": "nack", "code": err.code, "msg": str(err)[:160], "perm": True}
    if err.seq is not None:
        nack["seq"] = err.seq
    nack["re"] = err.mid if err.mid is not None else 0
    assert decode(encode(nack, "down"), "down")["code"] == err.code


@pytest.mark.parametrize("raw, code, field", [
    (b'{"t":"rating"', "malformed", None),
    (b'\xff\xfe{}', "malformed", None),
    (b'[1,2]', "malformed", None),
    (b'{"mid":1}', "missing_field", "t"),
    (body(**{k: v for k, v in RATING.items() if k != "cs"}), "missing_field", "cs"),
    (body(**dict(RATING, lv=6)), "bad_value", "lv"),
    (body(**dict(RATING, lv=True)), "bad_type", "lv"),
    (body(**dict(RATING, lv=2.0)), "bad_type", "lv"),
    (body(**dict(RATING, seq=0)), "bad_value", "seq"),
    (body(**dict(RATING, org="later")), "bad_value", "org"),
    (body(**dict(RATING, lb=[207, 207])), "bad_value", "lb"),
    (body(**dict(RATING, lb=[207] * 9)), "bad_value", "lb"),
    (body(**dict(RATING, cs="办件 1")), "bad_value", "cs"),
    (body(t="inv", mid=1, eid="E1", win="12", cs="C1", mc="M1", mn="名\n称", stf="007", stn="张三", to=60), "bad_value", "mn"),
    (body(t="inv", mid=1, eid="E1", win="12", cs="C1", mc="M1", mn="名" * 121, stf="007", stn="张三", to=60), "bad_value", "mn"),
    (body(t="inv", eid="E1", win="12", cs="C1", mc="M1", mn="名", stf="007", stn="张三", to=60), "missing_field", "mid"),
    (body(t="hello", mid=1, dev="W/12", fw="1", board="b", pv=1, jd=0, dn="00" * 8), "bad_value", "dev"),
    (body(t="ack"), "missing_field", "re"),
    (body(t="cfg", mid=1, ver=1, ls={"v": 1, "l": [[510, "好"], [510, "又好"]]}), "bad_value", "ls.l[1]"),
    (body(t="cfg", mid=1, ver=1, ls={"v": 1, "l": [[610, "好"]]}), "bad_value", "ls.l[0][0]"),
])
def test_bad_messages_get_a_named_error(raw, code, field):
    with pytest.raises(ProtocolError) as err:
        decode(raw)
    assert err.value.code == code
    assert err.value.field == field
    assert str(err.value)


@pytest.mark.parametrize("ch", ["\x80", "\x85", "\x9b", "\x9f"])
def test_text_refuses_c1_controls_like_c0(ch):
    for raw in (body(t="cancel", mid=1, eid="E1", why="撤回" + ch),
                body(t="cfg", mid=1, ver=1, ls={"v": 1, "l": [[510, "好" + ch]]})):
        with pytest.raises(ProtocolError) as err:
            decode(raw, "down")
        assert err.value.code == "bad_value" and "U+%04X" % ord(ch) in str(err.value)
    with pytest.raises(ProtocolError):
        encode({"t": "print", "mid": 2, "title": "回执", "lines": ["第一行", ch]}, "down")
    # Just outside the range: DEL's neighbour ~ and the first printable after C1.
    assert decode(body(t="cancel", mid=1, eid="E1", why="~\xa0é"), "down")["why"] == "~\xa0é"


@pytest.mark.parametrize("ls, field, code", [
    ({"l": [[510, "好"]]}, "ls.v", "missing_field"),
    ({"v": 1}, "ls.l", "missing_field"),
    ({"v": None, "l": []}, "ls.v", "bad_type"),
    ({"v": 1, "l": None}, "ls.l", "bad_type"),
])
def test_label_set_missing_parts_are_missing_not_mistyped(ls, field, code):
    with pytest.raises(ProtocolError) as err:
        decode(body(t="cfg", mid=1, ver=1, ls=ls), "down")
    assert (err.value.code, err.value.field, err.value.mid) == (code, field, 1)


def test_oversized_packet_is_refused_before_parsing():
    with pytest.raises(ProtocolError) as err:
        decode(b"{" + b" " * MAX_PACKET + b"}")
    assert err.value.code == "too_large"


def test_direction_is_enforced_when_asked():
    wire = encode(RATING)
    assert decode(wire, "up")["seq"] == 7
    with pytest.raises(ProtocolError) as err:
        decode(wire, "down")
    assert err.value.code == "wrong_direction"


def test_encode_refuses_what_decode_would_refuse():
    with pytest.raises(ProtocolError) as err:
        encode(dict(RATING, lb=[510]))
    assert err.value.code == "bad_label"


def test_typical_rating_is_small():
    wire = encode(dict(RATING, dt=1795356323123, bt=12, lsv=1))
    assert len(wire) < 200, len(wire)


# -- size of cfg and its label set --------------------------------------------------

def _worst_cfg_without_ls():
    """A cfg with every field but ls, txt and tmo at its largest bytes."""
    astral = "\U00020000"                     # 4 bytes of UTF-8 each, the most a character takes
    return {"t": "cfg", "mid": 2147483647, "ver": 2147483647, "hall": astral * 32,
            "win": "W" * 16, "bri": 100}


def test_a_cfg_with_any_accepted_label_set_fits_a_sealed_packet():
    from protocol.catalogue import MAX_LABEL_SET_BYTES
    from protocol.session import SEAL_LEN
    rest = encode(_worst_cfg_without_ls(), "down")
    # The label set goes in as ,"ls":{...}: 6 bytes plus its own JSON.
    assert len(rest) + 6 + MAX_LABEL_SET_BYTES + SEAL_LEN <= MAX_PACKET


def test_the_national_label_set_fits_with_every_other_small_field():
    from protocol import domain
    from protocol.catalogue import MAX_LABELS_IN_SET, MAX_LABEL_TEXT
    ls = domain.national_label_set()
    assert len(ls["l"]) <= MAX_LABELS_IN_SET
    assert max(len(t) for _c, t in ls["l"]) <= MAX_LABEL_TEXT      # the longest is 18
    wire = encode(dict(_worst_cfg_without_ls(), ls=ls), "down")
    assert decode(wire, "down")["ls"] == ls


def test_a_label_set_over_its_byte_limit_says_what_to_shorten():
    ls = {"v": 2, "l": [[100 + i, "办" * 24] for i in range(64)]}    # about 5 KB
    with pytest.raises(ProtocolError) as err:
        encode({"t": "cfg", "mid": 1, "ver": 2, "ls": ls}, "down")
    assert err.value.code == "bad_value" and err.value.field == "ls"
    from protocol.catalogue import MAX_LABEL_SET_BYTES
    assert str(MAX_LABEL_SET_BYTES) in str(err.value) and "shorten" in str(err.value)


def test_too_large_names_the_largest_field():
    msg = {"t": "cfg", "mid": 1, "ver": 2, "hall": "大厅",
           "txt": {"t%d" % i: "谢谢您的评价" * 20 for i in range(30)}}
    with pytest.raises(ProtocolError) as err:
        encode(msg, "down")
    e = err.value
    assert (e.code, e.field, e.mtype, e.mid) == ("too_large", "txt", "cfg", 1)
    assert "cfg.txt:" in str(e) and "largest field txt" in str(e)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x2FFFF), max_size=30))
def test_text_check_on_utf8_bytes_refuses_exactly_the_control_characters(text):
    from protocol.fields import check_text
    bad = [c for c in text if ord(c) < 32 or 127 <= ord(c) <= 159 or 0xD800 <= ord(c) <= 0xDFFF]
    if bad:
        with pytest.raises(ProtocolError):
            check_text("f", text, 0, 100)
    else:
        assert check_text("f", text, 0, 100) == text
