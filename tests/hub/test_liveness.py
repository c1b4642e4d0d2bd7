"""A terminal that stops heartbeating is offline within three heartbeat
periods, on a serial line that stays open and over MQTT alike: the registry
and the API say so, its window's invitations get 202 with the warning, the
log names device, window and reason; it is online again when it speaks.

Real parts: a pty opened by the hub's serial transport, mosquitto with the
hub's MQTT link, SQLite, the API in-process; the terminal is the protocol
peer of tests/support/hub_peer.py, heartbeating every HB_S (the hall's
configuration says so)."""

import logging
import threading
import time

import pytest

from hub.ingest import Ingest
from hub.ingest.liveness import SILENT_PERIODS
from hub.services import config, terminals
from hub.transports.mqtt_link import MqttLink
from hub.transports.serial_manager import SerialManager
from tests.hub.test_serial import Line, serial_terminal
from tests.support.api import Api, make_config
from tests.support.mqtt_terminals import MqttFleet
from tests.support.poll import wait

pytestmark = pytest.mark.anyio

HB_S = 1
HALL = "live-hall"
DEV = "T0002"
INV = {"window": "2", "matter_code": "330100003000", "matter_name": "居民身份证换领",
       "staff_id": "A0101", "staff_name": "王芳", "applicant_kind": "person"}


class Beat:
    """The terminal's house task: a heartbeat every HB_S while `on`."""

    def __init__(self, term):
        self.term, self.on, self._stop = term, True, threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop.wait(HB_S):
            if self.on:
                self.term.send({"t": "hb", "up": 1, "heap": 50000, "jd": 0})

    def stop(self):
        self._stop.set()
        self._t.join(5)


@pytest.fixture
def hub(tmp_path):
    cfg = make_config(tmp_path, '[broker]\nenabled = false\n')
    ingest = Ingest(cfg.db_path, hall=HALL)
    ingest.start()
    api = Api(cfg, ingest=ingest)
    key = api.db_call(terminals.provision, DEV, "2")
    api.db_call(config.push, timeouts={"hb": HB_S})
    yield api, ingest, key
    ingest.stop()


async def post(api, cs):
    return await api.client.post("/api/v1/invitations", json=dict(INV, case_serial=cs))


async def registry_online(api):
    r = await api.client.get("/api/v1/terminals/" + DEV)
    assert r.status_code == 200
    return r.json()


async def silent_then_back(api, term, caplog):
    """The scenario, on whatever transport TERM runs."""
    beat = Beat(term)
    try:
        time.sleep(2.5 * HB_S)
        body = await registry_online(api)
        assert body["online"] is True, body
        r = await post(api, "CS-ONLINE")
        assert r.status_code == 201 and r.json()["warning"] is None

        caplog.clear()
        beat.on = False                                # the app froze; the line stays open
        stopped = time.monotonic()
        while (await registry_online(api))["online"]:
            assert time.monotonic() - stopped < 3 * HB_S + 1.5, "still online"
            time.sleep(0.1)
        assert time.monotonic() - stopped >= (SILENT_PERIODS - 1) * HB_S
        body = await registry_online(api)
        assert body["problem"]["code"] == "no_heartbeat", body
        assert "no heartbeat for" in body["problem"]["message"]
        r = await post(api, "CS-OFFLINE")
        assert r.status_code == 202, r.text
        assert DEV in r.json()["warning"] and "offline" in r.json()["warning"]
        listed = (await api.client.get("/api/v1/terminals", params={"online": "false"})).json()
        assert [t["device_id"] for t in listed["items"]] == [DEV]
        lines = [r for r in caplog.records if r.name == "hub.ingest" and "offline" in r.message]
        assert lines and lines[0].levelno == logging.WARNING, caplog.text
        assert DEV in lines[0].message and "window 2" in lines[0].message
        assert "no heartbeat for" in lines[0].message

        beat.on = True                                 # it speaks again, same session
        wait(lambda: api.db_call(terminals.get, DEV)["online"], 10, "online again")
        back = [r for r in caplog.records if "online again over" in r.message]
        assert back and back[0].levelno == logging.INFO and "window 2" in back[0].message
        assert term.wait_for(lambda m: m["t"] == "inv" and m["cs"] == "CS-OFFLINE", 10)
        r = await post(api, "CS-BACK")
        assert r.status_code == 201
    finally:
        beat.stop()


async def test_a_silent_terminal_on_an_open_serial_line_goes_offline(hub, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    api, ingest, key = hub
    line = Line(str(tmp_path), "ttyUSB0")
    mgr = SerialManager(ingest, ports=[line.path], rescan_s=60, backoff_min=0.05).start()
    term = serial_terminal(line, DEV, key)
    try:
        term.handshake(timeout=10)
        await silent_then_back(api, term, caplog)
    finally:
        term.link.stop()
        mgr.stop()


async def test_a_silent_terminal_over_mqtt_goes_offline(hub, mosquitto, caplog):
    caplog.set_level(logging.INFO)
    api, ingest, key = hub
    link = MqttLink(ingest, HALL, mosquitto.host, mosquitto.port, **mosquitto.hub_login(HALL),
                    client_id="hub-live",
                    retry_s=0.5).start()
    fleet = MqttFleet(mosquitto, HALL)
    try:
        assert link.wait_connected(10)
        term = fleet.terminal(DEV, key)
        term.handshake(timeout=10)
        await silent_then_back(api, term, caplog)
    finally:
        fleet.close()
        link.stop()
