"""Builds protocol/vectors.json, the test vectors of PROTOCOL.md.

Run `python -m tests.protocol.vectors_gen` after a deliberate change to the wire
format; tests/protocol/test_vectors.py fails while the committed file and this generator
disagree, so the vectors never drift from the code.
"""

import json
import os
import sys

from protocol import domain
from protocol.codec import encode
from protocol.errors import ProtocolError
from protocol.codec import decode
from protocol.catalogue import MESSAGES, BOTH, UP
from protocol.session import TerminalHandshake, HubHandshake, open_plain

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                   "protocol", "vectors.json")

KEY = bytes(range(32))
DN = bytes.fromhex("0123456789abcdef")
HN = bytes.fromhex("fedcba9876543210")

INVITE = {"t": "inv", "mid": 17, "eid": "E20261122-0042", "win": "12", "cs": "3301062026112200042",
          "mc": "330106001000-ZJ-001", "mn": "个体工商户设立登记（含名称自主申报）", "stf": "A0371", "stn": "张敏",
          "to": 60, "lsv": 1}
RATING = {"t": "rating", "seq": 483, "eid": "E20261122-0042", "cs": "3301062026112200042", "lv": 2,
          "lb": [207, 213], "lsv": 1, "dp": 5320, "dt": 1795342812345, "mt": 7234512, "bt": 31, "org": "live"}

GOOD = [
    ("hello", {"t": "hello", "mid": 1, "dev": "ZJ-W12-A", "fw": "0.1.0", "board": "esp32s3-ref", "pv": 1,
               "caps": ["uart", "printer", "qr"], "jd": 2, "cv": 4, "dn": DN.hex()}),
    ("invitation with a Chinese matter name", INVITE),
    ("bad rating with two labels", RATING),
    ("very satisfied, replayed from the journal", dict(RATING, seq=484, lv=5, lb=[517], dp=1800, org="replay")),
    ("very dissatisfied with explicit other", dict(RATING, seq=485, lv=1, lb=[], oth=True, ff=["fast"])),
    ("timeout", {"t": "timeout", "seq": 486, "eid": "E20261122-0043", "cs": "3301062026112200043",
                 "mt": 7299001, "org": "live"}),
    ("timeout of an invitation a newer one replaced", {"t": "timeout", "seq": 487, "eid": "E20261122-0044",
                                                        "cs": "3301062026112200044", "why": "sup",
                                                        "dt": 1795342899000, "mt": 7302001, "org": "live"}),
    ("ack of a stored rating", {"t": "ack", "seq": 483}),
    ("ack of a duplicate", {"t": "ack", "seq": 483, "dup": True}),
    ("ack of three records stored by one commit", {"t": "ack", "seq": 483, "more": [484, 486]}),
    ("nack with reason", {"t": "nack", "re": 17, "code": "paper_out", "msg": "打印机缺纸", "perm": False}),
    ("heartbeat", {"t": "hb", "up": 86400, "heap": 61234, "jd": 0, "lq": 98, "pr": "ok", "scr": "idle", "ign": 3}),
    ("cancel", {"t": "cancel", "mid": 18, "eid": "E20261122-0042", "why": "办件撤回"}),
    ("config with the national label set", {"t": "cfg", "mid": 19, "ver": 5, "hall": "杭州市西湖区市民之家",
                                            "win": "12", "ls": domain.national_label_set(),
                                            "txt": {"thanks": "感谢您的评价！"}, "tmo": {"thanks": 3, "rate": 60},
                                            "bri": 80}),
    ("time sync", {"t": "time", "now": 1795342800000, "tz": 480}),
    ("staff on duty", {"t": "duty", "mid": 20, "st": "on", "win": "12", "stf": "A0371", "stn": "张敏"}),
    ("window paused", {"t": "duty", "mid": 21, "st": "pause"}),
    ("print receipt", {"t": "print", "mid": 22, "eid": "E20261122-0043", "cs": "3301062026112200043",
                       "title": "政务服务评价", "lines": ["事项：个体工商户设立登记", "请在7日内扫码评价"],
                       "qr": "https://hub.example/r/E20261122-0043.Zm9vYmFy"}),
    ("reboot", {"t": "reboot", "mid": 23, "why": "固件升级"}),
]


def jbody(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


BAD = [
    ("truncated JSON", b'{"t":"rating","seq":1'),
    ("not UTF-8", b'{"t":"hb","scr":"\xff"}'),
    ("not an object", b'[1,2,3]'),
    ("no type", b'{"mid":1}'),
    ("unknown type with mid", b'{"t":"hologram","mid":41}'),
    ("missing case serial", jbody({k: v for k, v in RATING.items() if k != "cs"})),
    ("level out of range", jbody(dict(RATING, lv=6))),
    ("level as a boolean", b'{"t":"rating","seq":1,"eid":"E","cs":"C","lv":true,"dp":1,"mt":1,"org":"live"}'),
    ("level as a float", b'{"t":"rating","seq":1,"eid":"E","cs":"C","lv":5.0,"dp":1,"mt":1,"org":"live"}'),
    ("label of another level", jbody(dict(RATING, lb=[207, 510]))),
    ("bad rating without a reason", jbody(dict(RATING, lb=[]))),
    ("label listed twice", jbody(dict(RATING, lb=[207, 207]))),
    ("too many labels", jbody(dict(RATING, lv=5, lb=[510, 511, 512, 513, 514, 515, 516, 517, 510]))),
    ("control character in matter name", jbody(dict(INVITE, mn="个体\n工商户"))),
    ("matter name too long", jbody(dict(INVITE, mn="登" * 121))),
    ("space in case serial", jbody(dict(INVITE, cs="3301 06"))),
    ("invitation without mid", jbody({k: v for k, v in INVITE.items() if k != "mid"})),
    ("ack naming nothing", b'{"t":"ack"}'),
    ("ack with more but no seq", b'{"t":"ack","re":3,"more":[484]}'),
    ("device id with a slash", jbody({"t": "hello", "mid": 1, "dev": "W/12", "fw": "1", "board": "b", "pv": 1,
                                       "jd": 0, "dn": DN.hex()})),
    ("nonce in upper case", jbody({"t": "hello", "mid": 1, "dev": "W12", "fw": "1", "board": "b", "pv": 1,
                                    "jd": 0, "dn": DN.hex().upper()})),
    ("C1 control character (U+0085) in matter name", jbody(dict(INVITE, mn="个体\u0085工商户"))),
    ("C1 control character (U+009B) in a label text", jbody({"t": "cfg", "mid": 19, "ver": 5,
                                                             "ls": {"v": 1, "l": [[510, "一窗\u009b受理"]]}})),
    ("label set without its version", jbody({"t": "cfg", "mid": 19, "ver": 5, "ls": {"l": [[510, "一窗受理"]]}})),
    ("mid out of range", jbody(dict(INVITE, mid=-4))),
    ("timeout reason longer than a token of 8", b'{"t":"timeout","seq":1,"eid":"E","cs":"C","why":"superseded",'
                                                b'"mt":1,"org":"live"}'),
    # §2.2: nesting deeper than MAX_DEPTH (8) is malformed before the JSON is parsed,
    # even in a field the receiver would drop; 8 levels still parse.
    ("nesting 9 deep in an unknown field", b'{"t":"hb","up":1,"heap":1,"jd":0,"x":[[[[[[[[1]]]]]]]]}'),
    ("2 KB of open brackets", (b'{"t":"hb","x":' + b"[" * 2048)[:2048]),
    ("kind and length both wrong: the kind wins", b'{"t":"hb","up":"%s","heap":1,"jd":0}' % (b"9" * 40)),
    ("a missing field before a bad one: table order decides", b'{"t":"hb","heap":-1}'),
]


def direction_of(raw):
    """The direction a bad vector is read in: the one its type travels, so
    that the error is the one the vector is about, not wrong_direction; a
    type of both directions or none is read as the hub reads (up)."""
    try:
        t = json.loads(raw.decode("utf-8")).get("t")
    except (ValueError, AttributeError, RecursionError):
        return UP
    d = MESSAGES[t][0] if t in MESSAGES else BOTH
    return UP if d == BOTH else d


def error_of(raw, direction):
    try:
        decode(raw, direction)
    except ProtocolError as e:
        return {"code": e.code, "field": e.field, "text": str(e)}
    raise SystemExit("vector was accepted: %r" % raw)


def handshake(version):
    """The transcript of §5.6 in protocol VERSION (both ends speak it)."""
    info = {"fw": "0.1.0", "board": "esp32s3-ref", "jd": 1}
    term = TerminalHandshake("ZJ-W12-A", KEY, DN, info, version)
    hello = term.hello(mid=1)
    hub = HubHandshake(open_plain(hello, "up"), hello, KEY, HN, version)
    t_sess, auth = term.accept(open_plain(hub.challenge, "down"), auth_mid=2)
    h_sess, _ = hub.accept(auth)
    ack = {"t": "ack", "seq": 483}
    out = {
        "version": version,
        "device_id": "ZJ-W12-A", "device_key": KEY.hex(), "dn": DN.hex(), "hn": HN.hex(),
        "hello_info": info, "hello_mid": 1, "auth_mid": 2,
        "hello": hello.hex(), "chal": hub.challenge.hex(), "auth": auth.hex(), "tag": t_sess.tag,
    }
    if version < 2:
        out["sealed"] = [
            {"from": "terminal", "message": RATING, "hex": t_sess.seal(RATING).hex()},
            {"from": "hub", "message": ack, "hex": h_sess.seal(ack).hex()},
        ]
        return out
    # v2: counters. The hub's first packet is the ack of the auth (counter 1);
    # the terminal's rating is its second (the auth was 1).
    sealed = [("hub", {"t": "ack", "re": 2}), ("terminal", RATING), ("hub", ack),
              ("hub", {"t": "time", "now": 1795342800000, "tz": 480}),
              ("terminal", {"t": "hb", "up": 86400, "heap": 61234, "jd": 0})]
    out["sealed"] = [{"from": who, "message": m, "hex": (t_sess if who == "terminal" else h_sess)
                      .seal(m).hex()} for who, m in sealed]
    # What the receiver refuses after taking every packet of `sealed` in order.
    v1_term = TerminalHandshake("ZJ-W12-A", KEY, DN, info, 1)
    v1_hello = v1_term.hello(mid=1)
    v1_hub = HubHandshake(open_plain(v1_hello, "up"), v1_hello, KEY, HN, 1)
    v1_sess, _ = v1_term.accept(open_plain(v1_hub.challenge, "down"), auth_mid=2)
    out["refused"] = [
        {"name": "the rating sent again", "from": "terminal", "hex": out["sealed"][1]["hex"],
         "code": "replayed"},
        {"name": "the time sync sent again", "from": "hub", "hex": out["sealed"][3]["hex"],
         "code": "replayed"},
        {"name": "the auth sent again", "from": "terminal", "hex": auth.hex(), "code": "replayed"},
        {"name": "the rating sealed as version 1", "from": "terminal",
         "hex": v1_sess.seal(RATING).hex(), "code": "bad_seal"},
    ]
    return out


def build():
    from tests.protocol.vectors_gen_link import link_vectors
    hs = handshake(1)
    return {
        "about": "Test vectors of the pingjia terminal-hub protocol, see PROTOCOL.md. Generated by tests/protocol/vectors_gen.py.",
        "messages": [{"name": n, "text": encode(m).decode(), "hex": encode(m).hex(), "message": m} for n, m in GOOD],
        "bad_messages": [dict({"name": n, "direction": direction_of(raw), "hex": raw.hex()},
                              error=error_of(raw, direction_of(raw))) for n, raw in BAD],
        "handshake": hs,
        "handshake_v2": handshake(2),
        **link_vectors(hs["sealed"]),
    }


def main():
    text = json.dumps(build(), ensure_ascii=False, indent=1, sort_keys=False) + "\n"
    if "--check" in sys.argv:
        with open(OUT, encoding="utf-8") as f:
            return 0 if f.read() == text else 1
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    print("wrote", OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
