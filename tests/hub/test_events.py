"""The event log, written by the database's own triggers in the transaction
of each change, and GET /api/v1/events (server-sent events) reading it:
every state an invitation goes through, as the API shows the invitation,
resumable from Last-Event-ID or ?since=, filtered by type and window."""

import json
import threading
import time

import httpx
import pytest
import uvicorn

from hub import halltime
from hub.services import events, invitations, terminals
from hub.store import open_db, tx
from hub.store.schema_events import create_triggers
from hub.upstream import outbox
from hub.webhooks import payload
from simulator.ports import free_port
from tests.hub.test_ingest import connect, hub, invite  # noqa: F401 (fixture)
from tests.support.api import Api, make_config
from tests.support.poll import wait

TZ = halltime.zone_of(480)
PHONE = "13912345678"


def logged(db):
    return [(r["eid"], r["type"], json.loads(r["invitation"])["state"] if r["invitation"] else None)
            for r in events.after(db, 0)]


def test_every_state_change_is_an_event_with_the_invitation_as_it_was(hub):
    t = connect(hub)
    a = invite(hub, cs="C1", contact=PHONE)
    m = t.wait_for(lambda m: m["t"] == "inv" and m["eid"] == a["eid"])
    t.send({"t": "ack", "re": m["mid"]})
    wait(lambda: invitations.get(hub.db, a["eid"])["state"] == "shown", 5, "shown")
    seq = t.rating(a["eid"], "C1", lv=4)
    assert t.answer_for(seq)["t"] == "ack"
    b = invite(hub, cs="C2")
    t.send({"t": "timeout", "seq": 9, "eid": b["eid"], "cs": "C2", "mt": 1, "org": "live"})
    assert t.answer_for(9)["t"] == "ack"
    c = invite(hub, cs="C3")
    invitations.cancel(hub.db, c["eid"], "录错了")
    d = invite(hub, cs="C4", expire_s=10)
    invitations.expire_due(hub.db, now=time.time() * 1000 + 60_000)
    assert logged(hub.db) == [
        (a["eid"], "invitation.created", "queued"), (a["eid"], "invitation.shown", "shown"),
        (a["eid"], "invitation.rated", "rated"),
        (b["eid"], "invitation.created", "queued"), (b["eid"], "invitation.timed_out", "timed_out"),
        (c["eid"], "invitation.created", "queued"), (c["eid"], "invitation.cancelled", "cancelled"),
        (d["eid"], "invitation.created", "queued"), (d["eid"], "invitation.expired", "expired")]
    # The body is the invitation as GET /invitations/{id} shows it, rating included.
    rated = [r for r in events.after(hub.db, 0) if r["type"] == "invitation.rated"][0]
    body = payload.event_body(hub.db, rated, TZ)
    assert body["id"] == rated["id"] and body["at"].endswith("+08:00")
    inv = body["invitation"]
    assert inv["id"] == a["eid"] and inv["state"] == "rated" and inv["rating"]["level"] == 4
    assert inv["shown_at"].endswith("+08:00") and inv["has_contact"] is True
    assert PHONE not in json.dumps(body, ensure_ascii=False)
    assert not hub.db.execute("SELECT COUNT(*) FROM events WHERE invitation LIKE ?",
                              ("%" + PHONE + "%",)).fetchone()[0]
    # The snapshot is of that moment: the `shown` event still shows no rating.
    shown = [r for r in events.after(hub.db, 0) if r["type"] == "invitation.shown"][0]
    assert payload.event_body(hub.db, shown, TZ)["invitation"]["rating"] is None


def test_a_rating_refused_upstream_is_an_event_with_the_reason(hub):
    t = connect(hub)
    a = invite(hub, cs="C1")
    seq = t.rating(a["eid"], "C1", lv=1, lb=[101])
    assert t.answer_for(seq)["t"] == "ack"
    row = hub.db.execute("SELECT id FROM outbox WHERE kind = 'rating'").fetchone()
    outbox.settle(hub.db, [(row[0], "rejected", 0, "评价码不合法", None)], 0)
    outbox.settle(hub.db, [(row[0], "rejected", 0, "again", None)], 0)     # once, not twice
    rejected = events.after(hub.db, 0, types=(events.REJECTED,))
    assert len(rejected) == 1
    body = payload.event_body(hub.db, rejected[0], TZ)
    assert body["reason"] == "评价码不合法" and body["invitation"]["id"] == a["eid"]
    assert body["invitation"]["rating"]["level"] == 1


def test_a_rolled_back_change_leaves_no_event_and_triggers_can_be_made_again(tmp_path):
    db = open_db(str(tmp_path / "hub.sqlite3"))
    terminals.provision(db, "T1", "1")
    with pytest.raises(RuntimeError):
        with tx(db):
            invitations.create(db, "1", "C1", "M", "事项", staff_id="S", staff_name="张")
            raise RuntimeError("undo")
    assert events.last_id(db) == 0
    with tx(db):
        create_triggers(db.conn)          # what a later table-rebuilding step re-runs
    invitations.create(db, "1", "C1", "M", "事项", staff_id="S", staff_name="张")
    assert [r["type"] for r in events.after(db, 0)] == ["invitation.created"]


def test_type_names_short_and_long_and_a_bad_one_named():
    assert events.parse_types("rated, invitation.shown,rejected", "types") == (
        "invitation.rated", "invitation.shown", "rating.rejected")
    assert events.parse_types("", "types") is None
    with pytest.raises(Exception) as e:
        events.parse_types("rated,exploded", "types")
    assert e.value.field == "types" and "exploded" in e.value.message


# -- GET /api/v1/events -----------------------------------------------------------

@pytest.fixture
def served(tmp_path):
    """The API under a real uvicorn in a thread (an endless stream needs a real server)."""
    api = Api(make_config(tmp_path))
    api.db_call(terminals.provision, "T-12", "12")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(api.app, host="127.0.0.1", port=port,
                                           lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait(lambda: server.started, 10, "uvicorn started")
    api.base = "http://127.0.0.1:%d" % port
    api.db = open_db(api.cfg.db_path)
    yield api
    server.should_exit = True
    thread.join(10)
    api.db.close()
    api.ctx.close()


def make(api, n, window="12", start=0):
    return [invitations.create(api.db, window, "CS%d" % i, "M1", "事项", staff_id="S1",
                               staff_name="李明")["eid"] for i in range(start, start + n)]


def read_stream(api, count, params=None, headers=None, timeout=10):
    """The first COUNT events (id, type, data) of a stream, and the comments seen."""
    got, comments = [], []
    h = {"Authorization": "Bearer " + api.token}
    h.update(headers or {})
    with httpx.stream("GET", api.base + "/api/v1/events", params=params, headers=h,
                      timeout=timeout) as r:
        assert r.status_code == 200, r.read()
        assert r.headers["content-type"].startswith("text/event-stream")
        frame = {}
        for line in r.iter_lines():
            if line.startswith(":"):
                comments.append(line)
                if count == 0:
                    break
            elif line == "":
                if "id" in frame:
                    got.append((int(frame["id"]), frame["event"], json.loads(frame["data"])))
                    if len(got) >= count:
                        break
                frame = {}
            else:
                key, _, value = line.partition(":")
                frame[key] = value.lstrip(" ")
    return got, comments


def test_stream_resumes_after_last_event_id_and_since(served):
    eids = make(served, 3)
    first, _ = read_stream(served, 2, params={"since": 0})
    assert [(t, d["invitation"]["id"]) for _i, t, d in first] == [
        ("invitation.created", eids[0]), ("invitation.created", eids[1])]
    assert all(i == d["id"] for i, _t, d in first)
    last = first[-1][0]
    rest, _ = read_stream(served, 1, headers={"Last-Event-ID": str(last)})
    assert rest[0][2]["invitation"]["id"] == eids[2] and rest[0][0] == last + 1
    same, _ = read_stream(served, 1, params={"since": last})
    assert same == rest


def test_stream_without_a_resume_point_starts_with_the_next_event(served):
    make(served, 2)
    out = []
    reader = threading.Thread(target=lambda: out.append(read_stream(served, 1)[0]))
    reader.start()
    time.sleep(1.0)
    later = make(served, 1, start=10)
    reader.join(10)
    assert [d["invitation"]["id"] for _i, _t, d in out[0]] == later


def test_stream_filters_by_type_and_window(served):
    served.db_call(terminals.provision, "T-7", "7")
    a, = make(served, 1, window="12")
    b, = make(served, 1, window="7", start=5)
    invitations.cancel(served.db, a, "x")
    invitations.cancel(served.db, b, "x")
    got, _ = read_stream(served, 1, params={"since": 0, "types": "cancelled", "window": "7"})
    assert [(t, d["invitation"]["id"]) for _i, t, d in got] == [("invitation.cancelled", b)]


def test_stream_bad_input_is_422_naming_it(served):
    h = {"Authorization": "Bearer " + served.token}
    r = httpx.get(served.base + "/api/v1/events", headers=dict(h, **{"Last-Event-ID": "abc"}))
    assert r.status_code == 422 and r.json()["field"] == "Last-Event-ID"
    r = httpx.get(served.base + "/api/v1/events", params={"types": "nope"}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "types"
    assert httpx.get(served.base + "/api/v1/events").status_code == 401


def test_quiet_stream_sends_keep_alive_comments(served, monkeypatch):
    from hub.api.routers import events as route
    monkeypatch.setattr(route, "KEEPALIVE_S", 0.3)
    _got, comments = read_stream(served, 0)
    assert comments == [": keep-alive"]


def test_old_events_are_purged_unless_a_delivery_still_needs_them(tmp_path):
    from hub.services import webhooks
    db = open_db(str(tmp_path / "hub.sqlite3"))
    terminals.provision(db, "T1", "1")
    webhooks.set_subscription(db, "queue-system", "http://127.0.0.1:9/x")
    for i in range(3):
        invitations.create(db, "1", "C%d" % i, "M", "事项", staff_id="S", staff_name="张",
                           client="queue-system")
    webhooks.fan_out(db)
    first, second, _third = sorted(r["id"] for r in webhooks.deliveries(db))
    webhooks.settle(db, first, "delivered", 0, 200, None)
    webhooks.settle(db, second, "failed", 0, 500, "HTTP 500")
    later = time.time() * 1000 + events.KEEP_MS + 60_000
    assert events.purge(db, now=later) == 1        # delivered: gone; failed, pending: kept
    assert [r["id"] for r in events.after(db, 0)] == [2, 3]
    for d in (second, _third):
        webhooks.settle(db, d, "delivered", 0, 200, None)
    assert events.purge(db, now=later) == 2 and events.last_id(db) == 0
    invitations.create(db, "1", "C9", "M", "事项", staff_id="S", staff_name="张")
    assert [r["id"] for r in events.after(db, 0)] == [4]     # an id is never handed out twice
    db.close()


@pytest.mark.anyio
async def test_the_event_shows_the_invitation_exactly_as_get_does(api):
    """The trigger's snapshot must name every column the API's view reads
    (hub/store/schema_events.py _SNAPSHOT): a column added to invitations and
    shown by GET fails here until the snapshot has it too."""
    from tests.hub.test_api_invitations import INV
    r = await api.client.post("/api/v1/invitations", json=dict(INV, contact=PHONE))
    eid = r.json()["id"]
    await api.client.delete("/api/v1/invitations/" + eid)
    shown = (await api.client.get("/api/v1/invitations/" + eid)).json()
    last = api.db_call(lambda db: events.after(db, 0))[-1]
    body = api.db_call(payload.event_body, last, halltime.zone(api.cfg))
    assert body["type"] == "invitation.cancelled" and body["invitation"] == shown
