"""The firmware on the simulated board over Wi-Fi/MQTT: the terminal's MQTT
client (firmware/net) through a real mosquitto to the real hub (ingest +
MqttLink, SQLite). Rating, power cut with the rating owed, broker restart."""

import pytest

from tests.support.fw import invite, invite_and_press, query, real_hub_mqtt
from tests.support.poll import wait
from simulator.terminal import SimTerminal

HALL = "hall-1"


@pytest.fixture
def hall(tmp_path, mosquitto):
    def make(key, mqtt):
        return SimTerminal("T1", key, str(tmp_path / "flash"), serial=False, mqtt=mqtt)
    with real_hub_mqtt(tmp_path, mosquitto, make, HALL) as h:
        yield h
    assert h.term.crashed is None


def test_rating_over_mqtt_survives_power_cut_and_broker_restart(hall):
    term = hall.term
    wait(lambda: "评价系统连接正常" in term.texts())
    invite_and_press(hall, "W1", 1)
    wait(lambda: query(hall.db_path, "SELECT COUNT(*) FROM ratings") == 1)
    wait(lambda: term.journal_depth() == 0)

    term.advance(4000)
    invite(hall, "W2")
    wait(lambda: "W2" in term.texts())
    hall.broker.stop()                         # the broker goes away
    wait(lambda: "离线" in term.texts())
    term.advance(2000)
    term.press(0)
    wait(lambda: "谢谢您的评价" in term.texts())
    assert term.journal_depth() == 1
    term.reboot()                              # and the terminal loses power, rating owed
    hall.broker.start()
    wait(lambda: term.journal_depth() == 0, 30)
    assert query(hall.db_path, "SELECT COUNT(*) FROM ratings") == 2
    assert query(hall.db_path, "SELECT COUNT(*) FROM ratings WHERE level = 5") == 1
