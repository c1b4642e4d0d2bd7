"""The `cfg` a terminal gets carries the hall's name ([hall] name), which its
idle screen shows (PROTOCOL.md, cfg `hall`), not the hall code, which is an
MQTT topic level. Checked on the ingest the hub itself assembles from its
config (hub.app_parts.start_ingest), with a real peer over the ingest."""

from types import SimpleNamespace

import pytest

from hub.api import HubContext
from hub.app_parts import start_ingest
from hub.services import config as hub_config, terminals
from hub.store import open_db
from protocol.catalogue import field_spec
from tests.support.api import make_config
from tests.support.hub_peer import Terminal


@pytest.fixture
def hub_with(tmp_path):
    started = []

    def start(toml):
        cfg = make_config(tmp_path, toml)
        db = open_db(cfg.db_path)
        key = terminals.provision(db, "T1", "3")
        db.close()
        part = start_ingest(cfg, HubContext(cfg))
        started.append(part)
        t = Terminal.direct(part.ingest, "T1", key)
        assert t.handshake() == {"t": "ack", "re": 2}
        return t.wait_for(lambda m: m["t"] == "cfg")

    yield start
    for part in started:
        part.ingest.stop()


def test_cfg_carries_the_hall_name_not_its_code(hub_with):
    cfg = hub_with('name = "演示政务服务大厅"\n')
    assert cfg["hall"] == "演示政务服务大厅" and cfg["win"] == "3"


def test_a_name_longer_than_the_wire_allows_is_cut_not_refused(hub_with):
    limit = field_spec("cfg", "hall")[2]
    cfg = hub_with('name = "%s"\n' % ("厅" * (limit + 8)))
    assert cfg["hall"] == "厅" * limit


def test_the_code_is_shown_only_when_no_name_is_set():
    assert hub_config.hall_shown(SimpleNamespace(code="sz-futian", name="福田大厅")) == "福田大厅"
    assert hub_config.hall_shown(SimpleNamespace(code="sz-futian", name="  ")) == "sz-futian"
