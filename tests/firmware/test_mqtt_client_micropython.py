"""The firmware MQTT client runs on real MicroPython (the WebAssembly port).

That port has no sockets: tests/firmware/mp_mqtt_client.py gives the
client an in-memory stream to a small MQTT peer made of mqtt_wire, and runs
connect, publish, downlink, keepalive, reconnect with DUP resend and a clean
stop on MicroPython's own asyncio. Behaviour against a real mosquitto is
tested on CPython in test_mqtt_client.py.
"""

import json
import os

from simulator.mpy import REPO_ROOT, protocol_mounts


def test_mqtt_client_on_micropython(micropython):
    mounts = protocol_mounts() + [(os.path.join(REPO_ROOT, "firmware", "net"), "/lib/firmware/net")]
    out = micropython("tests/firmware/mp_mqtt_client.py", mounts=mounts)
    line = [l for l in out.splitlines() if l.startswith("MQTT-OK ")]
    assert line, out
    counters = json.loads(line[0][len("MQTT-OK "):])
    assert counters["connects"] == 2 and counters["link_losses"] == 1
    assert counters["resent"] == 1 and counters["received"] == 1
