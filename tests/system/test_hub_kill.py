"""kill -9 of the whole hub (`pingjia hub` in a subprocess) while MQTT
terminals rate: nothing acknowledged is lost, nothing is stored twice.

The hub's persistent MQTT session keeps the broker queueing uplinks while
the hub is dead; the restarted hub has no protocol sessions, answers
no_session, and the terminals (protocol peers over the firmware MQTT client)
shake hands again and resend every rating not yet acked.
"""

import signal
import sqlite3
import subprocess
import sys
import threading

from tests.support.api import wait_http
from tests.system.test_uvicorn import HALL, RunningHub
from tests.support.poll import wait
from tests.support.mqtt_terminals import MqttFleet
from tests.hub.test_mqtt_ingest import rate_until_acked
from simulator.mpy import REPO_ROOT

N = 40


def stored_seqs(db_path, device):
    conn = sqlite3.connect(db_path)
    try:
        return [r[0] for r in conn.execute(
            "SELECT seq FROM ratings WHERE device_id = ? ORDER BY seq", (device,))]
    finally:
        conn.close()


def respawn(hub):
    """Start `pingjia hub` again on the same config and data directory."""
    hub.log_file = open(hub.log_path, "a")
    hub.proc = subprocess.Popen([sys.executable, "-m", "hub.cli", "hub", "--config",
                                 str(hub.config_path)], cwd=REPO_ROOT,
                                stdout=hub.log_file, stderr=subprocess.STDOUT)
    wait_http(hub.base + "/api/v1/health", timeout=30, proc=hub.proc)


def test_hub_killed_mid_stream_loses_no_acked_rating(tmp_path, mosquitto):
    devices = ["K%d" % i for i in range(4)]
    hub = RunningHub(tmp_path, mosquitto, devices=[(d, "A0%d" % i) for i, d in enumerate(devices)])
    fleet = MqttFleet(mosquitto, HALL)
    try:
        terms = [fleet.terminal(d, hub.keys[d]) for d in devices]
        errors = []

        def work(t):
            try:
                rate_until_acked(t, "made-up-" + t.device_id, "C" + t.device_id, range(1, N + 1),
                                 timeout=120)
            except AssertionError as e:
                errors.append(e)
        threads = [threading.Thread(target=work, args=(t,)) for t in terms]
        for th in threads:
            th.start()
        wait(lambda: sum(len(stored_seqs(hub.db_path, d)) for d in devices) >= 20, 60,
                   "ratings flowing")
        hub.proc.send_signal(signal.SIGKILL)
        hub.proc.wait(10)
        hub.log_file.close()
        acked_before = {d: stored_seqs(hub.db_path, d) for d in devices}
        respawn(hub)
        for th in threads:
            th.join(150)
        assert not errors, errors
        for d in devices:
            seqs = stored_seqs(hub.db_path, d)
            assert seqs == list(range(1, N + 1)), (d, seqs)   # each once, none lost
            assert set(acked_before[d]) <= set(seqs)
    finally:
        fleet.close()
        hub.stop()
