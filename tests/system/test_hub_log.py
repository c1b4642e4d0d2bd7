"""The log of `pingjia hub` at log_level "info", as hall IT reads it: the hub's own
lines, not one per upstream request; no broker warning when the broker is up;
a client's refusal is an INFO line with its code, not a writer failure, and
leaves /api/v1/health ok."""

import sqlite3

from simulator.province.server import ProvincePlatform
from tests.support.upstream import Hall, SM4
from tests.system.test_uvicorn import RunningHub

UPSTREAM = ('[upstream]\nadapter = "zhejiang"\nurl = "%s/zj/offlinereport.do"\narea_code = "330100"\n'
            'dept_code = "91330100MA27XL0E1D"\n[upstream.options]\nusername = "hall-user"\n'
            'password = "hall-pass"\narea_name = "杭州市"\npro_depart = "杭州市市场监督管理局"\n')


def accepted(db_path):
    conn = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True, timeout=10)
    try:
        return conn.execute("SELECT COUNT(*) FROM outbox WHERE state = 'accepted'").fetchone()[0]
    finally:
        conn.close()


def test_an_info_log_is_the_hubs_own(tmp_path, mosquitto):
    platform = ProvincePlatform(area_code="330100", sm4_key=SM4).start()
    hub = None
    try:
        hub = RunningHub(tmp_path, mosquitto, devices=[("T-1", "12")], log_level="info",
                         extra=UPSTREAM % platform.url)
        hall = Hall(hub.db_path, window="12", device="T-1")
        hall.rated_cases(3)
        hall.db.close()
        hub.wait(lambda: accepted(hub.db_path) == 6, "3 cases and 3 ratings accepted upstream",
                 timeout=30)
        body = {"window": "12", "case_serial": "CS-LOG", "matter_code": "M1",
                "matter_name": "个体工商户设立登记", "staff_id": "A1", "staff_name": "李明"}
        assert hub.http.post("/api/v1/invitations", json=body).status_code == 202
        dup = hub.http.post("/api/v1/invitations", json=body)
        assert dup.status_code == 409 and dup.json()["error"] == "duplicate_visit"
        hub.wait(lambda: hub.health()["parts"]["mqtt"]["state"] == "ok", "mqtt ok")
        health = hub.health()
        assert health["parts"]["ingest"]["state"] == "ok", health
    finally:
        rc = hub.stop() if hub is not None else None
        platform.stop()
    log = hub.log()
    assert rc == 0, log
    assert "httpx" not in log and "httpcore" not in log and "HTTP Request" not in log, log
    assert " WARNING " not in log and " ERROR " not in log, log
    assert "writer job failed" not in log
    lines = log.splitlines()
    refused = [line for line in lines if "refused duplicate_visit (409)" in line]
    assert len(refused) == 1 and " INFO " in refused[0] and "CS-LOG" in refused[0], log
    assert any("MQTT" in line and "connected" in line for line in lines), log
