"""The firmware on the simulated board over Wi-Fi/MQTT: the terminal's MQTT
client (firmware/net) through a real mosquitto to the real hub (ingest +
MqttLink, SQLite). Rating, power cut with the rating owed, broker restart."""

import pytest

from tests.support.fw import invite, invite_and_press, query
from tests.support.poll import wait
from hub.ingest import Ingest
from hub.services import terminals
from hub.store import open_db
from hub.transports.mqtt_link import MqttLink
from simulator.terminal import SimTerminal

HALL = "hall-1"


@pytest.fixture
def hall(tmp_path, mosquitto):
    path = str(tmp_path / "hub.db")
    db = open_db(path)
    key = bytes.fromhex(terminals.provision(db, "T1", "A01"))
    ingest = Ingest(path, hall=HALL)
    ingest.start()
    link = MqttLink(ingest, HALL, mosquitto.host, mosquitto.port, **mosquitto.hub_login(HALL),
                    client_id="hub-fw", retry_s=0.5)
    link.start()
    assert link.wait_connected(10)
    term = SimTerminal("T1", key, str(tmp_path / "flash"), serial=False,
                       mqtt=(HALL, mosquitto.host, mosquitto.port, "T1",
                             mosquitto.terminal_login(HALL, "T1")["password"]))
    ingest.db, ingest.term, ingest.broker = db, term, mosquitto
    yield ingest
    term.close()
    link.stop()
    ingest.stop()
    db.conn.close()
    assert term.crashed is None


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
