"""`pingjia hub --check` beside a live hub on the same config: it says what the
hub uses (config, data directory, database and its schema version) and
disturbs nothing. Terminals stay online, no row and no file of the data
directory changes, the live hub keeps its broker session. Without a hub it
writes nothing either: no data directory, no database, no key file, no -wal.
"""

import os
import sqlite3
import time

from hub import config
from hub.store import SCHEMA_VERSION, migrations, open_db
from tests.support.api import make_config, pingjia
from tests.system.test_uvicorn import MqttTerminal, RunningHub, pty_line, pty_terminal, stop_all


def files(folder):
    """{name: (size, mtime_ns)} of every file under folder."""
    out = {}
    for root, _dirs, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            st = os.stat(path)
            out[os.path.relpath(path, folder)] = (st.st_size, st.st_mtime_ns)
    return out


def contents(folder):
    return {name: open(os.path.join(folder, name), "rb").read() for name in files(folder)}


def rows(db_path):
    """Every row of every table, read without writing anything (the hub has the
    database open, so its -wal and -shm exist and mode=ro creates nothing)."""
    conn = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True, timeout=10)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: conn.execute("SELECT * FROM %s ORDER BY rowid" % t).fetchall() for t in tables}
    finally:
        conn.close()


def online(hub):
    return {t["device_id"]: t["online"] for t in hub.http.get("/api/v1/terminals").json()["items"]}


def test_check_beside_a_running_hub_disturbs_nothing(tmp_path, mosquitto):
    path, master, slave = pty_line(tmp_path, "ttyUSB0")
    hub = RunningHub(tmp_path, mosquitto, serial_ports=[path],
                     devices=[("T-S1", "1"), ("T-M2", "2"), ("T-M3", "3")])
    made = []
    try:
        hub.wait(lambda: hub.health()["parts"].get("mqtt", {}).get("state") == "ok", "mqtt ok")
        made.append(pty_terminal(hub, "T-S1", master))
        for device in ("T-M2", "T-M3"):
            made.append(MqttTerminal(mosquitto, device, hub.keys[device]))
        for t in made:
            assert t.handshake(timeout=15)["t"] == "ack"
        every = {"T-S1": True, "T-M2": True, "T-M3": True}
        hub.wait(lambda: online(hub) == every, "all three terminals online")
        time.sleep(1.5)          # the hub's own writes of the handshakes are behind it
        data = os.path.dirname(hub.db_path)
        before_rows = rows(hub.db_path)
        before_files = files(data)
        log_before = len(hub.log())

        r = pingjia("hub", "--check", "--config", str(hub.config_path))

        assert r.returncode == 0, r.stderr
        assert str(hub.config_path) in r.stdout
        assert data in r.stdout and hub.db_path in r.stdout
        assert "schema version %d (current)" % SCHEMA_VERSION in r.stdout
        assert "not opened by --check" in r.stdout and "not contacted by --check" in r.stdout
        time.sleep(3)            # long enough for a check hub's stop to have been heard
        assert online(hub) == every
        assert rows(hub.db_path) == before_rows
        after_files = files(data)
        assert set(after_files) == set(before_files)          # nothing created or removed
        for name, stamp in before_files.items():
            if not name.startswith("hub.sqlite3"):            # the live hub checkpoints these
                assert after_files[name] == stamp, name
        new_log = hub.log()[log_before:]
        assert "broker" not in new_log, new_log               # the live session was not taken
        # The terminals are still heard: an invitation reaches one at once.
        body = {"window": "2", "case_serial": "CS-CHECK", "matter_code": "M1",
                "matter_name": "个体工商户设立登记", "staff_id": "A1", "staff_name": "李明"}
        created = hub.http.post("/api/v1/invitations", json=body)
        assert created.status_code == 201, created.text
        eid = created.json()["id"]
        made[1].wait_for(lambda m: m["t"] == "inv" and m["eid"] == eid, timeout=10)
    finally:
        rc = stop_all(hub, made, master, slave)
    assert rc == 0, hub.log()


def test_check_without_a_hub_writes_nothing_and_names_pending_migrations(tmp_path):
    cfg = make_config(tmp_path)
    db = open_db(cfg.db_path, migrate=False)
    migrations.migrate(db, target=SCHEMA_VERSION - 1)
    db.close()
    before = contents(cfg.data_dir)
    stamps = files(cfg.data_dir)
    assert sorted(before) == ["hub.sqlite3"]

    r = pingjia("hub", "--check", cwd=str(tmp_path))

    assert r.returncode == 0, r.stderr
    assert "hub.toml" in r.stdout and cfg.db_path in r.stdout
    assert "schema version %d of %d: 1 migration(s) pending" % (SCHEMA_VERSION - 1,
                                                                SCHEMA_VERSION) in r.stdout
    assert contents(cfg.data_dir) == before and files(cfg.data_dir) == stamps
    with sqlite3.connect("file:%s?immutable=1" % cfg.db_path, uri=True) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION - 1


def test_check_of_a_new_hall_creates_no_data_directory(tmp_path):
    r = pingjia("hub", "--check", "--data", "var/hub", cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "does not exist yet" in r.stdout and "not created yet" in r.stdout
    assert os.listdir(tmp_path) == []


def test_a_bad_config_exits_2_naming_the_key(tmp_path):
    (tmp_path / "hub.toml").write_text("[broker]\nport = 0\n", encoding="utf-8")
    r = pingjia("hub", "--check", cwd=str(tmp_path))
    assert r.returncode == 2 and "hub.toml: broker.port: must be from 1 to 65535" in r.stderr
    (tmp_path / "hub.toml").write_text('[upstream]\nadapter = "zhejiang"\n', encoding="utf-8")
    r = pingjia("hub", "--check", cwd=str(tmp_path))
    assert r.returncode == 2 and "upstream.url" in r.stderr
    assert sorted(os.listdir(tmp_path)) == ["hub.toml"]
    cfg = config.load(str(tmp_path / "hub.toml"), env={})
    assert not os.path.exists(cfg.data_dir)
