"""Superseded or timed out, seen from a terminal made of the protocol package
(tests/support/hub_peer.py) against the real ingest and SQLite: what the
hub makes of a `timeout` with and without `why`, and what it sends a
terminal that has several invitations of its window queued."""

from hub.services import invitations
from tests.hub.test_ingest import connect, hub, invite  # noqa: F401 (hub is a fixture)
from tests.support.hub_peer import INFO

NEW_FIRMWARE = dict(INFO, caps=INFO["caps"] + ["why"])


def state(hub, eid):
    hub.writer.call(lambda db: None)      # everything submitted so far is committed
    return invitations.get(hub.db, eid)


def shown(hub, t, cs, **kw):
    """Invite case CS; the terminal takes the `inv` and acks it -> the invitation."""
    inv = invite(hub, cs=cs, **kw)
    msg = t.wait_for(lambda m: m["t"] == "inv" and m["eid"] == inv["eid"])
    t.send({"t": "ack", "re": msg["mid"]})
    assert state(hub, inv["eid"])["state"] == "shown"
    return state(hub, inv["eid"])


def timeout(t, inv, **kw):
    t.seq += 1
    t.send(dict({"t": "timeout", "seq": t.seq, "eid": inv["eid"], "cs": inv["case_serial"],
                 "mt": 1, "org": "live"}, **kw))
    assert t.answer_for(t.seq) == {"t": "ack", "seq": t.seq}


def test_old_firmware_early_timeout_while_a_newer_invitation_is_out_is_superseded(hub):
    t = connect(hub)                                   # caps without `why`: older firmware
    a = shown(hub, t, "C-A", timeout_s=20)
    b = shown(hub, t, "C-B", timeout_s=20)             # it replaced A on the screen
    timeout(t, a)                                      # ... and A's timeout says nothing of why
    assert state(hub, a["eid"])["state"] == "superseded"
    assert state(hub, b["eid"])["state"] == "shown"


def test_old_firmware_timeout_without_a_newer_invitation_or_after_its_time_is_timed_out(hub):
    t = connect(hub)
    # Early (the reasons screen's own timeout), but nothing replaced it.
    a = shown(hub, t, "C-A", timeout_s=20)
    timeout(t, a)
    assert state(hub, a["eid"])["state"] == "timed_out"
    # Its 20 s had run (the terminal's clock says so) when a newer one crossed it.
    b = shown(hub, t, "C-B", timeout_s=20)
    shown(hub, t, "C-C", timeout_s=20)
    timeout(t, b, dt=b["shown_at"] + 20_000)
    assert state(hub, b["eid"])["state"] == "timed_out"


def test_new_firmware_is_taken_at_its_word(hub):
    t = connect(hub, info=dict(NEW_FIRMWARE))
    a = shown(hub, t, "C-A", timeout_s=20)
    b = shown(hub, t, "C-B", timeout_s=20)
    timeout(t, a)              # no why from a terminal that says why: a real timeout
    assert state(hub, a["eid"])["state"] == "timed_out"
    timeout(t, b, why="sup")
    assert state(hub, b["eid"])["state"] == "superseded"
    c = shown(hub, t, "C-C", timeout_s=20)
    timeout(t, c, why="lbl")   # a reason this hub does not know: a plain timeout
    assert state(hub, c["eid"])["state"] == "timed_out"


def test_queued_while_offline_only_the_newest_goes_and_the_others_are_superseded(hub):
    old = [invite(hub, cs="C%d" % n)["eid"] for n in range(3)]
    t = connect(hub)
    assert t.wait_for(lambda m: m["t"] == "inv")["eid"] == old[2]
    for eid in old[:2]:
        inv = state(hub, eid)
        assert inv["state"] == "superseded" and inv["shown_at"] is None
    assert not [m for m in t.seen if m["t"] == "inv"]


def test_an_invitation_not_yet_acked_is_cancelled_ahead_of_the_newer_one(hub):
    t = connect(hub)
    a = invite(hub, cs="C-A")
    sent_a = t.wait_for(lambda m: m["t"] == "inv" and m["eid"] == a["eid"])
    b = invite(hub, cs="C-B")                          # before the terminal acked A
    cancel = t.wait_for(lambda m: m["t"] in ("cancel", "inv"))      # the cancel comes first
    sent_b = t.wait_for(lambda m: m["t"] == "inv")
    assert (cancel["t"], cancel["eid"], sent_b["eid"]) == ("cancel", a["eid"], b["eid"])
    t.send({"t": "ack", "re": sent_a["mid"]})          # A's ack comes late
    t.send({"t": "ack", "re": sent_b["mid"]})
    assert state(hub, b["eid"])["state"] == "shown"
    inv_a = state(hub, a["eid"])
    assert inv_a["state"] == "superseded" and inv_a["shown_at"] is None
    # The case may be invited again: the citizen never got to rate it.
    assert invite(hub, cs="C-A")["state"] == "queued"
