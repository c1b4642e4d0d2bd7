"""A whole hall: 50 terminals on MQTT and 4 on serial, all running the real firmware,
rate continuously through a `pingjia hub` process that is killed with SIGKILL
mid-stream and restarted. Every invitation ends with exactly one stored rating,
visible through the API, every terminal's journal empties, and the provincial
platform ends up holding the same ratings."""

import os
import random
import signal
import sqlite3
import time

import httpx

from simulator.demo_parts import Citizens, DemoHall
SERIAL, MQTT = 4, 50


def stored(hall):
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(hall.data, "hub.sqlite3"), uri=True, timeout=10)
    try:
        return db.execute("SELECT COUNT(*) FROM ratings").fetchone()[0]
    finally:
        db.close()


def invite_every_window(client, hall, round_no):
    serials = []
    for i, window in enumerate(hall.windows):
        serial = "R%d-W%s-%06d" % (round_no, window, i)
        r = client.post("/api/v1/invitations", json={
            "window": window, "case_serial": serial, "matter_code": "330100001000",
            "matter_name": "个体工商户设立登记", "staff_id": "A01%02d" % i, "staff_name": "王芳",
            "applicant_kind": "person", "timeout_s": 600})
        assert r.status_code in (201, 202), r.text
        serials.append(serial)
    return serials


def run_citizens(citizens, until, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        citizens.step()
        if until():
            return True
        time.sleep(0.05)
    return False


def test_fifty_mqtt_and_four_serial_terminals_through_a_hub_kill_9(tmp_path):
    hall = DemoHall(str(tmp_path), SERIAL, MQTT, api_port=0)
    hub = None
    try:
        hall.start()
        hub = hall.start_hub()
        client = httpx.Client(base_url=hall.api, headers={"Authorization": "Bearer " + hall.token}, timeout=30)
        citizens = Citizens(hall.terminals, random.Random(5), walk_away=False, read_s=(0.2, 1.5))

        serials = invite_every_window(client, hall, 1)
        # Kill the hub while the first round is being rated.
        assert run_citizens(citizens, lambda: stored(hall) >= 15, 120), "no ratings reached the hub"
        os.kill(hub.pid, signal.SIGKILL)
        hub.wait()
        before_kill = stored(hall)
        # Citizens keep pressing while the hub is dead: their ratings wait in the
        # terminals' journals (serial) and the broker's persistent session (MQTT).
        run_citizens(citizens, lambda: False, 5)
        hub = hall.start_hub()
        # The next citizens step up once this round's are done: a new invitation
        # closes one still shown as superseded (at a real window too), and then that
        # case has no rating to count.
        assert run_citizens(citizens, lambda: stored(hall) >= len(serials), 240), \
            "round 1: stored %d of %d ratings after the restart" % (stored(hall), len(serials))
        serials += invite_every_window(client, hall, 2)
        total = len(serials)
        done = run_citizens(citizens, lambda: stored(hall) >= total, 240)
        assert done, "stored %d of %d ratings" % (stored(hall), total)
        assert before_kill < total

        r = client.get("/api/v1/ratings", params={"size": 200})
        assert r.status_code == 200
        body = r.json()
        assert body["total"] == total
        assert sorted(x["case_serial"] for x in body["items"]) == sorted(serials)

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(t.journal_depth() for t in hall.terminals):
            time.sleep(0.5)
        assert [t.device_id for t in hall.terminals if t.journal_depth()] == []

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and hall.platform.ledger.counts()["ratings"] < total:
            time.sleep(0.5)
        held = hall.platform.ledger.all_ratings()
        assert sorted(x["project_no"] for x in held) == sorted(serials)
        assert all(x["attempts"] >= 1 for x in held)
    finally:
        if hub is not None and hub.poll() is None:
            hub.terminate()
            hub.wait(30)
        hall.close()
