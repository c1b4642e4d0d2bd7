"""The firmware's own MQTT client (firmware/net/mqtt_client.py, asyncio.open_connection
on a real socket) on the MicroPython Unix port, through a real mosquitto to the real
hub (ingest + MqttLink, SQLite), logging in with its terminal credentials. Code from
.mpy, under the recorded hard heap cap for a terminal on MQTT (the client's code
takes ~31 KB more than the serial link's): ratings good and bad with a label, then
a power cut with a rating owed while the broker is away, replayed and stored once
(tests/support/unix_session.mqtt_session)."""

from tests.support.fw import query, real_hub_mqtt
from tests.support.unix_port import RECORDED_CAP_MQTT, UnixTerminal
from tests.support.unix_session import mqtt_session


def test_ratings_over_mqtt_and_a_power_cut_with_one_owed(tmp_path, mosquitto, mpy_tree):
    def make(key, mqtt):
        return UnixTerminal("T1", key, tmp_path / "flash", heap=RECORDED_CAP_MQTT,
                            tree=mpy_tree, serial=False, mqtt=mqtt)
    with real_hub_mqtt(tmp_path, mosquitto, make) as hall:
        mqtt_session(hall)
        assert query(hall.db_path, "SELECT board FROM terminals") == "unix"
        assert "mqtt" in query(hall.db_path, "SELECT caps FROM terminals")
