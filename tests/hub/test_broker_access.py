"""The broker's password and ACL files as the hub writes them
(hub/services/broker_access.py, broker_users.py) and the hall-IT commands
that change them: provision, terminals rekey, terminals remove, each followed
by the broker's reload. Real mosquitto reading the hub's data directory."""

import re
import subprocess
import sys
import time

import pytest

from hub import config
from hub.services import broker_users
from hub.services.broker_access import BrokerAccess, hash_password, verify_password
from simulator.broker import MosquittoBroker
from simulator.mpy import REPO_ROOT

HALL = "acl-hall"


def test_the_password_format_is_mosquitto_passwds(tmp_path):
    path = tmp_path / "passwd"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(path), "T-1", "s3cret pass"], check=True)
    access = BrokerAccess(tmp_path)
    access.passwd_path = str(path)
    assert access.check("T-1", "s3cret pass") and not access.check("T-1", "s3cret")
    ours = hash_password("s3cret pass")
    assert re.fullmatch(r"\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==", ours)
    assert verify_password("s3cret pass", ours) and not verify_password("x", ours)


def test_the_hubs_client_id_is_its_own_and_kept(tmp_path):
    a = config.from_mapping({"hall": {"code": HALL}}, data_dir=str(tmp_path / "a"))
    b = config.from_mapping({"hall": {"code": HALL}}, data_dir=str(tmp_path / "b"))
    first = broker_users.client_id(a)
    assert first.startswith("pingjia-hub-%s-" % HALL) and len(first) > len("pingjia-hub-%s-" % HALL) + 6
    assert broker_users.client_id(a) == first != broker_users.client_id(b)


@pytest.fixture
def hall(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    broker = MosquittoBroker(tmp_path / "broker", access_dir=data).start()
    conf = tmp_path / "hub.toml"
    conf.write_text('[hub]\ndata_dir = "data"\n[hall]\ncode = "%s"\n[broker]\nport = %d\n'
                    'reload_command = "kill -HUP %d"\n' % (HALL, broker.port, broker.pid),
                    encoding="utf-8")
    yield broker, str(conf)
    broker.stop()


def cli(conf, *args):
    p = subprocess.run([sys.executable, "-m", "hub.cli", *args, "--config", conf],
                       cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout, p.stderr


def broker_password(stderr):
    return re.search(r"mqtt_pw \(shown once\):\n  (\S+)", stderr).group(1)


def eventually(predicate, what, timeout=10):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_provision_rekey_and_remove_change_who_the_broker_lets_in(hall):
    broker, conf = hall
    _out, err = cli(conf, "provision", "T-1", "--window", "1")
    pw = broker_password(err)
    assert "broker reloaded" in err
    eventually(lambda: broker.connack("T-1", pw) == 0, "T-1 let in after provision")
    cfg = config.load(conf, env={})
    hub_user, hub_pw = broker_users.hub_login(cfg)
    assert broker.connack(hub_user, hub_pw) == 0          # the hub's own user came along

    _out, err = cli(conf, "terminals", "rekey", "T-1")
    new_pw = broker_password(err)
    eventually(lambda: broker.connack("T-1", pw) != 0, "the old password refused after rekey")
    assert broker.connack("T-1", new_pw) == 0

    out, _err = cli(conf, "terminals", "remove", "T-1")
    assert "removed" in out and "broker reloaded" in out
    eventually(lambda: broker.connack("T-1", new_pw) != 0, "T-1 refused after remove")
    assert broker.connack(hub_user, hub_pw) == 0
    out, _err = cli(conf, "terminals", "list")
    assert "T-1" not in out


def test_a_removed_terminal_connected_at_the_time_is_dropped_at_the_reload(hall):
    import paho.mqtt.client as mqtt
    broker, conf = hall
    pw = broker_password(cli(conf, "provision", "T-2", "--window", "2")[1])
    eventually(lambda: broker.connack("T-2", pw) == 0, "T-2 let in")
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="t-2")
    c.username_pw_set("T-2", pw)
    c.reconnect_delay_set(0.1, 0.2)
    c.connect(broker.host, broker.port)
    c.loop_start()
    try:
        eventually(c.is_connected, "T-2 connected")
        cli(conf, "terminals", "remove", "T-2")
        eventually(lambda: not c.is_connected(), "T-2 dropped by the broker's reload")
        time.sleep(0.5)
        assert not c.is_connected()                  # and refused when it tries again
    finally:
        c.loop_stop()
        c.disconnect()


def test_without_a_reload_command_the_command_says_to_reload(tmp_path):
    conf = tmp_path / "hub.toml"
    conf.write_text('[hub]\ndata_dir = "data"\n', encoding="utf-8")
    _out, err = cli(str(conf), "provision", "T-3", "--window", "3")
    assert "reload the broker now" in err and broker_password(err)
    access = BrokerAccess(tmp_path / "data")
    assert access.users() == ["T-3", "pingjia-hub"]
    assert access.rules()["T-3"] == [("write", "pingjia/hall-1/dev/T-3/up"),
                                     ("write", "pingjia/hall-1/dev/T-3/state"),
                                     ("read", "pingjia/hall-1/dev/T-3/down")]
