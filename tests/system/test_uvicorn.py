"""The whole hub as hall IT runs it: `pingjia hub` in a subprocess serving the
API under uvicorn on a free port, a real mosquitto, a pty serial line, and
protocol-level test terminals (tests/support/hub_peer.py) on both transports.

End to end: invitation through the API -> the terminal shows it -> a rating
-> visible through GET, over serial and over MQTT. Also: the broker down at
start (health says so, the hub retries and connects when it comes), and a
clean stop on SIGTERM."""

import json
import os
import re
import signal
import subprocess
import sys
import time
import tty

import httpx
import paho.mqtt.client as mqtt
import pytest

from tests.support.api import pingjia, wait_http
from hub import config
from hub.services.tokens import TokenStore
from hub.services import terminals
from hub.store import open_db
from tests.support.hub_peer import PtyLink, Terminal
from simulator.broker import MosquittoBroker
from protocol import topics
from simulator.mpy import REPO_ROOT
from simulator.ports import free_port

HALL = "e2e-hall"
PHONE = "13912345678"


class NoBroker:
    """A broker address where nothing listens: the hub's API serves all the same."""

    def __init__(self):
        self.port = free_port()

    def hub_login(self, hall):
        return {"password": "none"}


class RunningHub:
    def __init__(self, tmp_path, broker, serial_ports=(), devices=(), log_level="debug",
                 extra=""):
        """`broker`: the test's MosquittoBroker; the hub logs in as its hub user."""
        self.dir = tmp_path
        self.port = free_port()
        cfg_text = (
            '[hub]\ndata_dir = "data"\nlog_level = "%s"\n'
            '[hall]\ncode = "%s"\n'
            '[broker]\nport = %d\nretry_s = 1\npassword = "%s"\n'
            '[serial]\nports = [%s]\ndiscover = []\nrescan_s = 1\n'
            '[api]\nport = %d\n' % (log_level, HALL, broker.port,
                                    broker.hub_login(HALL)["password"],
                                    ", ".join('"%s"' % p for p in serial_ports), self.port)) + extra
        self.config_path = tmp_path / "hub.toml"
        self.config_path.write_text(cfg_text, encoding="utf-8")
        cfg = config.load(str(self.config_path), env={})
        config.ensure_data_dir(cfg)
        db = open_db(cfg.db_path)
        self.keys = {d: terminals.provision(db, d, w) for d, w in devices}
        db.close()
        self.db_path = cfg.db_path
        self.token = TokenStore(cfg.tokens_path).create("queue-system")
        self.base = "http://127.0.0.1:%d" % self.port
        self.log_path = tmp_path / "hub.log"
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "hub.cli", "hub", "--config",
                                      str(self.config_path)], cwd=REPO_ROOT,
                                     stdout=self.log_file, stderr=subprocess.STDOUT)
        try:
            wait_http(self.base + "/api/v1/health", timeout=30)
        except Exception:
            self.stop()
            raise AssertionError("hub did not start:\n" + self.log())
        self.http = httpx.Client(base_url=self.base, timeout=10,
                                 headers={"Authorization": "Bearer " + self.token})

    def log(self):
        return self.log_path.read_text()

    def health(self):
        return httpx.get(self.base + "/api/v1/health", timeout=5).json()

    def wait(self, pred, what, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = pred()
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError("timed out waiting for %s\n%s" % (what, self.log()[-3000:]))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()
        return self.proc.returncode


class MqttTerminal(Terminal):
    """The protocol test terminal with a paho client as its Wi-Fi link."""

    def __init__(self, broker, device_id, key):
        super().__init__(device_id, key)
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="term-" + device_id)
        login = broker.terminal_login(HALL, device_id)
        c.username_pw_set(login["username"], login["password"])
        c.on_message = lambda client, userdata, msg: self.inbox.put(msg.payload)
        c.connect(broker.host, broker.port)
        c.subscribe(topics.down(HALL, device_id), qos=1)
        c.loop_start()
        self.client = c
        up = topics.up(HALL, device_id)
        self.out = lambda packet: c.publish(up, packet, qos=1)

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


def pty_line(folder, name):
    master, slave = os.openpty()
    tty.setraw(slave)
    path = os.path.join(str(folder), name)
    os.symlink(os.ttyname(slave), path)
    return path, master, slave


def pty_terminal(hub, device, master):
    """The protocol test terminal `device` on the far end of a pty line the hub serves."""
    t = Terminal(device, hub.keys[device])
    t.link = PtyLink(master, t.inbox.put)
    t.out = t.link.send
    return t


def stop_all(hub, terminals, master, slave):
    """Close the test terminals, stop the hub, close the pty -> the hub's exit code."""
    for t in terminals:
        if isinstance(t, MqttTerminal):
            t.close()
        else:
            t.link.stop()
    rc = hub.stop()
    os.close(master)
    os.close(slave)
    return rc


@pytest.fixture
def broker(tmp_path):
    b = MosquittoBroker(tmp_path / "mosquitto")
    yield b
    b.stop()


def test_broker_down_at_start_then_up_health_follows(tmp_path, broker):
    hub = RunningHub(tmp_path, broker)
    try:
        health = hub.wait(lambda: (lambda h: h if h["parts"].get("mqtt", {}).get("state") == "down"
                                   else None)(hub.health()), "mqtt down in health")
        assert health["status"] == "degraded"
        assert "unreachable" in health["parts"]["mqtt"]["detail"]
        assert "retrying every 1 s" in health["parts"]["mqtt"]["detail"]
        assert health["parts"]["database"]["state"] == "ok"
        # The API works meanwhile, with auth.
        no = httpx.get(hub.base + "/api/v1/terminals")
        assert no.status_code == 401 and no.json()["error"] == "unauthorized"
        assert hub.http.get("/api/v1/terminals").status_code == 200
        broker.start()
        hub.wait(lambda: hub.health()["parts"]["mqtt"]["state"] == "ok", "mqtt ok", timeout=30)
        assert "unreachable" in hub.log()      # said so in the log too
    finally:
        rc = hub.stop()
    assert rc == 0, hub.log()
    assert "hub stopped" in hub.log()


def test_invitation_to_rating_end_to_end_over_serial_and_mqtt(tmp_path, broker):
    broker.start()
    path, master, slave = pty_line(tmp_path, "ttyUSB0")
    hub = RunningHub(tmp_path, broker, serial_ports=[path],
                     devices=[("T-S1", "1"), ("T-M2", "2")])
    made = []
    try:
        hub.wait(lambda: hub.health()["parts"].get("mqtt", {}).get("state") == "ok", "mqtt ok")
        ser = pty_terminal(hub, "T-S1", master)
        made.append(ser)
        wifi = MqttTerminal(broker, "T-M2", hub.keys["T-M2"])
        made.append(wifi)
        for t in (ser, wifi):
            answer = t.handshake(timeout=15)
            assert answer["t"] == "ack", answer
        online = hub.wait(lambda: (lambda r: r if r["online"] == 2 else None)(
            hub.http.get("/api/v1/terminals").json()), "both terminals online")
        kinds = {t["device_id"]: t["transport"] for t in online["items"]}
        assert kinds == {"T-S1": "serial", "T-M2": "mqtt"}

        for t, window, level, labels in ((ser, "1", 5, [517]), (wifi, "2", 2, [213])):
            body = {"window": window, "case_serial": "CS-" + t.device_id, "visit": 1,
                    "matter_code": "M001", "matter_name": "个体工商户设立登记",
                    "staff_id": "A0317", "staff_name": "李明", "contact": PHONE}
            r = hub.http.post("/api/v1/invitations", json=body)
            assert r.status_code == 201, r.text
            eid = r.json()["id"]
            inv = t.wait_for(lambda m: m["t"] == "inv" and m["eid"] == eid, timeout=10)
            assert inv["mn"] == "个体工商户设立登记" and inv["stn"] == "李明"
            assert PHONE not in json.dumps(inv)       # the terminal never holds it
            t.send({"t": "ack", "re": inv["mid"]})
            hub.wait(lambda: hub.http.get("/api/v1/invitations/" + eid).json()["state"] == "shown",
                     "invitation shown")
            seq = t.rating(eid, inv["cs"], lv=level, lb=labels)
            ack = t.answer_for(seq, timeout=10)
            assert ack["t"] == "ack" and not ack.get("dup"), ack
            got = hub.http.get("/api/v1/invitations/" + eid).json()
            assert got["state"] == "rated"
            assert got["rating"]["level"] == level
            assert [lb["code"] for lb in got["rating"]["labels"]] == labels
            assert got["rating"]["device_id"] == t.device_id
            # The same rating again (a resend after a lost ack): acked as dup, stored once.
            t.rating(eid, inv["cs"], lv=level, lb=labels, seq=seq)
            assert t.answer_for(seq, timeout=10).get("dup") is True

        listed = hub.http.get("/api/v1/ratings?order=asc").json()
        assert listed["total"] == 2
        assert [r["device_id"] for r in listed["items"]] == ["T-S1", "T-M2"]
        bad = hub.http.get("/api/v1/ratings?bad=true").json()
        assert [r["window"] for r in bad["items"]] == ["2"]
        # A duplicate case for the same visit is refused whatever the transport.
        dup = hub.http.post("/api/v1/invitations", json={
            "window": "1", "case_serial": "CS-T-S1", "visit": 1, "matter_code": "M001",
            "matter_name": "x", "staff_id": "A0317", "staff_name": "李明"})
        assert dup.status_code == 409 and dup.json()["error"] == "duplicate_visit"

        # Hall IT tries the serial terminal from the CLI while the hub runs: the
        # hub notices the new invitation and delivers it within seconds.
        r = pingjia("invitations", "create", "--window", "1", "--case", "CS-CLI",
                    "--staff-id", "A1", "--staff-name", "李明", "--config", str(hub.config_path))
        assert r.returncode == 0, r.stderr
        eid = re.search(r"\b(e[0-9a-f]{20})\b", r.stdout).group(1)
        ser.wait_for(lambda m: m["t"] == "inv" and m["eid"] == eid, timeout=10)
        # The queue system cancels it: the terminal is told to drop it.
        r = hub.http.delete("/api/v1/invitations/" + eid)
        assert r.status_code == 200 and r.json()["state"] == "cancelled"
        ser.wait_for(lambda m: m["t"] == "cancel" and m["eid"] == eid, timeout=10)
        assert "serial ports open" in hub.health()["parts"]["serial"]["detail"]
    finally:
        rc = stop_all(hub, made, master, slave)
    assert rc == 0, hub.log()
    assert PHONE not in hub.log()                      # never logged, even at debug level


def test_api_port_in_use_is_a_clear_error(tmp_path):
    import socket
    (tmp_path / "hub.toml").write_text('[hub]\ndata_dir = "data"\n[broker]\nenabled = false\n'
                                       '[serial]\ndiscover = []\n', encoding="utf-8")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = pingjia("hub", "--port", str(port), cwd=str(tmp_path))
    assert r.returncode == 4, r.stderr
    assert "could not listen on 127.0.0.1:%d" % port in r.stderr
    assert "[api] port" in r.stderr
