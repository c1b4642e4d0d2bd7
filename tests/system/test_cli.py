"""Hall-IT commands run as subprocesses (`python -m hub.cli ...`) against a real
data directory: output, exit codes, and errors that say what to do."""

import csv
import io
import json
import os
import re

import pytest

from tests.support.api import make_config, pingjia
from hub.services import invitations, journal
from hub.store import open_db


@pytest.fixture
def hall(tmp_path):
    """A folder with hub.toml (data in ./data); commands run from there."""
    cfg = make_config(tmp_path)
    return tmp_path, cfg


def run(hall, *args):
    folder, _ = hall
    return pingjia(*args, cwd=str(folder))


def test_token_create_list_revoke(hall):
    r = run(hall, "token", "create", "queue-system")
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip()
    assert re.fullmatch(r"pj_[A-Za-z0-9_-]{40,}", token)
    assert "shown again" in r.stderr or "cannot be shown again" in r.stderr
    again = run(hall, "token", "create", "queue-system")
    assert again.returncode == 2 and "--replace" in again.stderr
    assert run(hall, "token", "create", "bad name").returncode == 2
    listed = run(hall, "token", "list")
    assert "queue-system" in listed.stdout and token not in listed.stdout
    assert run(hall, "token", "revoke", "queue-system").returncode == 0
    gone = run(hall, "token", "revoke", "queue-system")
    assert gone.returncode == 3 and "token list" in gone.stderr


def test_before_the_hub_ever_ran_commands_say_so(hall):
    r = run(hall, "terminals")
    assert r.returncode == 3
    assert "no hub database" in r.stderr and "pingjia hub" in r.stderr


def test_no_database_says_where_it_looked_and_how_to_point_elsewhere(hall, tmp_path_factory):
    _, cfg = hall
    assert run(hall, "provision", "T-1", "--window", "1").returncode == 0
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    r = pingjia("terminals", cwd=str(elsewhere))
    assert r.returncode == 3
    assert str(elsewhere / "var" / "hub" / "hub.sqlite3") in r.stderr
    assert "no hub.toml in %s" % elsewhere in r.stderr
    assert "--config FILE" in r.stderr and "PINGJIA_CONFIG=FILE" in r.stderr
    assert "pingjia hub" in r.stderr
    empty = elsewhere / "hub.toml"
    empty.write_text('[hub]\ndata_dir = "nowhere"\n', encoding="utf-8")
    r = pingjia("backlog", cwd=str(elsewhere))
    assert r.returncode == 3 and "config %s" % empty in r.stderr
    assert str(elsewhere / "nowhere") in r.stderr
    # What the message says works.
    told = pingjia("terminals", cwd=str(elsewhere), env={"PINGJIA_CONFIG": cfg.source})
    assert told.returncode == 0 and "T-1" in told.stdout
    assert pingjia("terminals", "--config", cfg.source, cwd=str(elsewhere)).returncode == 0


def test_provision_terminals_show_assign_rekey(hall):
    r = run(hall, "provision", "T-0012", "--window", "12")
    assert r.returncode == 0, r.stderr
    key = r.stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert "T-0012" in r.stderr and "12" in r.stderr
    dup = run(hall, "provision", "T-0012", "--window", "12")
    assert dup.returncode == 1 and "already provisioned" in dup.stderr
    bad = run(hall, "provision", "T 12", "--window", "12")
    assert bad.returncode == 2 and "device_id" in bad.stderr
    listed = run(hall, "terminals")
    assert listed.returncode == 0
    assert "终端 device" in listed.stdout and "T-0012" in listed.stdout and "离线" in listed.stdout
    assert key not in listed.stdout
    js = run(hall, "terminals", "list", "--json")
    assert json.loads(js.stdout.splitlines()[0])["window"] == "12"
    show = run(hall, "terminals", "show", "T-0099")
    assert show.returncode == 3 and "pingjia terminals list" in show.stderr
    moved = run(hall, "terminals", "assign", "T-0012", "--window", "13")
    assert moved.returncode == 0 and "13" in moved.stdout
    new = run(hall, "terminals", "rekey", "T-0012")
    assert new.returncode == 0 and new.stdout.strip() != key


def test_invitations_create_list_show_cancel(hall):
    assert run(hall, "provision", "T-1", "--window", "5").returncode == 0
    r = run(hall, "invitations", "create", "--window", "5", "--case", "CS-1",
            "--staff-id", "A1", "--staff-name", "李明")
    assert r.returncode == 0, r.stderr
    assert "offline" in r.stdout
    eid = re.search(r"\b(e[0-9a-f]{20})\b", r.stdout).group(1)
    dup = run(hall, "invitations", "create", "--window", "5", "--case", "CS-1",
              "--staff-id", "A1", "--staff-name", "李明")
    assert dup.returncode == 1 and "一次一评" in dup.stderr
    unknown = run(hall, "invitations", "create", "--window", "99", "--case", "CS-2",
                  "--staff-id", "A1", "--staff-name", "李明")
    assert unknown.returncode == 3 and "window '99'" in unknown.stderr
    listed = run(hall, "invitations", "list", "--state", "queued")
    assert eid in listed.stdout and "排队" in listed.stdout
    assert "CS-1" in run(hall, "invitations", "show", eid).stdout
    assert run(hall, "invitations", "cancel", eid, "--reason", "test").returncode == 0
    again = run(hall, "invitations", "cancel", eid)
    assert again.returncode == 1 and "cancelled" in again.stderr
    assert run(hall, "invitations", "show", "enope").returncode == 3


def _seed_ratings(cfg):
    db = open_db(cfg.db_path)
    from hub.services import terminals
    terminals.provision(db, "T-1", "5")
    rows = []
    for i, (lv, lb) in enumerate([(5, [517]), (2, [213]), (1, [115]), (4, [413])]):
        inv = invitations.create(db, "5", "CS-%d" % i, "M1", "个体工商户设立登记", "A1", "李明")
        rows.append(journal.record_rating(db, "T-1", {
            "t": "rating", "seq": i + 1, "eid": inv["eid"], "cs": inv["case_serial"], "lv": lv,
            "lb": lb, "dp": 3000, "mt": 10000 * (i + 1), "org": "live"})["rating_id"])
    db.close()
    return rows


def test_ratings_list_filters_and_bad_label(hall):
    _, cfg = hall
    ids = _seed_ratings(cfg)
    r = run(hall, "ratings")
    assert r.returncode == 0, r.stderr
    assert all(i in r.stdout for i in ids) and "共 4 条" in r.stdout
    bad = run(hall, "ratings", "--bad", "--json")
    levels = sorted(json.loads(line)["level"] for line in bad.stdout.splitlines())
    assert levels == [1, 2]
    wrong = run(hall, "ratings", "--level", "5", "--label", "207")
    assert wrong.returncode == 2 and "207" in wrong.stderr and "level 2" in wrong.stderr
    when = run(hall, "ratings", "--since", "tomorrow")
    assert when.returncode == 2 and "2024-06-11" in when.stderr
    show = run(hall, "ratings", "show", ids[1])
    assert "213 窗口人员业务不熟练" in show.stdout
    assert run(hall, "ratings", "show", "T-1:99").returncode == 3


def test_export_csv_for_excel(hall, tmp_path):
    _, cfg = hall
    ids = _seed_ratings(cfg)
    out = tmp_path / "ratings.csv"
    r = run(hall, "export-csv", "--since", "2020-01-01", "--until", "2099-01-01", str(out))
    assert r.returncode == 0, r.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")   # BOM: Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [row["评价编号"] for row in rows] == ids          # oldest first
    assert rows[1]["差评"] == "是" and rows[1]["评价标签"] == "213 窗口人员业务不熟练"
    assert rows[0]["事项名称"] == "个体工商户设立登记"
    none = run(hall, "export-csv", "--since", "2099-01-01", "-")
    assert none.returncode == 0 and len(none.stdout.strip().splitlines()) == 1
    fail = run(hall, "export-csv", str(tmp_path / "no" / "such" / "dir.csv"))
    assert fail.returncode == 4 and "No such file" in fail.stderr
    assert not (tmp_path / "no").exists()


def test_backlog(hall):
    _, cfg = hall
    _seed_ratings(cfg)
    db = open_db(cfg.db_path)
    invitations.create(db, "5", "CS-Q", "M1", "事项", "A1", "李明")
    db.close()
    r = run(hall, "backlog")
    assert r.returncode == 0
    assert "等待终端显示" in r.stdout and "待上报省级平台" in r.stdout
    data = json.loads(run(hall, "backlog", "--json").stdout)
    assert data["queued_invitations"][0]["window"] == "5"
    assert data["queued_invitations"][0]["n"] == 1
    pending = {(o["kind"], o["state"]): o["n"] for o in data["upstream_outbox"]}
    assert pending[("rating", "pending")] == 4 and pending[("case", "pending")] == 5


def test_config_errors_name_file_and_key(tmp_path):
    (tmp_path / "hub.toml").write_text("[api]\nport = \"eighty\"\n", encoding="utf-8")
    for args in (["terminals"], ["hub", "--check"], ["token", "list"]):
        r = pingjia(*args, cwd=str(tmp_path))
        assert r.returncode == 2, (args, r.stderr)
        assert "hub.toml: api.port: must be a whole number" in r.stderr
    r = pingjia("terminals", "--config", str(tmp_path / "missing.toml"), cwd=str(tmp_path))
    assert r.returncode == 2 and "no such config file" in r.stderr


def test_hub_check_prints_settings_and_creates_nothing(hall):
    folder, cfg = hall
    r = run(hall, "hub", "--check")
    assert r.returncode == 0, r.stderr
    assert cfg.db_path in r.stdout and "http://127.0.0.1:8700/docs" in r.stdout
    assert "not created yet" in r.stdout and os.listdir(cfg.data_dir) == []
    assert run(hall, "terminals").returncode == 3


def test_help_lists_hall_it_commands():
    r = pingjia("--help")
    for name in ("hub", "terminals", "invitations", "ratings", "backlog", "provision",
                 "export-csv", "token", "demo", "test"):
        assert name in r.stdout
