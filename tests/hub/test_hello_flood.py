"""A flood of unauthenticated hellos with made-up device ids, through the real
broker, MQTT link, ingest and API: the log stays a few KB (each problem is
summarised, not written once per hello) and /api/v1/health and
GET /api/v1/terminals count only terminals in an authenticated session."""

import logging
import re

import pytest

from hub.app_parts import MqttPart, start_ingest
from hub.services import terminals
from protocol import topics
from protocol.codec import encode
from tests.support.api import Api, make_config
from tests.support.mqtt_observer import Observer
from tests.support.mqtt_terminals import MqttFleet
from tests.support.poll import wait

HALL = "test-hall"
N = 6000
IDS = 3000          # each made-up id says hello twice


def hello(dev, mid):
    return encode({"t": "hello", "mid": mid, "dev": dev, "fw": "1", "board": "x", "pv": 1,
                   "jd": 0, "dn": "00" * 8}, "up")


@pytest.fixture
def hall(tmp_path, mosquitto):
    api = Api(make_config(tmp_path, "[broker]\nport = %d\nretry_s = 1\npassword = \"%s\"\n"
                          % (mosquitto.port, mosquitto.hub_login(HALL)["password"])))
    key = api.db_call(terminals.provision, "T-12", "12")
    ingest = start_ingest(api.cfg, api.ctx)
    part = MqttPart(api.cfg, api.ctx, ingest)
    wait(lambda: api.ctx.component("mqtt").state == "ok", 10, "the hub on the broker")
    fleet = MqttFleet(mosquitto, HALL)
    yield api, ingest, key, fleet
    fleet.close()
    part.stop()
    ingest.stop()


def logged_bytes(caplog):
    return sum(len(r.getMessage()) + 40 for r in caplog.records)


@pytest.mark.anyio
async def test_six_thousand_made_up_hellos_leave_a_small_log_and_a_true_count(
        hall, mosquitto, caplog):
    api, ingest, key, fleet = hall
    real = fleet.terminal("T-12", key)
    assert real.handshake()["t"] == "ack"
    caplog.clear()
    caplog.set_level(logging.INFO)
    spoofer = Observer(mosquitto, [])
    for i in range(N):
        dev = "FAKE-%04d" % (i % IDS)
        spoofer.client.publish(topics.up(HALL, dev), hello(dev, 1 + i // IDS), qos=1)
        if i % 10 == 0:        # and what else anyone on the broker can send unasked
            spoofer.client.publish(topics.up(HALL, dev), encode(
                {"t": "nack", "re": 1, "code": "busy"}, "up"), qos=1)
            spoofer.client.publish(topics.up(HALL, "EMPTY-%d" % i), b"", qos=1)
            spoofer.client.publish(topics.state(HALL, "GONE-%d" % i), topics.ONLINE, qos=1)
            spoofer.client.publish(topics.state(HALL, "GONE-%d" % i), topics.OFFLINE, qos=1)
    book = ingest.ingest
    # The last packet is a hello, and one client's packets arrive in order.
    wait(lambda: sum(book.unknown_devices.values()) >= N, 60, "the hub has seen every packet")
    spoofer.close()

    size = logged_bytes(caplog)
    assert size < 5000, "%d bytes of log for %d hellos:\n%s" % (
        size, N, "\n".join(r.getMessage() for r in caplog.records[:40]))
    assert [r for r in caplog.records if "unknown_device" in r.getMessage()]
    # Once a minute, one line sums up what was not logged one by one.
    caplog.clear()
    book.problems.summarise(book.now_ms() + 61000)
    said = [r.getMessage() for r in caplog.records]
    summary = [m for m in said if m.startswith("unknown_device: ")]
    assert summary, said
    times, ids = re.match(r"unknown_device: (\d+) more times from (\d+) device ids",
                          summary[0]).groups()
    assert int(times) >= N - 100 and int(ids) >= IDS - 50, summary
    assert logged_bytes(caplog) < 1500, said

    wait(lambda: "1 terminal online" in api.ctx.component("mqtt").detail, 5,
         "the health's count of one terminal")
    health = (await api.client.get("/api/v1/health")).json()
    assert "1 terminal online over MQTT" in str(health), health
    listed = (await api.client.get("/api/v1/terminals")).json()
    assert (listed["online"], listed["total"]) == (1, 1)
    # The real terminal was served all along: its record is answered (refused,
    # as a case it was never sent is).
    seq = real.rating("made-up", "C1")
    answer = real.answer_for(seq)
    assert (answer["t"], answer["seq"], answer.get("code")) == ("nack", seq, "not_invited")
