"""The MQTT device table and the ingest's counters stay bounded when device
ids are made up (an open broker lets anyone publish on any device's topic),
and a real terminal keeps being served meanwhile."""

import pytest

from hub.ingest import Ingest
from hub.ingest.limits import MAX_COUNTED, MORE_TERMINALS, ErrorCounters
from hub.services import terminals
from hub.store import open_db
from hub.transports.mqtt_devices import DeviceTable
from tests.support.hub_peer import Terminal
from protocol import topics
from protocol.session import TerminalHandshake


@pytest.fixture
def hall(tmp_path):
    path = str(tmp_path / "hub.db")
    db = open_db(path)
    key = terminals.provision(db, "T1", "A01")
    db.conn.close()
    ingest = Ingest(path, hall="h", flood_rate=1000, flood_burst=1000)
    ingest.start()
    inboxes = {}
    table = DeviceTable(ingest, lambda dev: lambda p: inboxes.get(dev, lambda p: None)(p),
                        max_devices=50)
    t = Terminal("T1", key, out=lambda p: table.uplink("T1", p))
    inboxes["T1"] = t.inbox.put
    yield ingest, table, t
    table.close_all()
    ingest.stop()


def test_made_up_device_ids_neither_grow_the_table_nor_stop_a_real_terminal(hall):
    ingest, table, t = hall
    assert t.handshake()["t"] == "ack"
    for i in range(500):
        fake = "X%04d" % i
        hs = TerminalHandshake(fake, bytes(32), bytes(8), {"fw": "x", "board": "x", "jd": 0})
        table.uplink(fake, hs.hello(1))
        table.state(fake, topics.ONLINE)
    assert len(table.snapshot()) <= 50 and table.forgotten >= 450
    assert "T1" in table.snapshot() and table.snapshot()["T1"]["attached"]
    seq = t.rating("e1", "C1")
    assert t.answer_for(seq)["code"] == "not_invited"       # served: a made-up eid, kept
    assert len(ingest.unknown_devices) <= 257 and sum(ingest.unknown_devices.values()) == 500
    assert ingest.unknown_devices[MORE_TERMINALS] == 500 - 256


def test_an_offline_state_of_a_device_never_heard_adds_nothing(hall):
    _ingest, table, _t = hall
    table.state("ghost", topics.OFFLINE)
    assert "ghost" not in table.snapshot()


def test_error_counters_keep_every_count_within_bounded_names():
    c = ErrorCounters()
    for i in range(MAX_COUNTED + 500):
        c.add("D%05d" % i, "bad_seal")
    for i in range(200):
        c.add("D00000", "terminal_nack:code%d" % i)
    counts = c.all()
    assert len(counts) == MAX_COUNTED + 1
    assert counts[MORE_TERMINALS] == {"bad_seal": 500}
    assert sum(sum(v.values()) for v in counts.values()) == MAX_COUNTED + 500 + 200
    assert len(counts["D00000"]) == 64 + 1 and counts["D00000"]["other"] == 200 - 63


def test_a_hello_naming_another_device_than_its_topic_is_dropped_and_counted(hall):
    """Was answered `unknown_device perm:true`, which is wrong (the device is
    known) and makes a terminal wait ten minutes: now dropped, counted, and
    noted as the topic device's problem with both names."""
    ingest, table, t = hall
    answers = []
    others = table._send_for
    table._send_for = lambda dev: answers.append if dev == "T2" else others(dev)
    hs = TerminalHandshake("T1", t.key, bytes(8), {"fw": "x", "board": "x", "jd": 0})
    table.uplink("T2", hs.hello(1))
    assert answers == []
    assert table.snapshot()["T2"]["errors"] == {"dev_mismatch": 1}
    assert not table.snapshot()["T2"]["attached"] and ingest.unknown_devices == {}
    assert t.handshake()["t"] == "ack"          # T1 on its own topic is served
