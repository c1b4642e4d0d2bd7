"""Webhooks across a kill -9 of the hub: 100 invitations made through the API
and taken through their lives by protocol terminals over MQTT and by the API;
a receiver in the test process (127.0.0.1) gets every state change of every
invitation, signed, exactly as the API reports the invitations at the end —
none lost, duplicates only as the same event id.

The receiver answers 503 for a while around the kill, and 500 to the first
try of some events, so the deliveries at the kill are queued, in flight and
being retried all at once."""

import signal
import sqlite3
import threading
import uuid

from tests.support.api import pingjia
from tests.support.poll import wait
from tests.support.webhook_receiver import Receiver
from tests.system.test_hub_kill import respawn
from tests.system.test_uvicorn import MqttTerminal, RunningHub

N = 100
WINDOWS = ("1", "2", "3", "4")
# What each invitation goes through, by its number modulo 5.
PLANS = (("queued", "shown", "rated"), ("queued", "shown", "timed_out"),
         ("queued", "shown", "cancelled"), ("queued", "cancelled"), ("queued", "rated"))


def state_of(event_type):
    return "queued" if event_type == "invitation.created" else event_type.split(".", 1)[1]


class Hall:
    def __init__(self, hub, terminals):
        self.hub = hub
        self.terms = terminals
        self.planned = {}
        self.seq = {d: 0 for d in terminals}

    def get(self, eid):
        return self.hub.http.get("/api/v1/invitations/" + eid).json()

    def wait_state(self, eid, state):
        self.hub.wait(lambda: self.get(eid)["state"] == state, "%s %s" % (eid, state))

    def run(self, i):
        window = WINDOWS[i % len(WINDOWS)]
        t = self.terms["W" + window]
        plan = PLANS[i % len(PLANS)]
        body = {"window": window, "case_serial": "CS-%03d" % i, "visit": 1, "matter_code": "M001",
                "matter_name": "个体工商户设立登记", "staff_id": "A%02d" % i, "staff_name": "李明"}
        key = str(uuid.uuid4())
        r = self.hub.http.post("/api/v1/invitations", json=body, headers={"Idempotency-Key": key})
        assert r.status_code == 201, r.text
        again = self.hub.http.post("/api/v1/invitations", json=body,
                                   headers={"Idempotency-Key": key})      # a retry: nothing new
        assert again.status_code == 201 and again.json()["id"] == r.json()["id"]
        eid = r.json()["id"]
        self.planned[eid] = plan
        if plan[1] == "cancelled":
            assert self.hub.http.delete("/api/v1/invitations/" + eid).status_code == 200
            return
        inv = t.wait_for(lambda m: m["t"] == "inv" and m["eid"] == eid, timeout=15)
        if plan[1] == "shown":
            t.send({"t": "ack", "re": inv["mid"]})
            self.wait_state(eid, "shown")
        last = plan[-1]
        if last == "cancelled":
            assert self.hub.http.delete("/api/v1/invitations/" + eid).status_code == 200
            return
        self.seq[t.device_id] += 1
        seq = self.seq[t.device_id]
        if last == "rated":
            t.rating(eid, inv["cs"], lv=5 - i % 3, seq=seq)
        else:
            t.send({"t": "timeout", "seq": seq, "eid": eid, "cs": inv["cs"], "mt": 1,
                    "org": "live"})
        assert t.answer_for(seq, timeout=15)["t"] == "ack"
        self.wait_state(eid, last)


def events_in_db(db_path):
    conn = sqlite3.connect(db_path)
    try:
        return dict(conn.execute("SELECT id, eid FROM events"))
    finally:
        conn.close()


def test_every_state_change_reaches_the_receiver_across_a_kill_9(tmp_path, mosquitto):
    hold = threading.Event()          # set: the receiver answers 503
    first_try = set()

    def fail(req):
        if hold.is_set():
            return 503
        ev = req["body"]["id"]
        if ev % 7 == 0 and ev not in first_try:
            first_try.add(ev)
            return 500
        return None
    rx = Receiver(fail=fail, delay_s=0.02)
    devices = [("W" + w, w) for w in WINDOWS]
    hub = RunningHub(tmp_path, mosquitto, devices=devices,
                     extra="[webhooks]\nretry_cap_s = 2\n")
    terms = {}
    try:
        r = pingjia("webhooks", "set", "queue-system", rx.url, "--config", str(hub.config_path))
        assert r.returncode == 0, r.stderr
        rx.secret = r.stdout.strip()
        hub.wait(lambda: hub.health()["parts"].get("mqtt", {}).get("state") == "ok", "mqtt ok")
        for d, _w in devices:
            terms[d] = MqttTerminal(mosquitto, d, hub.keys[d])
            assert terms[d].handshake(timeout=15)["t"] == "ack"
        hall = Hall(hub, terms)
        for i in range(N // 2 - 10):
            hall.run(i)
        hold.set()                    # the receiver fails; the queue builds up
        for i in range(N // 2 - 10, N // 2):
            hall.run(i)
        hub.proc.send_signal(signal.SIGKILL)
        hub.proc.wait(10)
        hub.log_file.close()
        before = len(rx.delivered())
        respawn(hub)
        hold.clear()
        for t in terms.values():
            assert t.handshake(timeout=15)["t"] == "ack"
        for i in range(N // 2, N):
            hall.run(i)

        logged = events_in_db(hub.db_path)
        assert before < len(logged), "nothing was left to deliver at the kill"
        hub.wait(lambda: {d["body"]["id"] for d in rx.delivered()} >= set(logged),
                 "every event delivered", timeout=90)
        got = rx.delivered()
        assert all(d["verified"] for d in rx.got), "a signature did not verify"
        by_id = {}
        for d in got:                 # a duplicate is the same event, byte for byte in meaning
            by_id.setdefault(d["body"]["id"], d["body"])
            assert by_id[d["body"]["id"]] == d["body"]
            assert d["headers"]["Pingjia-Event-Id"] == str(d["body"]["id"])
        assert set(by_id) == set(logged)
        assert len(hall.planned) == N
        for eid, plan in hall.planned.items():
            mine = [by_id[i] for i in sorted(by_id) if by_id[i]["invitation"]["id"] == eid]
            assert tuple(state_of(b["type"]) for b in mine) == plan, (eid, mine)
            assert [b["invitation"]["state"] for b in mine] == list(plan)
            assert mine[-1]["invitation"] == hall.get(eid)
    finally:
        for t in terms.values():
            t.close()
        hub.stop()
        rx.close()
