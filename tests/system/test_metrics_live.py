"""GET /metrics of a live hub (uvicorn, mosquitto, a test terminal over MQTT)
after the terminal rated: parsed with prometheus_client's text parser."""

import httpx

from tests.support.prom import samples, value
from tests.system.test_uvicorn import MqttTerminal, RunningHub, broker  # noqa: F401 (fixture)


def scrape(hub):
    r = httpx.get(hub.base + "/metrics", timeout=10)
    assert r.status_code == 200, r.text
    return samples(r.text)


def test_metrics_after_terminals_rated(tmp_path, broker):  # noqa: F811
    broker.start()
    hub = RunningHub(tmp_path, broker, devices=[("T-M1", "1")], log_level="info")
    term = None
    try:
        hub.wait(lambda: hub.health()["parts"].get("mqtt", {}).get("state") == "ok", "mqtt ok")
        term = MqttTerminal(broker, "T-M1", hub.keys["T-M1"])
        assert term.handshake(timeout=15)["t"] == "ack"
        for n, level in enumerate((5, 1)):
            r = hub.http.post("/api/v1/invitations", json={
                "window": "1", "case_serial": "CS-%d" % n, "matter_code": "M001",
                "matter_name": "个体工商户设立登记", "staff_id": "A0317", "staff_name": "李明"})
            assert r.status_code == 201, r.text
            eid = r.json()["id"]
            inv = term.wait_for(lambda m: m["t"] == "inv" and m["eid"] == eid, timeout=10)
            term.send({"t": "ack", "re": inv["mid"]})
            seq = term.rating(eid, inv["cs"], lv=level, lb=[115] if level == 1 else [517])
            assert term.answer_for(seq, timeout=10)["t"] == "ack"
        seq = term.rating("e-never-issued", "CS-X", lv=5, lb=[517])
        assert term.answer_for(seq, timeout=10)["code"] == "not_invited"
        found = hub.wait(lambda: (lambda f: f if value(f, "pingjia_terminals", online="true",
                                                       transport="mqtt") == 1 else None)(
            scrape(hub)), "terminal online in the metrics")
        assert value(found, "pingjia_ratings_stored_total", status="accepted") == 2
        assert value(found, "pingjia_ratings_stored_total", level="1", channel="5") == 1
        assert value(found, "pingjia_acks_total", dup="false") >= 2
        assert value(found, "pingjia_nacks_total", code="not_invited") == 1
        assert value(found, "pingjia_writer_commit_seconds_count") >= 3
        assert value(found, "pingjia_rectifications", state="pending_check") == 1
        assert value(found, "pingjia_upstream_dead_letters") == 0
    finally:
        if term is not None:
            term.close()
        hub.stop()
