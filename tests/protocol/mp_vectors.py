"""Checks protocol/vectors.json against the protocol package.

Runs unchanged on CPython and on MicroPython (tests/protocol/test_vectors.py starts
both), so the two interpreters are held to the same bytes.
Usage: mp_vectors.py PATH_TO_VECTORS_JSON
"""

import json
import sys

from protocol.codec import encode, decode
from protocol.errors import ProtocolError
from protocol.session import TerminalHandshake, HubHandshake, open_plain


def check_messages(v):
    n = 0
    for case in v["messages"]:
        raw = bytes.fromhex(case["hex"])
        got = decode(raw)
        assert got == case["message"], "%s: decoded %r" % (case["name"], got)
        assert encode(case["message"]) == raw, "%s: encoding differs" % case["name"]
        n += 1
    for case in v["bad_messages"]:
        raw = bytes.fromhex(case["hex"])
        try:
            got = decode(raw, case["direction"])
        except ProtocolError as e:
            want = case["error"]
            assert e.code == want["code"] and e.field == want["field"], \
                "%s: got %s/%s, want %s/%s" % (case["name"], e.code, e.field, want["code"], want["field"])
            assert str(e) == want["text"], "%s: text %r" % (case["name"], str(e))
            n += 1
            continue
        raise AssertionError("%s: accepted %r" % (case["name"], got))
    return n


def check_handshake(h):
    key = bytes.fromhex(h["device_key"])
    term = TerminalHandshake(h["device_id"], key, bytes.fromhex(h["dn"]), h["hello_info"], h["version"])
    hello = term.hello(h["hello_mid"])
    assert hello.hex() == h["hello"], "hello bytes differ"
    hub = HubHandshake(open_plain(hello, "up"), hello, key, bytes.fromhex(h["hn"]), h["version"])
    assert hub.challenge.hex() == h["chal"], "chal bytes differ"
    t_sess, auth = term.accept(open_plain(hub.challenge, "down"), h["auth_mid"])
    assert auth.hex() == h["auth"], "auth bytes differ"
    h_sess, _ = hub.accept(auth)
    assert t_sess.tag == h["tag"] == h_sess.tag
    assert t_sess.version == h_sess.version == h["version"]
    for case in h["sealed"]:
        sender, receiver = (t_sess, h_sess) if case["from"] == "terminal" else (h_sess, t_sess)
        packet = sender.seal(case["message"])
        assert packet.hex() == case["hex"], "sealed %s differs" % case["message"]["t"]
        assert receiver.open(packet) == case["message"]
    for case in h.get("refused", ()):
        receiver = h_sess if case["from"] == "terminal" else t_sess
        try:
            receiver.open(bytes.fromhex(case["hex"]))
        except ProtocolError as e:
            assert e.code == case["code"], "%s: got %s, want %s" % (case["name"], e.code, case["code"])
            continue
        raise AssertionError("%s: opened" % case["name"])
    return 3 + 2 * len(h["sealed"]) + len(h.get("refused", ()))


def check_link(v):
    if "frames" not in v:
        return 0
    from tests.protocol.link_vectors_check import check
    return check(v)


def main(path):
    with open(path) as f:
        v = json.load(f)
    n = check_messages(v) + check_handshake(v["handshake"]) + check_handshake(v["handshake_v2"]) \
        + check_link(v)
    print("vectors: %d passed, 0 failed" % n)
    return n


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/lib/protocol/vectors.json")
