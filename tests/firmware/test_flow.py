"""The rating flow and the buttons, as a citizen and the hub would see them."""

import tempfile

from hypothesis import given, settings, strategies as st

from firmware.app.buttons import Debouncer, PressGuard
from firmware.app.config import Config
from firmware.app.flow import Flow, IDLE, INVITE, LABELS, THANKS
from protocol.codec import encode


def make_flow(tmo=None):
    cfg = Config(tempfile.mkdtemp())
    if tmo:
        cfg.apply({"ver": 1, "tmo": tmo})
    return Flow(cfg, PressGuard(cfg.timeout("read_ms")))


def inv(eid, to=30):
    return {"eid": eid, "win": "A01", "cs": "CS-" + eid, "mc": "M1", "mn": "个体工商户登记",
            "stf": "1001", "stn": "王芳", "to": to}


def records(fx):
    return [e[1] for e in fx if e[0] == "record"]


def screens(fx):
    return [e[1] for e in fx if e[0] == "screen"]


def wire(msg, seq=1):
    """The record as it would travel: checked by the protocol codec."""
    m = dict(msg, seq=seq, mt=1, org="live")
    return encode(m, "up")


def test_good_rating_goes_to_thanks_then_idle():
    f = make_flow()
    assert screens(f.invite(inv("e1"), 0)) == [INVITE]
    fx = f.press(0, 2000)
    assert [e[0] for e in fx] == ["record", "screen"] and screens(fx) == [THANKS]
    r = records(fx)[0]
    assert r["lv"] == 5 and r["eid"] == "e1" and r["dp"] == 2000 and "ff" not in r
    wire(r)
    assert f.tick(2000 + 2999) == []
    assert screens(f.tick(2000 + 3000)) == [IDLE]


def test_bad_rating_needs_a_label_then_records_it():
    f = make_flow()
    f.invite(inv("e1"), 0)
    fx = f.press(4, 1500)            # 非常不满意
    assert screens(fx) == [LABELS] and f.state == LABELS
    args = fx[0][2]
    assert args["level"] == 1 and [c for c, _ in args["items"]] == list(range(108, 116))
    assert records(f.press(3, 1600)) == [] and f.hint == "need_label"   # done with nothing
    f.press(1, 1700)                 # down
    f.press(2, 1800)                 # toggle the second label
    fx = f.press(3, 1900)            # done
    r = records(fx)[0]
    assert r["lv"] == 1 and r["lb"] == [109] and "oth" not in r
    wire(r)
    assert screens(fx) == [THANKS]


def test_other_finishes_a_bad_rating_without_labels():
    f = make_flow()
    f.invite(inv("e1"), 0)
    f.press(3, 1000)
    r = records(f.press(4, 1200))[0]
    assert r["lv"] == 2 and r["oth"] is True and "lb" not in r
    wire(r)


def test_fast_press_is_flagged_not_dropped():
    f = make_flow()
    f.invite(inv("e1"), 0)
    r = records(f.press(1, 200))[0]
    assert r["ff"] == ["fast"] and r["lv"] == 4
    wire(r)


def test_no_press_in_time_reports_timeout():
    f = make_flow()
    f.invite(inv("e1", to=10), 0)
    assert screens(f.tick(1000)) == [INVITE]        # countdown redraw
    assert f.tick(1500) == []                        # same second: nothing to redraw
    fx = f.tick(10000)
    assert records(fx) == [{"t": "timeout", "eid": "e1", "cs": "CS-e1"}]
    assert screens(fx) == [IDLE]
    wire(records(fx)[0])


def test_labels_left_unfinished_report_timeout_and_invent_nothing():
    f = make_flow({"labels": 20})
    f.invite(inv("e1"), 0)
    f.press(4, 1000)
    f.press(2, 2000)                 # chose a label, then walked away
    fx = f.tick(2000 + 20000)
    assert [r["t"] for r in records(fx)] == ["timeout"]


def test_cancel_at_every_step():
    for presses in ([], [3], [3, 2]):
        f = make_flow()
        f.invite(inv("e1"), 0)
        for b in presses:
            f.press(b, 1000)
        fx = f.cancel("e1", 2000)
        assert records(fx) == [] and screens(fx) == [IDLE] and f.state == IDLE
        assert f.tick(10 ** 7) == []
    f = make_flow()
    f.invite(inv("e1"), 0)
    f.press(0, 1000)
    assert f.cancel("e1", 1100) == [] and f.state == THANKS   # the rating stands
    assert f.cancel("other", 1100) == []


def test_new_invitation_supersedes_the_open_one():
    f = make_flow()
    f.invite(inv("e1"), 0)
    f.press(4, 1000)                 # in labels
    fx = f.invite(inv("e2"), 2000)
    # It says why: the hub records e1 as superseded, not as timed out.
    assert records(fx) == [{"t": "timeout", "eid": "e1", "cs": "CS-e1", "why": "sup"}]
    assert screens(fx) == [INVITE] and f.inv["eid"] == "e2"
    wire(records(fx)[0])
    fx = f.invite(inv("e3"), 3000)   # from the invitation screen as well
    assert records(fx) == [{"t": "timeout", "eid": "e2", "cs": "CS-e2", "why": "sup"}]


def test_resent_invitation_is_shown_once_and_rated_once():
    f = make_flow()
    f.invite(inv("e1"), 0)
    assert f.invite(inv("e1"), 500) == []
    f.press(2, 1000)
    assert f.invite(inv("e1"), 1500) == []
    f.tick(10 ** 6)
    assert f.invite(inv("e1"), 10 ** 6) == [] and f.state == IDLE


def test_presses_without_invitation_are_ignored_and_counted():
    f = make_flow()
    assert f.press(0, 0) == [] and f.press(1, 10) == []
    assert f.guard.ignored == 2


def test_debounce_makes_one_press_of_a_bouncing_contact():
    d = Debouncer(5, 30)
    edges = [(2, True, 100), (2, False, 101), (2, True, 102), (2, False, 103), (2, True, 104),
             (2, False, 180), (2, True, 200), (2, False, 260), (9, True, 300)]
    assert d.presses(edges) == [(2, 100), (2, 200)]


# -- properties -------------------------------------------------------------

ops = st.lists(st.one_of(
    st.tuples(st.just("inv"), st.integers(0, 3), st.integers(5, 40)),
    st.tuples(st.just("cancel"), st.integers(0, 3), st.just(0)),
    st.tuples(st.just("press"), st.integers(0, 4), st.just(0)),
    st.tuples(st.just("tick"), st.integers(0, 70000), st.just(0)),
), max_size=60)


@settings(max_examples=150, deadline=None)
@given(ops)
def test_flow_properties(seq):
    f = make_flow()
    now, n = 0, 0
    issued = []
    events = {}
    for op, a, b in seq + [("tick", 10 ** 8, 0)]:
        if op == "inv":
            if a == 0 or not issued:       # a new case
                n += 1
                eid = "e%d" % n
                issued.append(eid)
            else:                           # the hub resending a recent one
                eid = issued[-min(a, len(issued))]
            fx = f.invite(inv(eid, b), now)
        elif op == "cancel":
            fx = f.cancel(issued[-1] if issued else "x", now)
        elif op == "press":
            now += 1
            fx = f.press(a, now)
        else:
            now += a
            fx = f.tick(now)
        last = None
        for e in fx:
            if e[0] == "record":
                m = e[1]
                assert m["eid"] not in events, "two events for one invitation"
                events[m["eid"]] = m
                wire(m)                     # bad ratings carry a label or oth: codec checks
                if m["t"] == "rating" and m["lv"] <= 2:
                    assert m.get("lb") or m.get("oth")
            elif e[1] == THANKS:
                assert last is not None and last[0] == "record" and last[1]["t"] == "rating", \
                    "thanks shown before the rating was recorded"
            last = e
    assert f.state == IDLE


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.booleans(), st.integers(0, 50)), max_size=80))
def test_debounce_properties(raw):
    d = Debouncer(5, 30)
    t, edges = 0, []
    for b, down, dt in raw:
        t += dt
        edges.append((b, down, t))
    out = d.presses(edges)
    downs = sum(1 for b, down, _ in edges if down)
    assert len(out) <= downs
    last = {}
    for b, ms in out:
        assert b not in last or ms - last[b] >= 30
        last[b] = ms
