"""The packets a journal record makes, in the record form of this firmware and
in the form firmware 0.1.0 wrote (the whole encoded message with seq and
org="live"): the hub sees exactly what 0.1.0 sent for the same event.

The whole path over a real journal, reboot and replay included, on MicroPython
and CPython: tests/firmware/mp_journal_old_records.py, run by
tests/firmware/test_session_micropython.py."""

import json

from hypothesis import given, strategies as st

from firmware.app import record
from protocol.codec import decode, encode
from protocol.session import HubHandshake, TerminalHandshake, open_plain
from tests.support.strategies import message

KEY = bytes(range(32))
events = st.sampled_from(["rating", "timeout"]).flatmap(message)


def terminal_session():
    # Protocol version 1, as firmware 0.1.0 spoke it: its seal has no counter,
    # so sealing the same message twice gives the same bytes to compare.
    hs = TerminalHandshake("T1", KEY, b"\x01" * 8, {"fw": "0.1.0", "board": "sim", "jd": 0}, 1)
    hello = hs.hello(1)
    hub = HubHandshake(open_plain(hello, "up"), hello, KEY, b"\x02" * 8, 1)
    session, _auth = hs.accept(open_plain(hub.challenge, "down"), 2)
    return session


SESSION = terminal_session()


def sent_by_0_1_0(old_payload, org, mid):
    """What firmware 0.1.0's link sealed for a journal record."""
    msg = decode(old_payload, "up")
    msg["org"] = org
    msg["mid"] = mid
    return SESSION.seal(msg)


def old_payload(event):
    """What firmware 0.1.0's terminal appended to the journal for EVENT."""
    msg = dict(event)
    msg.pop("mid", None)
    msg["org"] = "live"
    return encode(msg, "up")


@given(events, st.sampled_from(["live", "replay"]), st.integers(0, 2 ** 31 - 1))
def test_a_record_is_sent_as_firmware_0_1_0_sent_it(event, org, mid):
    seq = event["seq"]
    own = {k: v for k, v in event.items() if k not in ("seq", "org", "mid")}
    kept = record.payload(own, seq)
    assert set(json.loads(kept)) == set(own)                   # no send field on flash
    assert SESSION.seal(record.message(kept, seq, org, mid)) == \
        sent_by_0_1_0(old_payload(event), org, mid)


@given(events, st.sampled_from(["live", "replay"]), st.integers(0, 2 ** 31 - 1))
def test_a_record_written_by_0_1_0_is_sent_as_it_sent_it(event, org, mid):
    old = old_payload(event)
    assert SESSION.seal(record.message(old, event["seq"], org, mid)) == \
        sent_by_0_1_0(old, org, mid)
