"""hub/config.py: defaults that run out of the box, and errors naming file and key."""

import os
import re
import tomllib

import pytest
from hypothesis import given, settings, strategies as st

from hub import config
from hub.config import ConfigError

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
EXAMPLE = os.path.join(ROOT, "hub", "data", "hub.example.toml")


def write(tmp_path, text, name="hub.toml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)


def test_no_file_gives_defaults_under_cwd(tmp_path):
    cfg = config.load(env={}, cwd=str(tmp_path))
    assert cfg.source == "<defaults>"
    assert cfg.data_dir == str(tmp_path / "var" / "hub")
    assert cfg.db_path == str(tmp_path / "var" / "hub" / "hub.sqlite3")
    assert cfg.tokens_path == str(tmp_path / "var" / "hub" / "api-tokens.json")
    assert (cfg.api.host, cfg.api.port) == ("127.0.0.1", 8700)
    assert (cfg.broker.host, cfg.broker.port) == ("127.0.0.1", 1883)
    assert cfg.hall.code == "hall-1"


def test_pingjia_data_and_data_option(tmp_path):
    cfg = config.load(env={"PINGJIA_DATA": "d1"}, cwd=str(tmp_path))
    assert cfg.data_dir == str(tmp_path / "d1")
    cfg = config.load(env={"PINGJIA_DATA": "d1"}, cwd=str(tmp_path), data_dir="/srv/x")
    assert cfg.data_dir == "/srv/x"


def test_hub_toml_in_cwd_is_read_and_data_dir_is_relative_to_it(tmp_path):
    write(tmp_path, '[hub]\ndata_dir = "store"\n[hall]\ncode = "sz-futian"\n')
    other = tmp_path / "elsewhere"
    other.mkdir()
    path = str(tmp_path / "hub.toml")
    cfg = config.load(path, env={}, cwd=str(other))
    assert cfg.data_dir == str(tmp_path / "store")
    assert cfg.hall.code == "sz-futian"
    cfg = config.load(env={}, cwd=str(tmp_path))
    assert cfg.source == path


def test_example_file_documents_every_key_with_its_default(tmp_path):
    cfg = config.load(EXAMPLE, env={}, cwd=str(tmp_path))
    defaults = config.load(env={}, cwd=str(tmp_path))
    a, b = cfg.as_dict(), defaults.as_dict()
    a["hub"].pop("data_dir"), b["hub"].pop("data_dir")
    assert a == b
    text = open(EXAMPLE, encoding="utf-8").read()
    with open(EXAMPLE, "rb") as f:
        raw = tomllib.load(f)
    for section, keys in config.SCHEMA.items():
        assert "[%s]" % section in text
        for key in keys:
            # Either set (to its default) or shown commented out.
            assert key in raw.get(section, {}) or re.search(r"^# %s = " % key, text, re.M), \
                "%s.%s is not documented in hub.example.toml" % (section, key)


def doc(name):
    with open(os.path.join(ROOT, "docs", name), encoding="utf-8") as f:
        return f.read()


@pytest.mark.parametrize("name", ["HUB.md", "UPSTREAM.md"])
def test_keys_the_docs_name_are_keys_of_the_schema(name, tmp_path):
    text = doc(name)
    # `[section] key` in prose, and the key in a quoted error message
    named = (re.findall(r"`\[(\w+)\] (\w+)`", text) + re.findall(r"^    \S+\.toml: (\w+)\.(\w+): ", text, re.M))
    assert named or name != "HUB.md"
    for section, key in named:
        removed = key in config.REMOVED.get(section, ())
        assert removed or key in config.SCHEMA[section], "%s names %s.%s" % (name, section, key)
    # every ```toml example is a config the hub accepts
    for block in re.findall(r"```toml\n(.*?)```", text, re.S):
        config.from_mapping(tomllib.loads(block), source=name, env={}, cwd=str(tmp_path))


def test_hub_md_names_every_removed_key():
    text = doc("HUB.md")
    for section, keys in config.REMOVED.items():
        for key in keys:
            assert "`%s`" % key in text


@pytest.mark.parametrize("text,key,words", [
    ("[api]\nprot = 8700\n", "api.prot", "unknown key"),
    ("[apii]\nport = 1\n", "apii", "unknown section"),
    ("[api]\nport = \"8700\"\n", "api.port", "whole number"),
    ("[api]\nport = 70000\n", "api.port", "from 1 to 65535"),
    ("[broker]\nenabled = \"yes\"\n", "broker.enabled", "true or false"),
    ("[hall]\ncode = \"大厅 1\"\n", "hall.code", "MQTT topic level"),
    ("[serial]\nports = \"/dev/ttyUSB0\"\n", "serial.ports", "list"),
    ("[rating]\nchannel_table = \"guangdong\"\n", "rating.channel_table", "'zhejiang'"),
    ("[api]\nhost = \"my host\"\n", "api.host", "host name or IP"),
    ("hall = 3\n", "hall", "must be a section"),
])
def test_bad_values_name_file_and_key(tmp_path, text, key, words):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        config.load(path, env={})
    msg = str(info.value)
    assert msg.startswith(path + ": " + key + ": "), msg
    assert words in msg
    assert info.value.key == key


def test_broken_toml_names_file(tmp_path):
    path = write(tmp_path, "[api\nport = 1\n")
    with pytest.raises(ConfigError) as info:
        config.load(path, env={})
    assert str(info.value).startswith(path + ": not valid TOML")


def test_missing_files_say_what_to_do(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        config.load(str(tmp_path / "nope.toml"), env={})
    with pytest.raises(ConfigError, match="PINGJIA_CONFIG names a file that does not exist"):
        config.load(env={"PINGJIA_CONFIG": str(tmp_path / "nope.toml")}, cwd=str(tmp_path))


def test_serial_ports_listed_and_discovered(tmp_path):
    for name in ("ttyFAKE0", "ttyFAKE1", "other"):
        (tmp_path / name).write_text("")
    path = write(tmp_path, '[serial]\nports = ["/dev/ttyS9"]\ndiscover = ["%s/ttyFAKE*"]\n' % tmp_path)
    cfg = config.load(path, env={})
    assert cfg.serial_ports() == sorted(["/dev/ttyS9", str(tmp_path / "ttyFAKE0"),
                                         str(tmp_path / "ttyFAKE1")])


def test_upstream_options_are_free_form(tmp_path):
    path = write(tmp_path, '[upstream]\nadapter = "zhejiang"\n[upstream.options]\napp_mark = "x"\n')
    cfg = config.load(path, env={})
    assert cfg.upstream.options == {"app_mark": "x"}


@settings(max_examples=60, deadline=None)
@given(port=st.one_of(st.integers(), st.text(max_size=5), st.booleans(), st.floats(allow_nan=False)))
def test_any_port_value_is_accepted_or_named(port):
    try:
        cfg = config.from_mapping({"api": {"port": port}}, source="x.toml", env={})
    except ConfigError as e:
        assert e.key == "api.port" and str(e).startswith("x.toml: api.port: ")
    else:
        assert type(port) is int and 1 <= port <= 65535 and cfg.api.port == port


def test_data_dir_is_created_owner_only(tmp_path):
    cfg = config.load(env={}, cwd=str(tmp_path))
    config.ensure_data_dir(cfg)
    assert os.stat(cfg.data_dir).st_mode & 0o777 == 0o700
