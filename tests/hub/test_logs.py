"""What the hub's log and health say to hall IT, with the real parts in process:

- a client's refusal (409 duplicate_visit, 404 unknown_window) through the
  group-commit writer is logged at INFO with its code, never as a failed job,
  and leaves the `ingest` health ok; a real SQLite failure still degrades it;
- the MQTT part does not warn that the broker is unreachable before its first
  attempt had a chance, and does warn once an attempt has really failed.
"""

import logging
import socket
import threading
import time

import pytest

from hub.api.context import HubContext
from hub.app_parts import MqttPart, start_ingest
from hub.services import terminals
from tests.hub.test_api_invitations import INV
from tests.hub.test_health import fill_the_disk, wait_state
from tests.support.api import Api, make_config


@pytest.fixture
def live(tmp_path):
    """The API in process over a running ingest (writes go through its writer)."""
    api = Api(make_config(tmp_path))
    api.db_call(terminals.provision, "T-12", "12")
    ingest = start_ingest(api.cfg, api.ctx)
    ingest.health.hold_s = 1.5
    yield api, ingest, api.ctx.component("ingest")
    ingest.stop()


def writer_records(caplog, level):
    return [r for r in caplog.records if r.name == "hub.store.writer" and r.levelno >= level]


@pytest.mark.anyio
async def test_a_refusal_through_the_writer_is_info_and_leaves_health_ok(live, caplog):
    api, ingest, part = live
    caplog.set_level(logging.INFO)
    wait_state(part, "ok", "writes committed")
    first = await api.client.post("/api/v1/invitations", json=INV)
    assert first.status_code == 202, first.text
    again = await api.client.post("/api/v1/invitations", json=INV)
    assert again.status_code == 409 and again.json()["error"] == "duplicate_visit"
    unknown = await api.client.post("/api/v1/invitations", json=dict(INV, window="99"))
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_window"

    assert writer_records(caplog, logging.WARNING) == []
    said = [r.getMessage() for r in writer_records(caplog, logging.INFO)]
    assert any("duplicate_visit (409)" in m and INV["case_serial"] in m for m in said), said
    assert any("unknown_window (404)" in m and "99" in m for m in said), said
    assert not any(r.exc_info for r in caplog.records)
    time.sleep(1.3)           # more than one round of the health watch
    assert part.state == "ok", part.detail
    assert ingest.writer.stats["failed_jobs"] == 0
    assert ingest.writer.stats["refused_jobs"] == 2


def test_a_real_sqlite_failure_still_degrades_the_ingest(live, caplog):
    _api, ingest, part = live
    writer = ingest.writer
    wait_state(part, "ok", "writes committed")
    fill_the_disk(writer, "T-12")
    detail = wait_state(part, "degraded")
    assert "database or disk is full" in detail and "disk space" in detail
    assert writer_records(caplog, logging.WARNING)


def mqtt_part(tmp_path, port, broker=None):
    login = broker.hub_login("test-hall") if broker else {"password": "none"}
    cfg = make_config(tmp_path, '[broker]\nport = %d\nretry_s = 1\npassword = "%s"\n'
                      % (port, login["password"]))
    ctx = HubContext(cfg)
    ingest = start_ingest(cfg, ctx)
    return ctx, ingest, MqttPart(cfg, ctx, ingest)


def mqtt_warnings(caplog):
    return [r.getMessage() for r in caplog.records
            if r.name == "pingjia.hub" and r.levelno >= logging.WARNING and "MQTT" in r.getMessage()]


class SlowLink:
    """A TCP relay to the broker that holds each new connection for `delay` seconds
    first, like a broker on a loaded machine or a slow hall network."""

    def __init__(self, port, delay):
        self.target, self.delay = port, delay
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(conn,), daemon=True).start()

    def _relay(self, conn):
        time.sleep(self.delay)
        upstream = socket.create_connection(("127.0.0.1", self.target))
        for a, b in ((conn, upstream), (upstream, conn)):
            threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.server.close()


def test_no_broker_warning_before_the_first_attempt_had_a_chance(tmp_path, mosquitto, caplog):
    caplog.set_level(logging.INFO)
    slow = SlowLink(mosquitto.port, delay=1.5)
    ctx, ingest, part = mqtt_part(tmp_path, slow.port, mosquitto)
    try:
        end = time.monotonic() + 10
        while ctx.component("mqtt").state != "ok" and time.monotonic() < end:
            time.sleep(0.05)
        assert ctx.component("mqtt").state == "ok", ctx.component("mqtt").detail
        assert mqtt_warnings(caplog) == []
        assert any("connected" in r.getMessage() for r in caplog.records if r.name == "pingjia.hub")
    finally:
        part.stop()
        ingest.stop()
        ctx.close()
        slow.close()


def test_a_broker_that_refuses_is_warned_about_once_the_attempt_failed(tmp_path, caplog):
    with socket.socket() as s:           # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    caplog.set_level(logging.INFO)
    ctx, ingest, part = mqtt_part(tmp_path, port)
    try:
        end = time.monotonic() + MqttPart.GRACE_S - 1
        while not mqtt_warnings(caplog) and time.monotonic() < end:
            time.sleep(0.05)
        said = mqtt_warnings(caplog)
        assert len(said) == 1 and "unreachable" in said[0], said
        assert ctx.component("mqtt").state == "down"
    finally:
        part.stop()
        ingest.stop()
        ctx.close()
